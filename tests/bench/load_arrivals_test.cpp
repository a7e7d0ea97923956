// Open-loop arrival schedules (src/bench/load/arrivals.h): the first request at 0, the same
// times for the same seed, and gaps with the documented mean (1 / rate) and coefficient of
// variation (0 constant, 1 Poisson, cv gamma) over 20000 requests.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "bench/load/arrivals.h"

namespace wattserve::bench::load {
namespace {

using ::testing::HasSubstr;

struct GapStats {
  double mean = 0;
  double cv = 0;
};

GapStats gap_stats(const std::vector<double>& t) {
  const double n = static_cast<double>(t.size() - 1);
  double sum = 0, sum2 = 0;
  for (std::size_t i = 1; i < t.size(); ++i) {
    const double gap = t[i] - t[i - 1];
    sum += gap;
    sum2 += gap * gap;
  }
  const double mean = sum / n;
  const double var = std::max(0.0, sum2 / n - mean * mean);
  return {mean, std::sqrt(var) / mean};
}

template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(LoadArrivals, ParseKind) {
  EXPECT_EQ(parse_arrival_kind("constant"), ArrivalKind::kConstant);
  EXPECT_EQ(parse_arrival_kind("poisson"), ArrivalKind::kPoisson);
  EXPECT_EQ(parse_arrival_kind("gamma"), ArrivalKind::kGamma);
  EXPECT_THAT(error_of([] { parse_arrival_kind("bursty"); }),
              HasSubstr("constant, poisson or gamma"));
}

TEST(LoadArrivals, FirstAtZeroAndIncreasing) {
  for (const ArrivalKind kind :
       {ArrivalKind::kConstant, ArrivalKind::kPoisson, ArrivalKind::kGamma}) {
    const auto t = arrival_times({.kind = kind, .rate = 5, .cv = 3, .seed = 9}, 1000);
    ASSERT_EQ(t.size(), 1000u);
    EXPECT_EQ(t[0], 0.0);
    for (std::size_t i = 1; i < t.size(); ++i) ASSERT_GE(t[i], t[i - 1]);
  }
  EXPECT_TRUE(arrival_times({}, 0).empty());
  EXPECT_EQ(arrival_times({}, 1), std::vector<double>{0.0});
}

TEST(LoadArrivals, ConstantIsExact) {
  const auto t = arrival_times({.kind = ArrivalKind::kConstant, .rate = 4}, 5);
  EXPECT_EQ(t, (std::vector<double>{0, 0.25, 0.5, 0.75, 1.0}));
}

TEST(LoadArrivals, DeterministicBySeed) {
  for (const ArrivalKind kind : {ArrivalKind::kPoisson, ArrivalKind::kGamma}) {
    const ArrivalSpec a{.kind = kind, .rate = 10, .cv = 2, .seed = 42};
    ArrivalSpec b = a;
    b.seed = 43;
    EXPECT_EQ(arrival_times(a, 500), arrival_times(a, 500));
    EXPECT_NE(arrival_times(a, 500), arrival_times(b, 500));
    // A shorter schedule is a prefix of a longer one.
    const auto long_run = arrival_times(a, 500);
    const auto short_run = arrival_times(a, 100);
    EXPECT_TRUE(std::equal(short_run.begin(), short_run.end(), long_run.begin()));
  }
}

TEST(LoadArrivalsStats, MeanGapAndCv) {
  struct Case {
    ArrivalSpec spec;
    double cv;
    double cv_tolerance;
  };
  const Case cases[] = {
      {{.kind = ArrivalKind::kConstant, .rate = 8}, 0, 1e-6},
      {{.kind = ArrivalKind::kPoisson, .rate = 8, .seed = 1}, 1, 0.05},
      {{.kind = ArrivalKind::kPoisson, .rate = 0.5, .seed = 7}, 1, 0.05},
      {{.kind = ArrivalKind::kGamma, .rate = 8, .cv = 1, .seed = 2}, 1, 0.05},
      {{.kind = ArrivalKind::kGamma, .rate = 8, .cv = 2, .seed = 3}, 2, 0.2},
      {{.kind = ArrivalKind::kGamma, .rate = 3, .cv = 0.5, .seed = 4}, 0.5, 0.03},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << "kind " << static_cast<int>(c.spec.kind) << " rate "
                                    << c.spec.rate << " cv " << c.spec.cv);
    const GapStats s = gap_stats(arrival_times(c.spec, 20000));
    // The standard error of the mean gap is cv / sqrt(n) of it: < 1.5% for cv 2; allow 5%.
    EXPECT_NEAR(s.mean * c.spec.rate, 1.0, 0.05);
    EXPECT_NEAR(s.cv, c.cv, c.cv_tolerance);
  }
}

TEST(LoadArrivals, ForDurationIsAPrefixWithinTheWindow) {
  const ArrivalSpec spec{.kind = ArrivalKind::kGamma, .rate = 20, .cv = 1.5, .seed = 5};
  const auto t = arrival_times_for(spec, 10, 100000);
  ASSERT_GT(t.size(), 100u);
  EXPECT_LT(t.back(), 10.0);
  const auto all = arrival_times(spec, t.size() + 1);
  EXPECT_TRUE(std::equal(t.begin(), t.end(), all.begin()));
  EXPECT_GE(all.back(), 10.0);  // the next one would fall outside
  EXPECT_EQ(arrival_times_for(spec, 10, 7).size(), 7u);
  EXPECT_TRUE(arrival_times_for(spec, 0, 10).empty());
  EXPECT_EQ(arrival_times_for({.kind = ArrivalKind::kConstant, .rate = 2}, 3, 100),
            (std::vector<double>{0, 0.5, 1, 1.5, 2, 2.5}));  // 3.0 excluded
}

TEST(LoadArrivals, Errors) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(error_of([] { arrival_times({.rate = 0}, 3); }), HasSubstr("rate"));
  EXPECT_THAT(error_of([] { arrival_times({.rate = -1}, 3); }), HasSubstr("rate"));
  EXPECT_THAT(error_of([&] { arrival_times({.rate = inf}, 3); }), HasSubstr("rate"));
  EXPECT_THAT(error_of([&] { arrival_times({.rate = nan}, 3); }), HasSubstr("rate"));
  EXPECT_THAT(error_of([] { arrival_times({.kind = ArrivalKind::kGamma, .cv = 0}, 3); }),
              HasSubstr("cv"));
  EXPECT_THAT(error_of([&] { arrival_times({.kind = ArrivalKind::kGamma, .cv = nan}, 3); }),
              HasSubstr("cv"));
  EXPECT_THAT(error_of([] { arrival_times_for({}, -1, 3); }), HasSubstr("duration"));
  EXPECT_THAT(error_of([&] { arrival_times_for({}, inf, 3); }), HasSubstr("duration"));
  EXPECT_THAT(error_of([] { arrival_times_for({.rate = 0}, 1, 3); }), HasSubstr("rate"));
}

}  // namespace
}  // namespace wattserve::bench::load
