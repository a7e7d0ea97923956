// The planner's queueing model (docs/adapt.md, "Planner"): what one stage candidate
// (variant, batch size, replicas) predicts at an arrival rate: utilisation, the mean number of
// sequences (text) or items (tensor) in a step, latency (mean and p99, waiting included) and
// energy per request. Closed-form and deterministic; planner.cpp enumerates candidates with it.
#pragma once

#include "adapt/planner.h"
#include "adapt/profile.h"

namespace wattserve::adapt {

// Erlang C: the probability that an arrival waits in an M/M/c queue with c servers and offered
// load a = arrival rate x service time (in erlangs). 1 when a >= c (unstable); 0 when a <= 0.
// Computed through the Erlang B recursion B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1, then
// C = c B / (c - a (1 - B)), which neither overflows nor loses precision for large c.
double erlang_c(int servers, double offered_load);

struct StageEstimate {
  bool stable = false;        // utilisation < 1 (the model's formulas hold)
  double utilisation = 0;     // rho: load / capacity of one replica
  double mean_in_step = 0;    // b-bar: sequences (text) or items (tensor) sharing a step
  double service_mean_s = 0;  // S(b-bar) (text) or ceil(m / B) T(b-bar) (tensor)
  double wait_mean_s = 0;     // queueing before service (M/D/c approximation)
  double wait_p99_s = 0;
  double latency_mean_s = 0;
  double latency_p99_s = 0;
  double joules_per_request = 0;  // busy energy only (the machine's idle share is added once)
};

// The estimate for `variant` running with batch size `batch` (text: continuous-batching slots)
// and `replicas` replicas, each receiving rate / replicas requests per second of `workload`.
StageEstimate estimate_stage(const VariantProfile& variant, const StageWorkload& workload,
                             int batch, int replicas, double rate_per_s);

}  // namespace wattserve::adapt
