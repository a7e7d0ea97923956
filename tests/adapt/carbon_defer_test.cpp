// Carbon-aware deferral of a bench study: durations and deadlines, the work estimate (default
// and from a resumed dataset), the plan and its text, the wait on a FakeClock (it ends exactly
// at the planned start, nothing sleeps in real time) and the dataset's carbon.json.
#include "adapt/carbon_defer.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "bench/progress.h"
#include "bench/study.h"
#include "energy/core/clock.h"

namespace wattserve::adapt {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr int64_t kT0 = 1700000000;  // 2023-11-14T22:13:20Z
// From kT0: 400 for an hour, 100 for an hour, then 300 (gCO2e/kWh).
const std::vector<IntensityPoint> kSeries = {{kT0, 400}, {kT0 + 3600, 100}, {kT0 + 7200, 300}};

bench::Study study(double cooldown_s = 0) {
  return bench::parse_study(fmt::format(R"([study]
name = "carbon"
[model]
model = "pycode-tiny"
[protocol]
warmup_runs = 0
idle_s = 0
cooldown_s = {}
)",
                                        cooldown_s),
                            "carbon.toml");
}

fs::path temp_dir(const std::string& name) {
  const auto d =
      fs::temp_directory_path() / ("wattserve-defer-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

TEST(CarbonDefer, ParsesDurations) {
  EXPECT_EQ(parse_duration_s("12h"), 43200);
  EXPECT_EQ(parse_duration_s("90m"), 5400);
  EXPECT_EQ(parse_duration_s("3600s"), 3600);
  EXPECT_EQ(parse_duration_s("1h30m"), 5400);
  EXPECT_EQ(parse_duration_s("2d"), 172800);
  EXPECT_EQ(parse_duration_s("45"), 45);
  EXPECT_EQ(parse_duration_s("1.5h"), 5400);
  for (const char* bad : {"", "h", "1x", "1h30", "-5m", "0", "0s", "1h 30m", "5y"}) {
    EXPECT_THROW(parse_duration_s(bad), std::invalid_argument) << bad;
  }
}

TEST(CarbonDefer, ParsesDeadlines) {
  EXPECT_EQ(parse_deadline_s("2h", kT0), kT0 + 7200);
  EXPECT_EQ(parse_deadline_s("2023-11-15T00:00:00Z", kT0), 1700006400);
  try {
    parse_deadline_s("tomorrow", kT0);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("--deadline tomorrow"));
  }
  EXPECT_EQ(format_utc_minutes(kT0), "2023-11-14T22:13Z");
}

TEST(CarbonDefer, EstimatesFromADefaultThenFromTheDataset) {
  const auto s = study(5);
  const auto dir = temp_dir("estimate");
  auto w = estimate_work(s, 10, dir.string());
  EXPECT_DOUBLE_EQ(w.per_run_s, kDefaultRunSeconds + 5);
  EXPECT_DOUBLE_EQ(w.total_s, 10 * (kDefaultRunSeconds + 5));
  EXPECT_THAT(w.basis, HasSubstr("default"));

  // Two ok records of this study (20 s, 40 s); a failed one, another study's and junk ignored.
  fs::create_directories(dir / "runs");
  const auto rec = [&](const std::string& id, const std::string& hash, const std::string& status,
                       double d) {
    std::ofstream(dir / "runs" / (id + ".json")) << json{
        {"run_id", id},
        {"study", {{"hash", hash}}},
        {"status", status},
        {"duration_s", d}}.dump();
  };
  const auto hash = bench::study_hash(s);
  rec("a", hash, "ok", 20);
  rec("b", hash, "ok", 40);
  rec("c", hash, "failed", 1000);
  rec("d", "other", "ok", 1000);
  std::ofstream(dir / "runs" / "e.json") << "{";
  w = estimate_work(s, 3, dir.string());
  EXPECT_DOUBLE_EQ(w.per_run_s, 30 + 5);
  EXPECT_DOUBLE_EQ(w.total_s, 3 * 35);
  EXPECT_THAT(w.basis, HasSubstr("mean of the 2 run(s)"));
  fs::remove_all(dir);
}

TEST(CarbonDefer, PlansTheCleanestStartAndSaysSo) {
  WorkEstimate w{10, 180, 1800, "test"};
  auto p = plan_deferral(kSeries, "f.csv", kT0 + 600, kT0 + 12 * 3600, w);
  EXPECT_TRUE(p.deferred());
  EXPECT_TRUE(p.meets_deadline);
  EXPECT_EQ(p.start.start_s, kT0 + 3600);
  EXPECT_DOUBLE_EQ(p.start.mean_g_per_kwh, 100);
  EXPECT_DOUBLE_EQ(p.start.now_g_per_kwh, 400);
  EXPECT_THAT(p.text(), HasSubstr("starting at 2023-11-14T23:13Z (in 50m00s), mean intensity 100 "
                                  "gCO2e/kWh against 400 now: 75 % less CO2e"));
  const auto j = p.to_json();
  EXPECT_EQ(j["start"], "2023-11-14T23:13:20Z");
  EXPECT_EQ(j["deferred_s"], 3000);
  EXPECT_EQ(p.run_intensity().g_per_kwh, 100);
  EXPECT_THAT(p.run_intensity().source, HasSubstr("series:f.csv"));

  // A deadline too close to wait for the clean hour: now.
  p = plan_deferral(kSeries, "f.csv", kT0 + 600, kT0 + 3600, w);
  EXPECT_FALSE(p.deferred());
  EXPECT_THAT(p.text(), HasSubstr("starting now: no cleaner start"));
  // Work longer than the time to the deadline: now, and said.
  p = plan_deferral(kSeries, "f.csv", kT0 + 600, kT0 + 1200, w);
  EXPECT_FALSE(p.meets_deadline);
  EXPECT_THAT(p.text(), HasSubstr("do not fit before the deadline"));
  // A series that starts after now.
  EXPECT_THROW(plan_deferral(kSeries, "f.csv", kT0 - 1, kT0 + 7200, w), std::invalid_argument);
}

TEST(CarbonDefer, WaitEndsExactlyAtTheStartOnTheInjectedClock) {
  energy::FakeClock clock(1'000'000'000, kT0 * 1'000'000'000LL);
  const int64_t start = kT0 + 150;
  std::vector<int64_t> ticks;
  std::atomic<bool> done{false};
  std::atomic<int64_t> ended_ns{0};
  std::thread t([&] {
    wait_until_wall(
        clock, start, [&](int64_t r) { ticks.push_back(r); }, 60);
    ended_ns = clock.wall_ns();
    done = true;
  });
  for (int64_t step : {60, 60}) {
    ASSERT_TRUE(clock.wait_for_sleepers(1));
    EXPECT_FALSE(done);
    clock.advance(std::chrono::seconds(step));
  }
  ASSERT_TRUE(clock.wait_for_sleepers(1));
  EXPECT_FALSE(done);
  clock.advance(std::chrono::seconds(30));
  t.join();
  EXPECT_EQ(ended_ns, start * 1'000'000'000LL);
  EXPECT_EQ(ticks, (std::vector<int64_t>{150, 90, 30}));

  // A start in the past: no wait at all.
  wait_until_wall(clock, kT0, nullptr);
}

TEST(CarbonDefer, DeferStudyWritesThePlanWaitsAndRecordsTheOutcome) {
  const auto dir = temp_dir("study");
  energy::FakeClock clock(1'000'000'000, (kT0 + 600) * 1'000'000'000LL);
  std::FILE* log = std::tmpfile();
  bench::Progress progress(log, false, false);
  DeferPlan plan;
  std::atomic<bool> done{false};
  std::thread t([&] {
    plan = defer_study(kSeries, "f.csv", "12h", study(), 4, dir.string(), clock, progress);
    done = true;
  });
  // The plan is on disk before the wait.
  ASSERT_TRUE(clock.wait_for_sleepers(1));
  auto doc = read_json(dir / "carbon.json");
  ASSERT_EQ(doc["plans"].size(), 1u);
  EXPECT_EQ(doc["schema"], "wattserve.bench-carbon");
  EXPECT_EQ(doc["plans"][0]["deferred"], true);
  EXPECT_EQ(doc["plans"][0]["estimate"]["runs"], 4);
  // 3000 s to the clean hour, in steps of at most a minute.
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(clock.wait_for_sleepers(1)) << i;
    EXPECT_FALSE(done);
    clock.advance(std::chrono::seconds(60));
  }
  t.join();
  EXPECT_EQ(clock.wall_ns(), (kT0 + 3600) * 1'000'000'000LL);
  EXPECT_EQ(plan.start.start_s, kT0 + 3600);

  record_outcome(dir.string(), 3.6e6, 1.5);  // 1 kWh at PUE 1.5: 150 g against 600 g now
  doc = read_json(dir / "carbon.json");
  const auto& o = doc["plans"][0]["outcome"];
  EXPECT_DOUBLE_EQ(o["g_co2e"].get<double>(), 150);
  EXPECT_DOUBLE_EQ(o["g_co2e_if_started_now"].get<double>(), 600);
  EXPECT_DOUBLE_EQ(o["saved_g"].get<double>(), 450);

  std::rewind(log);
  char buf[4096] = {};
  const auto n = std::fread(buf, 1, sizeof buf - 1, log);
  const std::string text(buf, n);
  EXPECT_THAT(text, HasSubstr("carbon: starting at 2023-11-14T23:13Z"));
  EXPECT_THAT(text, HasSubstr("waiting for cleaner power"));
  std::fclose(log);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wattserve::adapt
