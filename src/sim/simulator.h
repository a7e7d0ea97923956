// `wattserve simulate`'s engine (docs/adapt.md "Simulator"): replays a request trace through
// serve's real TextWorker (its queue, FCFS / SJF with the online length predictor / oracle,
// continuous batching, admission) in virtual time, with step times and power from profiles
// (sim_model.h, coordinator.h). A request's true output length drives the simulation but is
// hidden from the scheduler and the predictor (TextJob::exact_output_tokens), as in bench.
// A policy is one static configuration, or several with the online controller
// (adapt/controller.h) switching among them every period, as `serve --adapt` does.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "adapt/controller.h"
#include "adapt/profile.h"
#include "serve/text_worker.h"

namespace wattserve::sim {

struct SimRequest {
  double t_s = 0;         // arrival, seconds from the start
  int input_tokens = 1;   // prompt
  int output_tokens = 1;  // what the request generates (hidden from the scheduler)
  int max_tokens = 1;     // the cap the client asks for (>= output_tokens)
};

struct SimPolicy {
  std::string name;
  serve::SchedulePolicy schedule = serve::SchedulePolicy::kFcfs;
  // One option: a static configuration. Several: the controller chooses among them.
  std::vector<adapt::AdaptOption> options;
  adapt::ControllerOptions controller;  // slo_e2e_s is set from SimOptions
  double period_s = 2;                  // the controller's period (virtual seconds)
};

struct SimOptions {
  double slo_e2e_s = 1.0;
  size_t max_queue = 4096;     // per worker; beyond it requests are refused (503), SLO missed
  double aging_s = 10;         // SJF aging (serve's default)
  double timeout_s = 0;        // request timeout (queue + generation); 0 = none
  bool keep_requests = false;  // fill SimResult::per_request
  // The machine's idle power (W); NaN: the largest idle_w of the policy's profiles. Comparisons
  // of several policies set one value for all (compare_policies: the largest over all options).
  double idle_w = std::numeric_limits<double>::quiet_NaN();
};

struct SimRequestResult {
  double send_s = 0, queue_s = 0, ttft_s = 0, e2e_s = 0, joules = 0;
  int input_tokens = 0, output_tokens = 0;
  bool ok = false, slo_met = false;
};

struct SimDecisionLog {
  double t_s = 0;
  std::string option;
  bool changed = false;
  double rate_per_s = 0;
  std::string reason;
};

struct SimResult {
  std::string policy;
  size_t requests = 0, ok = 0, refused = 0, failed = 0;
  double slo_attainment = 0;      // requests that finished ok within the SLO / requests
  double joules = 0;              // the machine's energy from the first arrival to the last end
  double joules_per_request = 0;  // joules / requests
  double duration_s = 0;
  double output_tokens = 0;
  double e2e_mean_s = 0, e2e_p50_s = 0, e2e_p99_s = 0;
  double ttft_mean_s = 0, ttft_p99_s = 0;
  double tpot_mean_s = 0;
  std::vector<SimRequestResult> per_request;
  std::vector<SimDecisionLog> decisions;
};

// Throws std::invalid_argument for an empty trace or policy, or a bad option.
SimResult simulate(const std::vector<SimRequest>& trace, const SimPolicy& policy,
                   const SimOptions& options);

}  // namespace wattserve::sim
