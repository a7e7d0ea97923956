// What `wattserve simulate` does with the simulator (docs/adapt.md "Simulator" and
// "Evaluation"): read a trace as bench's replay does, build the configurations a policy may use
// from profiles, compare the static policies with the adaptive one, and check the simulator
// against the measured runs of a serving dataset.
#pragma once

#include <string>
#include <vector>

#include "adapt/profile.h"
#include "sim/simulator.h"

namespace wattserve::sim {

// A trace window scaled as bench's `load.kind = "trace"` scales it (docs/bench.md "Trace
// replay"): the context's room R = context - 1, max output R / 2 (or max_tokens), token counts
// fitted by token_map, each request's cap max(out, R - in) (or max_tokens).
struct TraceSpec {
  std::string path;
  double start_s = 0, duration_s = 0, time_scale = 1, rate_scale = 1;
  std::string token_map = "scale";
  int max_tokens = 0;
};
std::vector<SimRequest> load_sim_trace(const TraceSpec& spec, int context);

// The configurations of the text variants selected by `selector` (a profile id, a model name,
// a family, or a shell pattern over ids such as "pycode-tiny/*/llama/cpu/*/p8"; "" = the model
// with the most variants), each with every parallel cap in `caps`
// up to the profile's slots (empty caps: the profile's slots only). Throws
// std::invalid_argument when nothing matches.
std::vector<adapt::AdaptOption> options_for(const adapt::Profiles& profiles,
                                            const std::string& selector,
                                            const std::vector<int>& caps);

struct Comparison {
  std::vector<SimResult> statics;  // one per option, in the options' order
  size_t least_energy = 0;  // (a): least energy with attainment >= target (else best attainment)
  bool least_energy_meets = false;
  size_t fastest = 0;  // (b): least mean E2E latency
  SimResult adaptive;  // (c)
  double target = 0.99;
};

Comparison compare_policies(const std::vector<SimRequest>& trace,
                            const std::vector<adapt::AdaptOption>& options, const SimOptions& sim,
                            serve::SchedulePolicy schedule,
                            const adapt::ControllerOptions& controller, double period_s);

struct ValidationRow {
  std::string run_id, variant, schedule;
  bool held_out = false;
  size_t requests = 0;
  double measured_e2e_mean_s = 0, measured_e2e_p99_s = 0, measured_joules_per_request = 0;
  double measured_attainment = 0;
  SimResult simulated;
};

struct Validation {
  std::vector<ValidationRow> rows;
  std::vector<std::string> skipped;  // "RUN: why"
  // Mean absolute percentage errors (fractions), over all rows and over held-out rows.
  double mape_e2e_mean = 0, mape_e2e_p99 = 0, mape_joules = 0;
  double holdout_mape_e2e_mean = 0, holdout_mape_e2e_p99 = 0, holdout_mape_joules = 0;
  size_t holdout_rows = 0;
};

// Simulates every served run of the dataset (open-loop arrivals: trace and Poisson runs; closed
// loops are skipped) with the run's own requests, schedule, queue and SLO, and the profile of
// its variant. Throws std::invalid_argument when the dataset has no such run or no profile fits.
Validation validate(const adapt::Profiles& profiles, const std::string& dataset_dir);

}  // namespace wattserve::sim
