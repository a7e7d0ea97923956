// What carbon-aware deferral would save on a simulated run (docs/adapt.md "Carbon-aware
// scheduling"): each request's energy (SimResult::per_request) priced at the grid intensity of
// the time it ran, and again with a deterministic share of the requests marked deferrable and
// moved to the cleanest start within their deadline (adapt::best_start). The model assumes
// deferral does not change a request's energy; the queueing effects of moving requests (other
// batches, other arrivals) are not simulated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "adapt/carbon_schedule.h"
#include "sim/simulator.h"

namespace wattserve::sim {

struct CarbonEvalOptions {
  int64_t trace_start_s = 0;       // wall-clock time (Unix seconds) of the trace's t = 0
  double deferrable_fraction = 0;  // in [0, 1]: which requests may wait (is_deferrable)
  double defer_deadline_s = 0;     // a deferrable request must end this long after its arrival
  double pue = 1;                  // facility overhead on every joule (>= 1)
};

struct CarbonEval {
  std::size_t requests = 0;
  std::size_t deferrable = 0;  // marked deferrable
  std::size_t deferred = 0;    // of those, moved to a later start
  double joules = 0;           // the requests' energy (sum of per-request joules), unchanged
  double g_without = 0;        // gCO2e with every request at the intensity when it ran
  double g_with = 0;           // the same with the deferrable ones at their best start
  double g_saved = 0;          // g_without - g_with (>= 0)
  double saved_fraction = 0;   // g_saved / g_without (0 when g_without is 0)
};

// Request i (in trace order) is deferrable when floor((i + 1) f) > floor(i f): an even,
// deterministic spread (f = 1/k marks every k-th request, f = 1 all, f = 0 none).
bool is_deferrable(std::size_t i, double fraction);

// Request r ran over [start + send_s, start + send_s + e2e_s), times rounded to whole seconds
// (start down, duration up, at least 1 s), at the mean intensity M over that span:
//   g = joules / 3.6e6 * pue * M.
// A deferrable request is priced at M(s*) instead, s* = best_start(series, its start, its
// duration, arrival + defer_deadline_s). Throws std::invalid_argument for a fraction outside
// [0, 1], a negative deadline, pue < 1, or a series that starts after the trace.
CarbonEval evaluate_carbon(const std::vector<SimRequestResult>& per_request,
                           const std::vector<adapt::IntensityPoint>& series,
                           const CarbonEvalOptions& options);

}  // namespace wattserve::sim
