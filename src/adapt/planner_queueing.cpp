// The planner's queueing model (planner_queueing.h); every formula is in docs/adapt.md.
#include "adapt/planner_queueing.h"

#include <algorithm>
#include <cmath>

namespace wattserve::adapt {

namespace {

// The fixed point of b = clamp(rate * service(b), lo, hi), iterated from b = lo (at most 50
// times): the mean number in service by Little's law when service slows as b grows.
template <typename Service>
double mean_in_service(double rate, Service service, double lo, double hi) {
  double b = lo;
  for (int i = 0; i < 50; ++i) {
    const double next = std::clamp(rate * service(b), lo, hi);
    if (std::abs(next - b) < 1e-12) return next;
    b = next;
  }
  return b;
}

// Mean and p99 of the wait of an M/D/c queue, approximated as half the M/M/c wait (the
// simplest form of Cosmetatos' approximation, also applied to the tail): with C the Erlang C
// probability of waiting, the M/M/c wait is 0 with probability 1 - C and exponential with rate
// (c - a) / s otherwise, so its mean is C s / (c - a) and P(W > t) = C exp(-(c - a) t / s).
void wait_times(int servers, double offered, double service_s, StageEstimate& e) {
  const double c = servers;
  const double prob_wait = erlang_c(servers, offered);
  const double scale = service_s / (c - offered);
  e.wait_mean_s = prob_wait * scale / 2;
  e.wait_p99_s = prob_wait > 0.01 ? std::log(prob_wait / 0.01) * scale / 2 : 0.0;
}

}  // namespace

double erlang_c(int servers, double offered_load) {
  if (offered_load <= 0) return 0;
  if (servers <= 0 || offered_load >= servers) return 1;
  double b = 1;  // Erlang B with 0 servers
  for (int k = 1; k <= servers; ++k) b = offered_load * b / (k + offered_load * b);
  return servers * b / (servers - offered_load * (1 - b));
}

StageEstimate estimate_stage(const VariantProfile& v, const StageWorkload& w, int batch,
                             int replicas, double rate_per_s) {
  StageEstimate e;
  const double big_b = batch;
  const double rate = rate_per_s / replicas;  // per replica
  if (v.kind == "text") {
    const double n_out_p99 = w.output_tokens_p99 > 0 ? w.output_tokens_p99 : w.output_tokens;
    auto service = [&](double b) {
      return request_service_s(v, w.input_tokens, w.output_tokens, b);
    };
    const double s_full = service(big_b);
    const double offered = rate * s_full;  // erlangs over c = B slots
    e.utilisation = offered / big_b;
    e.stable = e.utilisation < 1;
    e.mean_in_step = mean_in_service(rate, service, 1.0, big_b);
    e.service_mean_s = service(e.mean_in_step);
    e.joules_per_request = (v.power.busy_w + v.power.per_sequence_w * e.mean_in_step) *
                           e.service_mean_s / e.mean_in_step;
    if (!e.stable) return e;
    wait_times(batch, offered, s_full, e);
    e.latency_mean_s = e.service_mean_s + e.wait_mean_s;
    e.latency_p99_s =
        v.prefill.seconds(w.input_tokens) + n_out_p99 * v.step.seconds(big_b, 0) + e.wait_p99_s;
    e.latency_p99_s =
        std::max(e.latency_p99_s, e.latency_mean_s);  // a tail is never below the mean
    return e;
  }
  // Tensor: batches of up to B items, one at a time per replica.
  const double items = w.items_per_request;
  const double batches = std::ceil(items / big_b - 1e-9);  // per request
  auto batch_s = [&](double b) { return v.step.seconds(b, 0); };
  const double item_rate = rate * items;
  const double t_full = batch_s(big_b);
  e.utilisation = item_rate * t_full / big_b;
  e.stable = e.utilisation < 1;
  e.mean_in_step = mean_in_service(item_rate, batch_s, std::clamp(items, 1.0, big_b), big_b);
  e.service_mean_s = batches * batch_s(e.mean_in_step);
  e.joules_per_request = (v.power.busy_w + v.power.per_sequence_w * e.mean_in_step) *
                         batch_s(e.mean_in_step) * items / e.mean_in_step;
  if (!e.stable) return e;
  wait_times(1, e.utilisation, t_full, e);
  e.latency_mean_s = e.service_mean_s + e.wait_mean_s;
  e.latency_p99_s = std::max(batches * t_full + e.wait_p99_s, e.latency_mean_s);
  return e;
}

}  // namespace wattserve::adapt
