// Carbon-aware deferral of a bench study (docs/adapt.md "Carbon-aware scheduling"): estimate how
// long the study's remaining runs take, choose the start before the deadline with the least mean
// grid intensity (carbon_schedule.h), record the plan in the dataset (OUT/carbon.json) and wait
// for that start on the injected clock. `wattserve bench --carbon-intensity CSV --deadline D`
// binds it; the sweep calls it once the dataset is open and the runs to do are known.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapt/carbon_schedule.h"
#include "bench/progress.h"
#include "bench/study.h"
#include "energy/core/carbon.h"
#include "energy/core/clock.h"

namespace wattserve::adapt {

// A duration: "12h", "90m", "3600s", "1h30m", "2d", or a bare number of seconds. Throws
// std::invalid_argument for anything else, zero or a negative duration.
int64_t parse_duration_s(const std::string& text);

// A deadline: a duration from `now_s` (parse_duration_s), or a time (RFC 3339). Throws
// std::invalid_argument naming the text.
int64_t parse_deadline_s(const std::string& text, int64_t now_s);

// "2026-12-07T03:00Z" (UTC, minutes).
std::string format_utc_minutes(int64_t unix_s);

// Per run when nothing better is known (no run of the study measured yet).
inline constexpr double kDefaultRunSeconds = 60;

// How long a study's remaining runs are expected to take.
struct WorkEstimate {
  std::size_t runs = 0;
  double per_run_s = 0;  // a run and the cool-down after it
  double total_s = 0;    // runs x per_run_s, plus the idle-baseline measurements
  std::string basis;     // where per_run_s comes from, for people
  nlohmann::json to_json() const;
};

// per_run_s: the mean duration_s of the ok records in DIR/runs/*.json of this study (a resumed
// dataset), else max(kDefaultRunSeconds, workload.min_duration_s); plus protocol.cooldown_s. The
// idle baseline (protocol.idle_s) is measured once and again every protocol.idle_every_min.
WorkEstimate estimate_work(const bench::Study& study, std::size_t runs, const std::string& dir);

struct DeferPlan {
  std::string intensity_path;
  int64_t planned_at_s = 0;  // wall clock when planned (Unix s)
  int64_t deadline_s = 0;    // the work should end by then
  WorkEstimate work;
  StartChoice start;           // best_start(series, planned_at_s, work, deadline_s)
  bool meets_deadline = true;  // planned_at_s + the estimate <= deadline_s
  bool deferred() const { return start.start_s > planned_at_s; }
  // "starting at 2026-12-07T03:00Z (in 5h12m), mean intensity 205 gCO2e/kWh against 297 now:
  // 31 % less CO2e for the same energy", or why it starts now.
  std::string text() const;
  nlohmann::json to_json() const;
  // The intensity the runs are priced at: the planned window's mean, its source the series.
  energy::CarbonIntensity run_intensity() const;
};

// Throws std::invalid_argument when the series does not cover `now_s`.
DeferPlan plan_deferral(const std::vector<IntensityPoint>& series, const std::string& path,
                        int64_t now_s, int64_t deadline_s, const WorkEstimate& work);

// plan_deferral() for a study's `runs` remaining runs in dataset folder `dir` (estimate_work),
// the deadline as parse_deadline_s() reads it.
DeferPlan plan_study_deferral(const std::vector<IntensityPoint>& series, const std::string& path,
                              const std::string& deadline, const bench::Study& study,
                              std::size_t runs, const std::string& dir, int64_t now_s);

// Blocks until `clock`'s wall time reaches start_s (returns at once when it has), sleeping on
// the clock in steps of at most tick_s and calling tick(remaining seconds) before each step.
// The wall time is read again after every step, so a clock that jumps is followed.
void wait_until_wall(energy::Clock& clock, int64_t start_s,
                     const std::function<void(int64_t)>& tick, int64_t tick_s = 60);

// DIR/carbon.json (written atomically): {"schema": "wattserve.bench-carbon", "schema_version": 1,
// "plans": [plan, ...]}, one plan per invocation that deferred, the last one appended (an
// unreadable file is replaced). record_outcome() adds to the last plan "outcome": {"joules",
// "pue", "g_co2e" (at the planned mean intensity), "g_co2e_if_started_now", "saved_g"}.
void write_plan(const std::string& dir, const DeferPlan& plan);
void record_outcome(const std::string& dir, double joules, double pue);

// What a sweep does before its first run: estimate, plan, print the plan, write it, wait.
// Returns the plan (its start is when the runs begin).
DeferPlan defer_study(const std::vector<IntensityPoint>& series, const std::string& path,
                      const std::string& deadline, const bench::Study& study, std::size_t runs,
                      const std::string& dir, energy::Clock& clock, bench::Progress& progress);

}  // namespace wattserve::adapt
