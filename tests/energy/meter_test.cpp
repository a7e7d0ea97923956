#include "energy/core/meter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <future>
#include <numbers>
#include <random>
#include <thread>

#include "fake_sensors.h"

namespace wattserve::energy {
namespace {

using testing::FunctionCounterSensor;
using testing::FunctionPowerSensor;
using testing::make_domain;

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kMs = 1'000'000;

// P(t) = 30 + 5 cos(t)  =>  E(t) = 30 t + 5 sin(t)
double smooth_energy(double t) {
  return 30 * t + 5 * std::sin(t);
}

struct Fixture {
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>(kSec);
  std::unique_ptr<Meter> meter;
  void advance(int64_t ns, int64_t step = 100 * kMs) {
    for (int64_t done = 0; done < ns; done += step) {
      clock->advance_ns(std::min(step, ns - done));
      meter->sample_now();
    }
  }
};

Fixture counter_fixture(std::vector<Domain> domains, std::vector<std::function<double(double)>> f) {
  Fixture fx;
  std::vector<std::unique_ptr<Sensor>> s;
  s.push_back(std::make_unique<FunctionCounterSensor>(std::move(domains), std::move(f)));
  MeterOptions o;
  o.clock = fx.clock;
  fx.meter = std::make_unique<Meter>(std::move(s), o);
  return fx;
}

Fixture constant_power_fixture(double watts) {
  return counter_fixture({make_domain("pkg", DomainKind::kCpuPackage, Source::kCounter)},
                         {[watts](double t) { return watts * t; }});
}

TEST(Meter, CounterWindowIsExactAtArbitraryBoundaries) {
  auto fx = counter_fixture({make_domain("pkg", DomainKind::kCpuPackage, Source::kCounter)},
                            {smooth_energy});
  fx.meter->sample_now();
  fx.advance(123 * kMs);
  auto id = fx.meter->begin("w");
  const double t0 = ns_to_s(fx.clock->now_ns());
  fx.advance(2'371 * kMs, 97 * kMs);
  auto r = fx.meter->end(id);
  const double t1 = ns_to_s(fx.clock->now_ns());
  const double truth = smooth_energy(t1) - smooth_energy(t0);
  EXPECT_NEAR(r.joules, truth, truth * 1e-12);
  EXPECT_NEAR(r.duration_s, t1 - t0, 1e-12);
  EXPECT_NEAR(r.avg_watts, truth / (t1 - t0), 1e-9);
  EXPECT_EQ(r.source, Source::kCounter);
  ASSERT_EQ(r.domains.size(), 1u);
  EXPECT_EQ(r.domains[0].id, "pkg");
}

TEST(Meter, IntegratedPowerTraceWithinOneThousandth) {
  // P(t) = 50 + 20 sin(2 pi t / 0.7): integrated by trapezoid from 1 ms samples.
  Fixture fx;
  const double w = 2 * std::numbers::pi / 0.7;
  auto p = [w](double t) { return 50 + 20 * std::sin(w * t); };
  auto e = [w](double t) { return 50 * t - 20 / w * std::cos(w * t); };
  std::vector<std::unique_ptr<Sensor>> s;
  s.push_back(std::make_unique<FunctionPowerSensor>(
      make_domain("gpu", DomainKind::kGpu, Source::kPower), p));
  MeterOptions o;
  o.clock = fx.clock;
  o.interval_ns = kMs;
  fx.meter = std::make_unique<Meter>(std::move(s), o);
  fx.meter->sample_now();
  auto id = fx.meter->begin();
  const double t0 = ns_to_s(fx.clock->now_ns());
  fx.advance(3 * kSec + 333 * kMs, kMs);
  auto r = fx.meter->end(id);
  const double truth = e(ns_to_s(fx.clock->now_ns())) - e(t0);
  EXPECT_NEAR(r.joules, truth, truth * 1e-3);
  EXPECT_EQ(r.source, Source::kPower);
}

TEST(Meter, NestedAndOverlappingWindowsEachSeeAllTheirEnergy) {
  auto fx = counter_fixture({make_domain("pkg", DomainKind::kCpuPackage, Source::kCounter)},
                            {smooth_energy});
  auto a = fx.meter->begin("a");
  const double ta0 = ns_to_s(fx.clock->now_ns());
  fx.advance(kSec);
  auto b = fx.meter->begin("b");
  const double tb0 = ns_to_s(fx.clock->now_ns());
  fx.advance(500 * kMs);
  auto c = fx.meter->begin("c");
  const double tc0 = ns_to_s(fx.clock->now_ns());
  fx.advance(500 * kMs);
  auto rb = fx.meter->end(b);
  const double tb1 = ns_to_s(fx.clock->now_ns());
  fx.advance(2 * kSec);
  auto ra = fx.meter->end(a);
  const double ta1 = ns_to_s(fx.clock->now_ns());
  fx.advance(kSec);
  auto rc = fx.meter->end(c);
  const double tc1 = ns_to_s(fx.clock->now_ns());
  EXPECT_NEAR(ra.joules, smooth_energy(ta1) - smooth_energy(ta0), 1e-9);
  EXPECT_NEAR(rb.joules, smooth_energy(tb1) - smooth_energy(tb0), 1e-9);
  EXPECT_NEAR(rc.joules, smooth_energy(tc1) - smooth_energy(tc0), 1e-9);
}

TEST(Meter, ConcurrentWindowsSplitEachIntervalAndAddUpToTheTotal) {
  auto fx = constant_power_fixture(100);
  auto a = fx.meter->begin("a");  // [0, 4]
  fx.advance(kSec);
  auto b = fx.meter->begin("b");  // [1, 2]
  fx.advance(500 * kMs);
  auto c = fx.meter->begin("c");  // [1.5, 5]
  fx.advance(500 * kMs);
  auto rb = fx.meter->end(b);
  fx.advance(2 * kSec);
  auto ra = fx.meter->end(a);
  fx.advance(kSec);
  auto rc = fx.meter->end(c);
  // [0,1] a alone 100 J; [1,1.5] a,b 25 J each; [1.5,2] a,b,c 50/3 J each; [2,4] a,c 100 J each;
  // [4,5] c alone 100 J.
  EXPECT_NEAR(ra.attributed_joules, 100 + 25 + 50.0 / 3 + 100, 1e-9);
  EXPECT_NEAR(rb.attributed_joules, 25 + 50.0 / 3, 1e-9);
  EXPECT_NEAR(rc.attributed_joules, 50.0 / 3 + 100 + 100, 1e-9);
  EXPECT_NEAR(ra.attributed_joules + rb.attributed_joules + rc.attributed_joules, 500, 1e-9);
  EXPECT_NEAR(ra.joules, 400, 1e-9);
}

TEST(Meter, TotalsChargeEveryJouleToAWindowOrToUnattributed) {
  // 100 W and an uncounted 40 W domain inside it (e.g. a core): only counted domains add up.
  auto fx = counter_fixture({make_domain("pkg", DomainKind::kCpuPackage, Source::kCounter),
                             make_domain("core", DomainKind::kCpuCore, Source::kCounter, false)},
                            {[](double t) { return 100 * t; }, [](double t) { return 40 * t; }});
  fx.meter->sample_now();
  fx.advance(kSec);                  // [0,1] nothing open: 100 J unattributed
  auto a = fx.meter->begin("a", 0);  // a weight of 0 still takes the interval when alone
  fx.advance(500 * kMs);
  auto b = fx.meter->begin("b", 3);
  fx.advance(kSec);
  const auto ra = fx.meter->end(a);
  fx.advance(250 * kMs);
  const auto rb = fx.meter->end(b);
  fx.advance(2 * kSec);  // [2.75,4.75] idle again: 200 J
  const MeterTotals t = fx.meter->totals();
  EXPECT_NEAR(t.joules, 475, 1e-9);
  EXPECT_NEAR(t.unattributed_joules, 300, 1e-9);
  EXPECT_NEAR(ra.attributed_joules + rb.attributed_joules + t.unattributed_joules, t.joules, 1e-9);
}

TEST(Meter, WeightsSplitSharedIntervalsAndCanChange) {
  auto fx = constant_power_fixture(40);
  auto a = fx.meter->begin("a", 1);
  auto b = fx.meter->begin("b", 3);
  fx.advance(kSec);  // 40 J: a 10, b 30
  fx.meter->set_weight(a, 3);
  fx.advance(kSec);  // 40 J: a 20, b 20
  auto ra = fx.meter->end(a);
  auto rb = fx.meter->end(b);
  EXPECT_NEAR(ra.attributed_joules, 30, 1e-9);
  EXPECT_NEAR(rb.attributed_joules, 50, 1e-9);
  EXPECT_DOUBLE_EQ(ra.weight, 3);
}

TEST(Meter, SetWeightsChangesSeveralAtOneSampleAndRejectsBadInputWhole) {
  auto fx = constant_power_fixture(60);
  auto a = fx.meter->begin("a", 1);
  auto b = fx.meter->begin("b", 1);
  fx.advance(kSec);  // 60 J: a 30, b 30
  const std::pair<Meter::WindowId, double> both[] = {{a, 1}, {b, 2}};
  fx.meter->set_weights(both);
  fx.advance(kSec);  // 60 J: a 20, b 40
  // An unknown window or a bad weight changes nothing.
  const std::pair<Meter::WindowId, double> bad_id[] = {{a, 5}, {9999, 1}};
  EXPECT_THROW(fx.meter->set_weights(bad_id), std::invalid_argument);
  const std::pair<Meter::WindowId, double> bad_weight[] = {{a, 5}, {b, -1}};
  EXPECT_THROW(fx.meter->set_weights(bad_weight), std::invalid_argument);
  fx.advance(kSec);  // 60 J: a 20, b 40
  EXPECT_NEAR(fx.meter->end(a).attributed_joules, 70, 1e-9);
  EXPECT_NEAR(fx.meter->end(b).attributed_joules, 110, 1e-9);
}

TEST(Meter, ZeroWeightsFallBackToEqualShares) {
  auto fx = constant_power_fixture(10);
  auto a = fx.meter->begin("a", 0);
  auto b = fx.meter->begin("b", 0);
  fx.advance(kSec);
  EXPECT_NEAR(fx.meter->end(a).attributed_joules, 5, 1e-9);
  EXPECT_NEAR(fx.meter->end(b).attributed_joules, 5, 1e-9);
}

TEST(Meter, IdleBaselineGivesDynamicEnergy) {
  // 20 W until t = 3 s (idle), then 50 W.
  auto fx = counter_fixture({make_domain("pkg", DomainKind::kCpuPackage, Source::kCounter)},
                            {[](double t) { return t < 3 ? 20 * t : 60 + 50 * (t - 3); }});
  auto idle = fx.meter->begin("idle");
  fx.advance(2 * kSec);  // t = 1 .. 3
  auto base = Meter::baseline_from(fx.meter->end(idle));
  ASSERT_EQ(base.watts.size(), 1u);
  EXPECT_NEAR(base.watts[0], 20, 1e-9);
  fx.meter->set_idle_baseline(base);
  auto w = fx.meter->begin();
  fx.advance(4 * kSec);
  auto r = fx.meter->end(w);
  EXPECT_TRUE(r.has_baseline);
  EXPECT_NEAR(r.joules, 200, 1e-9);
  EXPECT_NEAR(r.dynamic_joules, 120, 1e-9);
  EXPECT_NEAR(r.attributed_dynamic_joules, 120, 1e-9);
  EXPECT_NEAR(r.domains[0].idle_watts, 20, 1e-12);
}

TEST(Meter, DynamicEnergyIsNeverNegative) {
  auto fx = constant_power_fixture(10);
  fx.meter->set_idle_baseline({{15}, 0});
  auto w = fx.meter->begin();
  fx.advance(kSec);
  auto r = fx.meter->end(w);
  EXPECT_EQ(r.dynamic_joules, 0);
  EXPECT_EQ(r.attributed_dynamic_joules, 0);
}

TEST(Meter, UncountedDomainsStayOutOfTotalsAndSourceIsTheWeakest) {
  Fixture fx;
  std::vector<std::unique_ptr<Sensor>> s;
  s.push_back(std::make_unique<FunctionCounterSensor>(
      std::vector<Domain>{make_domain("pkg", DomainKind::kCpuPackage, Source::kCounter),
                          make_domain("core", DomainKind::kCpuCore, Source::kCounter, false)},
      std::vector<std::function<double(double)>>{[](double t) { return 10 * t; },
                                                 [](double t) { return 7 * t; }}));
  s.push_back(std::make_unique<FunctionPowerSensor>(
      make_domain("gpu", DomainKind::kGpu, Source::kPower), [](double) { return 5.0; }));
  MeterOptions o;
  o.clock = fx.clock;
  fx.meter = std::make_unique<Meter>(std::move(s), o);
  auto w = fx.meter->begin();
  fx.advance(2 * kSec);
  auto r = fx.meter->end(w);
  EXPECT_NEAR(r.joules, 30, 1e-9);  // 20 (pkg) + 10 (gpu); core is inside pkg
  EXPECT_NEAR(r.domains[1].joules, 14, 1e-9);
  EXPECT_FALSE(r.domains[1].counted);
  EXPECT_EQ(r.source, Source::kPower);
}

TEST(Meter, FailedReadsAreCountedAndDoNotInventEnergy) {
  Fixture fx;
  auto sensor = std::make_unique<FunctionCounterSensor>(
      std::vector<Domain>{make_domain("pkg", DomainKind::kCpuPackage, Source::kCounter)},
      std::vector<std::function<double(double)>>{[](double t) { return 10 * t; }});
  auto* raw = sensor.get();
  std::vector<std::unique_ptr<Sensor>> s;
  s.push_back(std::move(sensor));
  MeterOptions o;
  o.clock = fx.clock;
  fx.meter = std::make_unique<Meter>(std::move(s), o);
  auto w = fx.meter->begin();
  fx.clock->advance_ns(kSec);
  raw->fail_next = true;
  fx.meter->sample_now();  // fails: value held
  fx.advance(kSec);        // recovers: the counter's full advance is seen
  auto r = fx.meter->end(w);
  EXPECT_EQ(r.read_errors, 1u);
  EXPECT_NEAR(r.joules, 20, 1e-9);
}

TEST(Meter, ListenersSeeEveryIntervalOnce) {
  auto fx = constant_power_fixture(10);
  double seen = 0;
  int64_t covered = 0;
  fx.meter->add_listener([&](int64_t t0, int64_t t1, std::span<const double> d) {
    seen += d[0];
    covered += t1 - t0;
  });
  fx.meter->sample_now();
  fx.advance(3 * kSec, 250 * kMs);
  EXPECT_NEAR(seen, 30, 1e-9);
  EXPECT_EQ(covered, 3 * kSec);
  auto p = fx.meter->last_power();
  EXPECT_NEAR(p[0], 10, 1e-9);
}

TEST(Meter, TimelineIsBounded) {
  Fixture fx;
  std::vector<std::unique_ptr<Sensor>> s;
  s.push_back(std::make_unique<FunctionCounterSensor>(
      std::vector<Domain>{make_domain("pkg", DomainKind::kCpuPackage, Source::kCounter)},
      std::vector<std::function<double(double)>>{[](double t) { return t; }}));
  MeterOptions o;
  o.clock = fx.clock;
  o.timeline_capacity = 5;
  fx.meter = std::make_unique<Meter>(std::move(s), o);
  for (int i = 0; i < 12; ++i) {
    fx.clock->advance_ns(kSec);
    fx.meter->sample_now();
  }
  auto tl = fx.meter->timeline();
  ASSERT_EQ(tl.size(), 5u);
  EXPECT_EQ(tl.back().t_ns, fx.clock->now_ns());
  EXPECT_EQ(tl.front().t_ns, fx.clock->now_ns() - 4 * kSec);
  EXPECT_EQ(fx.meter->samples_taken(), 12u);
}

TEST(Meter, RejectsBadInput) {
  auto fx = constant_power_fixture(1);
  EXPECT_THROW(fx.meter->end(42), std::invalid_argument);
  auto w = fx.meter->begin();
  fx.meter->end(w);
  EXPECT_THROW(fx.meter->end(w), std::invalid_argument);
  EXPECT_THROW(fx.meter->begin("x", -1), std::invalid_argument);
  EXPECT_THROW(fx.meter->begin("x", std::nan("")), std::invalid_argument);
  EXPECT_THROW(fx.meter->set_idle_baseline({{1, 2}, 0}), std::invalid_argument);
  MeterOptions o;
  o.interval_ns = 999'999;
  EXPECT_THROW(Meter({}, o), std::invalid_argument);
  std::vector<std::unique_ptr<Sensor>> dup;
  for (int i = 0; i < 2; ++i) {
    dup.push_back(std::make_unique<FunctionPowerSensor>(
        make_domain("same", DomainKind::kGpu, Source::kPower), [](double) { return 1.0; }));
  }
  EXPECT_THROW(Meter(std::move(dup)), std::invalid_argument);
}

// The sampling loop runs on the meter's clock: with a FakeClock it takes one sample each time
// fake time passes an interval, at exactly that time, and never on real time.
TEST(Meter, SamplingLoopRunsOnTheMetersClock) {
  auto fx = constant_power_fixture(10);
  const int64_t t0 = fx.clock->now_ns();
  fx.meter->start();  // one sample: the origin
  ASSERT_TRUE(fx.clock->wait_for_sleepers(1));
  for (int k = 1; k <= 5; ++k) {
    fx.clock->advance_ns(100 * kMs);
    ASSERT_TRUE(fx.clock->wait_for_sleepers(1));  // sampled, and asleep again
    EXPECT_EQ(fx.meter->samples_taken(), static_cast<uint64_t>(1 + k));
  }
  fx.clock->advance_ns(60 * kMs);  // less than an interval: no sample
  fx.clock->advance_ns(30 * kMs);
  EXPECT_EQ(fx.clock->sleepers(), 1u);
  EXPECT_EQ(fx.meter->samples_taken(), 6u);
  fx.clock->advance_ns(10 * kMs);
  ASSERT_TRUE(fx.clock->wait_for_sleepers(1));
  EXPECT_EQ(fx.meter->samples_taken(), 7u);
  fx.clock->advance_ns(1000 * kMs);  // fell behind by ten intervals: one sample, not a burst
  ASSERT_TRUE(fx.clock->wait_for_sleepers(1));
  EXPECT_EQ(fx.meter->samples_taken(), 8u);
  fx.clock->advance_ns(100 * kMs);  // and the next one an interval after it
  ASSERT_TRUE(fx.clock->wait_for_sleepers(1));
  EXPECT_EQ(fx.meter->samples_taken(), 9u);
  fx.meter->stop();  // wakes the loop without time moving; takes a final sample
  EXPECT_EQ(fx.meter->samples_taken(), 10u);
  std::vector<int64_t> at;
  for (const Sample& s : fx.meter->timeline()) at.push_back((s.t_ns - t0) / kMs);
  EXPECT_EQ(at, (std::vector<int64_t>{0, 100, 200, 300, 400, 500, 600, 1600, 1700, 1700}));
  EXPECT_NEAR(fx.meter->totals().joules, 10 * 1.7, 1e-9);
}

// measure_idle() waits on the meter's clock: it returns once fake time has passed its duration,
// whether it samples itself (no sampling thread) or the sampling thread does.
TEST(Meter, MeasureIdleReturnsWhenFakeTimeHasPassed) {
  for (const bool threaded : {false, true}) {
    SCOPED_TRACE(threaded ? "sampling thread" : "no sampling thread");
    auto fx = constant_power_fixture(12);
    if (threaded) fx.meter->start();
    const size_t sleepers = threaded ? 2 : 1;
    auto idle = std::async(std::launch::async, [&] { return fx.meter->measure_idle(kSec); });
    for (int k = 0; k < 10; ++k) {
      ASSERT_TRUE(fx.clock->wait_for_sleepers(sleepers));
      EXPECT_EQ(idle.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
      fx.clock->advance_ns(100 * kMs);
    }
    const IdleBaseline b = idle.get();
    EXPECT_DOUBLE_EQ(b.duration_s, 1.0);
    ASSERT_EQ(b.watts.size(), 1u);
    EXPECT_NEAR(b.watts[0], 12, 1e-9);
    fx.meter->stop();
  }
}

// Many threads open and close windows while the sampling thread runs (run under TSan in CI).
// Whatever the timing, each window sees exactly P x duration, and the attributed shares of all
// windows add up to the energy of the time covered by at least one window.
TEST(MeterConcurrency, ManyThreadsOfWindowsStayExactAndAddUp) {
  constexpr double kWatts = 10;
  std::vector<std::unique_ptr<Sensor>> s;
  auto clock = system_clock();
  s.push_back(std::make_unique<FunctionCounterSensor>(
      std::vector<Domain>{make_domain("pkg", DomainKind::kCpuPackage, Source::kCounter)},
      std::vector<std::function<double(double)>>{[](double t) { return kWatts * t; }}));
  MeterOptions o;
  o.interval_ns = kMs;
  Meter meter(std::move(s), o);
  meter.start();
  constexpr int kThreads = 8, kPerThread = 40;
  std::vector<std::vector<WindowReport>> reports(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int i = 0; i < kPerThread; ++i) {
        auto id = meter.begin("t", 1.0 + static_cast<double>(rng() % 4));
        for (auto k = rng() % 3; k > 0; --k) meter.peek(id);
        reports[t].push_back(meter.end(id));
      }
    });
  }
  for (auto& th : threads) th.join();
  meter.stop();
  std::vector<std::pair<int64_t, int64_t>> spans;
  double attributed = 0;
  for (const auto& per : reports) {
    for (const auto& r : per) {
      EXPECT_NEAR(r.joules, kWatts * r.duration_s, 1e-6);
      attributed += r.attributed_joules;
      spans.emplace_back(r.begin_ns, r.end_ns);
    }
  }
  std::sort(spans.begin(), spans.end());
  int64_t covered = 0, cur_b = spans[0].first, cur_e = spans[0].second;
  for (const auto& [b, e] : spans) {
    if (b > cur_e) {
      covered += cur_e - cur_b;
      cur_b = b;
      cur_e = e;
    } else {
      cur_e = std::max(cur_e, e);
    }
  }
  covered += cur_e - cur_b;
  EXPECT_NEAR(attributed, kWatts * ns_to_s(covered), 1e-6);
}

}  // namespace
}  // namespace wattserve::energy
