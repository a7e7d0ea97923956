// The figures of one load run against a server, from its requests' timestamps and the meter's
// samples: latency percentiles (TTFT, TPOT, ITL, E2E), pacing (how late each request was sent
// against its schedule), throughput and energy over the full window and over the steady-state
// window, SLO attainment and goodput, and each request's share of the meter's energy. The rules
// (windows, crediting requests that cross a window's edge by time, the per-request energy
// split) and every formula are in docs/bench-serving.md "Serving metrics".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "bench/dataset.h"
#include "bench/load/loadgen.h"

namespace wattserve::bench::load {

// Latency objectives of a run; 0 = none. A request meets the SLO when it succeeded and meets
// every objective set.
struct SloSpec {
  double ttft_s = 0;
  double tpot_s = 0;
  double e2e_s = 0;
};

// The meter's cumulative energy (counted domains, joules) at each sample, in time order.
struct EnergyTrack {
  std::vector<int64_t> t_ns;
  std::vector<double> joules;
  // Cumulative energy at t by linear interpolation between samples (clamped at the ends);
  // NaN when there are fewer than 2 samples.
  double at(int64_t t) const;
};

// A window [begin, end] and what happened in it.
struct WindowFigures {
  int64_t begin_ns = 0, end_ns = 0;
  double requests = 0;       // successful requests credited (fractions for those crossing an edge)
  double output_tokens = 0;  // output tokens credited
  double tokens = 0;         // prompt + output tokens credited
  double joules = 0;         // meter energy between the edges (NaN without samples)
};

struct LoadFigures {
  nlohmann::json timings;  // {ttft, tpot, itl, e2e}: {mean, p50, p90, p99, max, n} (seconds)
  nlohmann::json pacing;   // lateness of the sends against the schedule (ms)
  nlohmann::json windows;  // {full: {...}, steady: {...} or null, steady_rule}
  nlohmann::json metrics;  // throughput, SLO attainment, goodput, energy per unit
  std::vector<double> meter_joules;  // each result's share of the meter's energy
  std::vector<bool> slo_met;
  WindowFigures full, steady;
  bool has_steady = false;
};

// `process_fraction` in [0, 1]: the share of the machine's energy the server's process tree
// had over the run (NaN when not measured); per-request process energy is scaled by it.
LoadFigures load_figures(const LoadOutcome& outcome, const EnergyTrack& energy, const SloSpec& slo,
                         double process_fraction);

// One row per request (times in seconds from the run's start) for requests.csv.
CsvTable request_table(const LoadOutcome& outcome, const LoadFigures& figures);

}  // namespace wattserve::bench::load
