// wattserve_stats' bootstrap: reproducible resampling, the quantile path against the generic
// one (same resamples bit for bit, same interval), the BCa interval on a symmetric case where it
// reduces to the percentile interval, the two-sample ratio, and the invalid cases.
#include "report/stats/bootstrap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "report/stats/bootstrap_detail.h"
#include "report/stats/descriptive.h"

namespace stats = wattserve::report::stats;

namespace {

using Vec = std::vector<double>;

Vec lognormal(size_t n, uint64_t seed, double round_to = 0) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> d(0, 0.7);
  Vec x(n);
  for (double& v : x) {
    v = d(rng);
    if (round_to > 0) v = std::round(v / round_to) * round_to;
  }
  return x;
}

stats::Statistic quantile_of(double q) {
  return [q](const Vec& v) { return stats::quantile(v, q); };
}

TEST(StatsBootstrapDistribution, ReproducibleForASeed) {
  const Vec x = lognormal(40, 1);
  const stats::Statistic mean = [](const Vec& v) { return stats::mean(v); };
  const Vec a = stats::bootstrap_distribution(x, mean, 500, 42);
  const Vec b = stats::bootstrap_distribution(x, mean, 500, 42);
  const Vec c = stats::bootstrap_distribution(x, mean, 500, 43);
  ASSERT_EQ(a.size(), 500u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_TRUE(stats::bootstrap_distribution({}, mean, 10, 1).empty());
  // Resamples of a median of an odd sample are values of the sample.
  const Vec odd = lognormal(41, 1);
  const Vec med = stats::bootstrap_distribution(odd, quantile_of(0.5), 200, 5);
  for (double v : med) EXPECT_NE(std::find(odd.begin(), odd.end(), v), odd.end()) << v;
}

TEST(StatsBootstrapDistribution, FixedIndicesForSeedOne) {
  // The index stream is part of the contract (reproducible on every platform): resamples of
  // 0..9 under seed 1 give these means.
  Vec x;
  for (int i = 0; i < 10; ++i) x.push_back(i);
  const stats::Statistic mean = [](const Vec& v) { return stats::mean(v); };
  const Vec a = stats::bootstrap_distribution(x, mean, 3, 1);
  std::mt19937_64 rng(1);
  // Rebuild the first resample from the documented rule: 32-bit words, low half first,
  // index = (word * 10) >> 32 (rejection only for words below 2^32 mod 10 = 6).
  double sum = 0;
  for (int i = 0; i < 5; ++i) {
    const uint64_t r = rng();
    for (const uint64_t w : {r & 0xffffffffu, r >> 32}) sum += static_cast<double>((w * 10) >> 32);
  }
  EXPECT_DOUBLE_EQ(a[0], sum / 10);
}

TEST(StatsQuantilePath, SameResamplesAsGeneric) {
  struct Case {
    Vec x;
    double q;
  };
  const std::vector<Case> cases = {{{3, 1}, 0.5},
                                   {{5, 1, 3}, 0.99},
                                   {lognormal(10, 2), 0.5},
                                   {lognormal(10, 2), 0.0},
                                   {lognormal(10, 2), 1.0},
                                   {lognormal(1000, 3), 0.99},
                                   {lognormal(1000, 3), 0.01},
                                   {lognormal(3000, 4, 0.1), 0.9},
                                   {lognormal(500, 5, 0.5), 0.5},
                                   {{2, 2, 2, 2, 2, 9}, 0.5}};
  for (const auto& c : cases) {
    const Vec fast = stats::bootstrap_quantile_distribution(c.x, c.q, 300, 11);
    const Vec generic = stats::bootstrap_distribution(c.x, quantile_of(c.q), 300, 11);
    EXPECT_EQ(fast, generic) << "n=" << c.x.size() << " q=" << c.q;
  }
  EXPECT_TRUE(stats::bootstrap_quantile_distribution({}, 0.5, 10, 1).empty());
  EXPECT_TRUE(stats::bootstrap_quantile_distribution({1, 2}, 1.5, 10, 1).empty());
}

TEST(StatsQuantilePath, ReplayWhenTheThresholdIsPassed) {
  // With no margin the count below the threshold passes the wanted position in about half the
  // resamples; those are replayed in full and must still give the generic path's values.
  for (const auto& [x, q] : std::vector<std::pair<Vec, double>>{
           {lognormal(2000, 21), 0.99}, {lognormal(301, 22, 0.1), 0.5}, {lognormal(50, 23), 0.9}}) {
    stats::detail::QuantileResampler resampler(x, q, 0);
    stats::detail::IndexSampler sampler(9);
    Vec fast(200);
    for (double& v : fast) v = resampler.draw(sampler);
    EXPECT_EQ(fast, stats::bootstrap_distribution(x, quantile_of(q), 200, 9)) << x.size();
  }
}

TEST(StatsQuantilePath, IntervalMatchesGenericJackknife) {
  for (const auto& [x, q] : std::vector<std::pair<Vec, double>>{{lognormal(15, 6), 0.5},
                                                                {lognormal(400, 7), 0.99},
                                                                {lognormal(401, 7), 0.9},
                                                                {lognormal(200, 8, 0.2), 0.5},
                                                                {lognormal(2, 8), 0.5}}) {
    const Vec theta_b = stats::bootstrap_quantile_distribution(x, q, 999, 3);
    const stats::Interval fast = stats::bca_interval_quantile(x, q, theta_b, 0.95);
    const stats::Interval generic = stats::bca_interval(x, quantile_of(q), theta_b, 0.95);
    ASSERT_EQ(fast.valid, generic.valid) << fast.note << " / " << generic.note;
    if (!fast.valid) continue;
    EXPECT_EQ(fast.estimate, generic.estimate);
    EXPECT_EQ(fast.z0, generic.z0);
    EXPECT_NEAR(fast.acceleration, generic.acceleration, 1e-12);
    EXPECT_NEAR(fast.low, generic.low, 1e-12 * std::fabs(generic.low));
    EXPECT_NEAR(fast.high, generic.high, 1e-12 * std::fabs(generic.high));
    const stats::Interval whole = stats::bootstrap_quantile(x, q, {999, 0.95, 3});
    EXPECT_EQ(whole.low, fast.low);
    EXPECT_EQ(whole.high, fast.high);
  }
}

TEST(StatsBca, SymmetricCaseIsThePercentileInterval) {
  // Symmetric data and mean: the jackknife is symmetric (a = 0); theta_b symmetric about the
  // estimate without hitting it: z0 = 0. BCa is then the plain 2.5% / 97.5% percentiles.
  const Vec x = {-3, -1, 0, 1, 3};
  Vec theta_b;
  for (int i = 1; i <= 100; ++i) theta_b.push_back(i - 50.5);
  const stats::Statistic mean = [](const Vec& v) { return stats::mean(v); };
  const stats::Interval iv = stats::bca_interval(x, mean, theta_b, 0.95);
  ASSERT_TRUE(iv.valid) << iv.note;
  EXPECT_EQ(iv.estimate, 0);
  EXPECT_EQ(iv.z0, 0);
  EXPECT_NEAR(iv.acceleration, 0, 1e-15);
  Vec sorted = theta_b;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_NEAR(iv.low, stats::quantile_sorted(sorted, 0.025), 1e-9);
  EXPECT_NEAR(iv.high, stats::quantile_sorted(sorted, 0.975), 1e-9);
}

TEST(StatsBca, SkewedSampleShiftsTheInterval) {
  const Vec x = lognormal(60, 9);
  const stats::Interval iv =
      stats::bootstrap_bca(x, [](const Vec& v) { return stats::mean(v); }, {4999, 0.9, 2});
  ASSERT_TRUE(iv.valid) << iv.note;
  EXPECT_LT(iv.low, iv.estimate);
  EXPECT_GT(iv.high, iv.estimate);
  EXPECT_GT(iv.acceleration, 0);  // right skew
  EXPECT_GT(iv.high - iv.estimate, iv.estimate - iv.low);
  // Wider at 99% than at 90% on the same resamples.
  const stats::Interval wide =
      stats::bootstrap_bca(x, [](const Vec& v) { return stats::mean(v); }, {4999, 0.99, 2});
  EXPECT_LT(wide.low, iv.low);
  EXPECT_GT(wide.high, iv.high);
}

TEST(StatsBca, ConstantJackknifeTakesZeroAcceleration) {
  // The median of many ties: every leave-one-out median is 2 (SciPy gives NaN here).
  const Vec x = {1, 2, 2, 2, 2, 2, 2, 2, 3, 2, 2, 4, 0, 2, 2};
  const stats::Interval iv = stats::bootstrap_quantile(x, 0.5, {2000, 0.95, 1});
  ASSERT_TRUE(iv.valid) << iv.note;
  EXPECT_EQ(iv.acceleration, 0);
  EXPECT_FALSE(iv.note.empty());
  EXPECT_LE(iv.low, 2);
  EXPECT_GE(iv.high, 2);
}

TEST(StatsBca, InvalidCases) {
  const stats::BootstrapOptions o{200, 0.95, 1};
  EXPECT_FALSE(stats::bootstrap_quantile({}, 0.5, o).valid);
  EXPECT_FALSE(stats::bootstrap_quantile({3}, 0.5, o).valid);
  const stats::Interval constant = stats::bootstrap_quantile({4, 4, 4, 4}, 0.5, o);
  EXPECT_FALSE(constant.valid);
  EXPECT_EQ(constant.estimate, 4);
  EXPECT_FALSE(constant.note.empty());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(stats::bootstrap_quantile({1, nan, 3}, 0.5, o).valid);
  EXPECT_FALSE(stats::bootstrap_quantile({1, inf, 3}, 0.5, o).valid);
  EXPECT_FALSE(stats::bootstrap_quantile({1, 2, 3}, 1.5, o).valid);
  EXPECT_FALSE(stats::bootstrap_quantile({1, 2, 3, 4}, 0.5, {200, 1.0, 1}).valid);
  EXPECT_FALSE(stats::bootstrap_quantile({1, 2, 3, 4}, 0.5, {0, 0.95, 1}).valid);
  EXPECT_FALSE(stats::bca_interval({1, 2, 3}, quantile_of(0.5), {}, 0.95).valid);
  EXPECT_FALSE(stats::bca_interval({1, 2, 3}, quantile_of(0.5), {1, nan}, 0.95).valid);
  // The estimate below every resampled value: z0 = -infinity.
  EXPECT_FALSE(stats::bca_interval({1, 2, 3}, quantile_of(0.5), {5, 6, 7}, 0.95).valid);
  // The minimum: the estimate is never above a resample, often below none.
  const stats::Interval min = stats::bootstrap_quantile({1, 2, 3, 4, 5, 6, 7}, 0.0, o);
  EXPECT_EQ(min.estimate, 1);
}

TEST(StatsRatio, QuantilePathMatchesGeneric) {
  const Vec a = lognormal(300, 12), b = lognormal(250, 13);
  const stats::BootstrapOptions o{999, 0.95, 4};
  for (double q : {0.5, 0.99}) {
    const stats::Interval generic = stats::bootstrap_ratio_bca(a, b, quantile_of(q), o);
    const stats::Interval fast = stats::bootstrap_ratio_quantile(a, b, q, o);
    ASSERT_TRUE(generic.valid) << generic.note;
    ASSERT_TRUE(fast.valid) << fast.note;
    EXPECT_EQ(fast.estimate, generic.estimate);
    EXPECT_DOUBLE_EQ(fast.estimate, stats::quantile(b, q) / stats::quantile(a, q));
    EXPECT_EQ(fast.z0, generic.z0);
    EXPECT_NEAR(fast.acceleration, generic.acceleration, 1e-12);
    EXPECT_NEAR(fast.low, generic.low, 1e-12);
    EXPECT_NEAR(fast.high, generic.high, 1e-12);
    const Vec theta_b = stats::bootstrap_ratio_distribution(a, b, quantile_of(q), 999, 4);
    const stats::Interval split = stats::bca_ratio_interval(a, b, quantile_of(q), theta_b, 0.95);
    EXPECT_EQ(split.low, generic.low);
    EXPECT_EQ(split.high, generic.high);
  }
}

TEST(StatsRatio, SameSampleContainsOne) {
  const Vec a = lognormal(80, 14);
  const stats::Interval iv = stats::bootstrap_ratio_quantile(a, a, 0.5, {1999, 0.95, 1});
  ASSERT_TRUE(iv.valid) << iv.note;
  EXPECT_EQ(iv.estimate, 1);
  EXPECT_LT(iv.low, 1);
  EXPECT_GT(iv.high, 1);
  EXPECT_FALSE(stats::bootstrap_ratio_quantile({1}, a, 0.5, {100, 0.95, 1}).valid);
  EXPECT_FALSE(stats::bootstrap_ratio_quantile(a, {}, 0.5, {100, 0.95, 1}).valid);
  // A zero denominator in some resample: the ratio is infinite there, no interval.
  EXPECT_FALSE(stats::bootstrap_ratio_quantile({0, 0, 1}, {1, 2, 3}, 0.5, {500, 0.95, 1}).valid);
}

}  // namespace
