// The server's Prometheus metrics, in the same registry as the meter's energy and power
// (energy/prometheus_text.h), exposed at GET /metrics:
//   wattserve_requests_total{model,status}                 counter
//   wattserve_request_{queue,ttft,time_per_output_token,e2e}_seconds{model}   histograms
//   wattserve_queue_length{model}                          gauge
//   wattserve_batch_size{model}                            histogram: sequences per decode step
//                                                          (text), rows per batch (tensor)
//   wattserve_{prompt,completion}_tokens_total{model}      counters
//   wattserve_request_energy_joules_total{model,status}    counter, energy attributed to requests
//   wattserve_http_rejected_total{status}                  counter, refused before a handler
//   wattserve_meter_energy_joules_total                    counter, all the meter measured
//   wattserve_unattributed_energy_joules_total             counter, measured while no request ran
//   wattserve_slo_requests_total{model,slo,met}            counter, slo = ttft|tpot|e2e
//   wattserve_slo_attainment_ratio{model,slo}              gauge, met / all so far
//   wattserve_output_length_prediction_error_tokens{model} histogram, |predicted - actual|
//   wattserve_output_length_mae_tokens{model,predictor}    gauge, online | max_tokens
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "energy/core/meter.h"

namespace prometheus {
class Registry;
}

namespace wattserve::serve {

struct TextJobResult;
struct TensorJobResult;

struct Slo {
  double ttft_s = 0, tpot_s = 0, e2e_s = 0;  // 0: none
};

class ServeMetrics {
 public:
  explicit ServeMetrics(std::shared_ptr<prometheus::Registry> registry);
  ~ServeMetrics();
  void set_slo(const std::string& model, const Slo& slo);
  // Every request once, with its final status and the energy charged to it.
  void count_request(const std::string& model, int status, double joules = 0);
  // A request refused before it reached a route's handler: by the HTTP layer (400 malformed,
  // 413, 431) or from its head (401, 404, 405).
  void count_rejected(int status);
  // The meter's books: wattserve_meter_energy_joules_total (counted domains) and
  // wattserve_unattributed_energy_joules_total (intervals with no request open: idle).
  void set_meter_totals(const energy::MeterTotals& totals);
  void set_queue_length(const std::string& model, std::size_t length);
  // Sequences in one decode step (text) or rows in one batch (tensor).
  void observe_batch(const std::string& model, double size);
  // A finished request's predicted and actual output tokens.
  void on_prediction(const std::string& model, double predicted, int actual, int max_tokens);
  // Latencies, tokens, energy and SLOs of a finished generation (no-op for failed jobs).
  void on_text_request(const std::string& model, const TextJobResult& r);
  // Queue and end-to-end latency, batch size (rows) and energy of a tensor request.
  void on_tensor_request(const std::string& model, const TensorJobResult& r);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wattserve::serve
