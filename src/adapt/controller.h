// The online controller of `serve --adapt` and of the simulator's adaptive policy
// (docs/adapt.md "Online adaptation"). Every period it gets what happened in the last window
// (arrivals, finished requests, how many met the SLO, the queue) and chooses which of the
// loaded configurations serves new requests, and with how many parallel slots: the one with the
// least predicted energy per request whose predicted utilisation at the observed rate stays
// under the headroom and whose predicted p99 latency meets the SLO (the planner's queueing model,
// planner.h, through predict()). Feedback on top of the prediction: when attainment in a window
// falls below the target the controller moves to the next faster configuration and keeps it
// for `hold_windows` windows; the same happens when the queue holds more than `queue_alarm`
// requests. Pure logic: no clock, no I/O; every decision carries its reason.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "adapt/profile.h"

namespace wattserve::adapt {

// A configuration the controller may switch to: a loaded model variant (profile) with a cap on
// its parallel slots.
struct AdaptOption {
  std::string name;  // for logs and /metrics: "pycode-tiny/q4_0/llama/cpu/t1/p8@4"
  VariantProfile profile;
  int parallel = 1;  // slots used (<= the profile's)
};

// What the model predicts for an option at an arrival rate (Poisson), for requests of mean
// `input_tokens` prompt and `output_tokens` output tokens (p99 output `output_tokens_p99`).
struct OptionPrediction {
  double capacity_per_s = 0;      // parallel / S(parallel)
  double utilisation = 0;         // rate / capacity
  double mean_sequences = 0;      // b: fixed point of b = clamp(rate * S(b), 1, parallel)
  double joules_per_request = 0;  // busy energy per request + idle power / rate
  double latency_mean_s = 0;
  double latency_p99_s = 0;
};

struct RequestShape {
  double input_tokens = 32, output_tokens = 32, output_tokens_p99 = 0;
};

OptionPrediction predict(const AdaptOption& option, double rate_per_s, const RequestShape& shape);

struct ControllerOptions {
  double slo_e2e_s = 1.0;       // the latency SLO (seconds, end to end)
  double target = 0.99;         // SLO attainment to keep
  double headroom = 0.7;        // predicted utilisation allowed at the observed rate
  size_t hold_windows = 3;      // windows a feedback escalation lasts
  size_t queue_alarm = 64;      // queued requests that count as a missed window
  double rate_smoothing = 0.5;  // EWMA weight of the newest window's rate
  // Options whose profiled quality is known and below this are never chosen (the variant's
  // accuracy or reference-token likelihood, VariantProfile::quality); 0: any.
  double min_quality = 0;
  RequestShape shape;  // updated from observed requests by the caller when known
};

struct Observation {
  double window_s = 0;
  size_t arrivals = 0;
  size_t finished = 0;
  size_t within_slo = 0;
  size_t queued = 0;
};

struct ControllerDecision {
  size_t option = 0;  // index into the options
  bool changed = false;
  double rate_per_s = 0;  // the rate it planned for
  std::string reason;
};

class Controller {
 public:
  // Throws std::invalid_argument when `options` is empty. Starts on the fastest option (the
  // least predicted mean latency at a low rate), the safe choice before anything is observed.
  Controller(std::vector<AdaptOption> options, ControllerOptions co);
  ControllerDecision update(const Observation& obs);
  // The requests' shape the predictions use from now on (e.g. measured by the caller).
  void set_shape(const RequestShape& shape) { co_.shape = shape; }
  size_t current() const { return current_; }
  const std::vector<AdaptOption>& options() const { return options_; }
  // Options from the fastest to the slowest, as indices.
  const std::vector<size_t>& by_speed() const { return by_speed_; }
  size_t fastest() const { return by_speed_.front(); }
  // The option with the least predicted energy per request that meets the SLO with the
  // headroom at `rate_per_s` (the fastest when none does), and why.
  size_t choose(double rate_per_s, std::string* why) const;

 private:
  std::vector<AdaptOption> options_;
  ControllerOptions co_;
  std::vector<size_t> by_speed_;
  size_t current_ = 0;
  double rate_ = -1;
  size_t hold_left_ = 0;
  size_t floor_rank_ = 0;  // during a hold: options at most this rank in by_speed_ (0 = fastest)
};

}  // namespace wattserve::adapt
