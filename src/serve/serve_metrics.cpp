#include "serve/serve_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <cmath>
#include <deque>

#include "serve/tensor_worker.h"
#include "serve/text_worker.h"

namespace wattserve::serve {

namespace {

using Buckets = prometheus::Histogram::BucketBoundaries;

const Buckets kLatency = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                          0.5,   1,      2.5,   5,    10,    30,   60};
const Buckets kBatch = {1, 2, 4, 8, 16, 32, 64};
const Buckets kTokens = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048};
constexpr std::size_t kMaeWindow = 256;  // requests in the predictor's running MAE

}  // namespace

struct ServeMetrics::Impl {
  prometheus::Family<prometheus::Counter>* requests;
  prometheus::Family<prometheus::Histogram>* queue_s;
  prometheus::Family<prometheus::Histogram>* ttft_s;
  prometheus::Family<prometheus::Histogram>* tpot_s;
  prometheus::Family<prometheus::Histogram>* e2e_s;
  prometheus::Family<prometheus::Gauge>* queue_length;
  prometheus::Family<prometheus::Histogram>* batch;
  prometheus::Family<prometheus::Counter>* prompt_tokens;
  prometheus::Family<prometheus::Counter>* completion_tokens;
  prometheus::Family<prometheus::Counter>* energy;
  prometheus::Family<prometheus::Counter>* slo_requests;
  prometheus::Family<prometheus::Gauge>* slo_ratio;
  prometheus::Family<prometheus::Histogram>* prediction_error;
  prometheus::Family<prometheus::Gauge>* prediction_mae;
  prometheus::Family<prometheus::Counter>* rejected;
  prometheus::Counter* meter_joules;
  prometheus::Counter* unattributed_joules;
  energy::MeterTotals last_totals;  // under mu
  std::mutex mu;                    // guards slos and the met/all tallies
  std::map<std::string, Slo> slos;
  std::map<std::pair<std::string, std::string>, std::pair<double, double>> tally;  // met, all
  // Per model: |error| of the online predictor and of predicting max_tokens, last kMaeWindow.
  std::map<std::string, std::deque<std::pair<double, double>>> errors;

  void slo(const std::string& model, const char* name, double limit, double value) {
    if (limit <= 0) return;
    const bool met = value <= limit;
    slo_requests->Add({{"model", model}, {"slo", name}, {"met", met ? "true" : "false"}})
        .Increment();
    auto& t = tally[{model, name}];
    t.first += met;
    t.second += 1;
    slo_ratio->Add({{"model", model}, {"slo", name}}).Set(t.first / t.second);
  }
};

ServeMetrics::ServeMetrics(std::shared_ptr<prometheus::Registry> registry)
    : impl_(std::make_unique<Impl>()) {
  auto& r = *registry;
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  using prometheus::BuildHistogram;
  impl_->requests = &BuildCounter()
                         .Name("wattserve_requests_total")
                         .Help("HTTP requests by served model and status code")
                         .Register(r);
  impl_->queue_s = &BuildHistogram()
                        .Name("wattserve_request_queue_seconds")
                        .Help("Time from arrival to the start of generation")
                        .Register(r);
  impl_->ttft_s = &BuildHistogram()
                       .Name("wattserve_request_ttft_seconds")
                       .Help("Time from the start of generation to the first token")
                       .Register(r);
  impl_->tpot_s = &BuildHistogram()
                       .Name("wattserve_request_time_per_output_token_seconds")
                       .Help("(end - first token) / (output tokens - 1) per request")
                       .Register(r);
  impl_->e2e_s = &BuildHistogram()
                      .Name("wattserve_request_e2e_seconds")
                      .Help("Time from arrival to the last token")
                      .Register(r);
  impl_->queue_length = &BuildGauge()
                             .Name("wattserve_queue_length")
                             .Help("Requests waiting for a served model")
                             .Register(r);
  impl_->batch = &BuildHistogram()
                      .Name("wattserve_batch_size")
                      .Help("Sequences or items per engine step")
                      .Register(r);
  impl_->prompt_tokens = &BuildCounter()
                              .Name("wattserve_prompt_tokens_total")
                              .Help("Prompt tokens processed")
                              .Register(r);
  impl_->completion_tokens = &BuildCounter()
                                  .Name("wattserve_completion_tokens_total")
                                  .Help("Tokens generated")
                                  .Register(r);
  impl_->energy = &BuildCounter()
                       .Name("wattserve_request_energy_joules_total")
                       .Help(
                           "Energy the meter attributed to requests of a served model, by the "
                           "request's final status (J)")
                       .Register(r);
  impl_->rejected =
      &BuildCounter()
           .Name("wattserve_http_rejected_total")
           .Help(
               "Requests refused before any handler ran, by status: malformed HTTP (400), a "
               "body over --max-body (413), a head over the limits (431), no key (401), no "
               "route (404), a wrong method (405)")
           .Register(r);
  impl_->meter_joules =
      &BuildCounter()
           .Name("wattserve_meter_energy_joules_total")
           .Help(
               "Everything the meter measured since it started, over its counted domains (J): "
               "the requests' energy plus the unattributed energy")
           .Register(r)
           .Add({});
  impl_->unattributed_joules =
      &BuildCounter()
           .Name("wattserve_unattributed_energy_joules_total")
           .Help("Energy measured while no request was queued or running (J): idle")
           .Register(r)
           .Add({});
  impl_->slo_requests = &BuildCounter()
                             .Name("wattserve_slo_requests_total")
                             .Help("Requests checked against a latency SLO, by whether they met it")
                             .Register(r);
  impl_->slo_ratio = &BuildGauge()
                          .Name("wattserve_slo_attainment_ratio")
                          .Help("Share of requests that met the SLO so far")
                          .Register(r);
  impl_->prediction_error =
      &BuildHistogram()
           .Name("wattserve_output_length_prediction_error_tokens")
           .Help("|predicted - actual| output tokens of the online length predictor, per request")
           .Register(r);
  impl_->prediction_mae =
      &BuildGauge()
           .Name("wattserve_output_length_mae_tokens")
           .Help(
               "Mean absolute error of output-length predictions over the last 256 requests: "
               "predictor=online (the SJF predictor) or max_tokens (predicting the cap)")
           .Register(r);
}

void ServeMetrics::observe_batch(const std::string& model, double size) {
  impl_->batch->Add({{"model", model}}, kBatch).Observe(size);
}

void ServeMetrics::on_prediction(const std::string& model, double predicted, int actual,
                                 int max_tokens) {
  auto& i = *impl_;
  const double err = std::abs(predicted - actual);
  i.prediction_error->Add({{"model", model}}, kTokens).Observe(err);
  std::lock_guard lk(i.mu);
  auto& window = i.errors[model];
  window.emplace_back(err, std::abs(static_cast<double>(max_tokens - actual)));
  if (window.size() > kMaeWindow) window.pop_front();
  double online = 0, cap = 0;
  for (const auto& [e, c] : window) {
    online += e;
    cap += c;
  }
  const auto n = static_cast<double>(window.size());
  i.prediction_mae->Add({{"model", model}, {"predictor", "online"}}).Set(online / n);
  i.prediction_mae->Add({{"model", model}, {"predictor", "max_tokens"}}).Set(cap / n);
}

ServeMetrics::~ServeMetrics() = default;

void ServeMetrics::set_slo(const std::string& model, const Slo& slo) {
  std::lock_guard lk(impl_->mu);
  impl_->slos[model] = slo;
}

void ServeMetrics::count_request(const std::string& model, int status, double joules) {
  const std::map<std::string, std::string> labels = {{"model", model},
                                                     {"status", std::to_string(status)}};
  impl_->requests->Add(labels).Increment();
  impl_->energy->Add(labels).Increment(std::max(0.0, joules));
}

void ServeMetrics::count_rejected(int status) {
  impl_->rejected->Add({{"status", std::to_string(status)}}).Increment();
}

void ServeMetrics::set_meter_totals(const energy::MeterTotals& totals) {
  auto& i = *impl_;
  std::lock_guard lk(i.mu);
  // Counters only grow: add what the meter measured since the last call.
  i.meter_joules->Increment(std::max(0.0, totals.joules - i.last_totals.joules));
  i.unattributed_joules->Increment(
      std::max(0.0, totals.unattributed_joules - i.last_totals.unattributed_joules));
  i.last_totals = totals;
}

void ServeMetrics::set_queue_length(const std::string& model, std::size_t length) {
  impl_->queue_length->Add({{"model", model}}).Set(static_cast<double>(length));
}

void ServeMetrics::on_text_request(const std::string& model, const TextJobResult& r) {
  if (r.error) return;
  auto& i = *impl_;
  const int n = static_cast<int>(r.gen.tokens.size());
  const double e2e = r.queue_s + r.total_s;
  const double tpot = n >= 2 ? (r.total_s - r.ttft_s) / (n - 1) : 0;
  i.queue_s->Add({{"model", model}}, kLatency).Observe(r.queue_s);
  i.ttft_s->Add({{"model", model}}, kLatency).Observe(r.ttft_s);
  if (n >= 2) i.tpot_s->Add({{"model", model}}, kLatency).Observe(tpot);
  i.e2e_s->Add({{"model", model}}, kLatency).Observe(e2e);
  i.prompt_tokens->Add({{"model", model}}).Increment(r.prompt_tokens);
  i.completion_tokens->Add({{"model", model}}).Increment(n);
  std::lock_guard lk(i.mu);
  const auto it = i.slos.find(model);
  if (it == i.slos.end()) return;
  i.slo(model, "ttft", it->second.ttft_s, r.queue_s + r.ttft_s);
  if (n >= 2) i.slo(model, "tpot", it->second.tpot_s, tpot);
  i.slo(model, "e2e", it->second.e2e_s, e2e);
}

void ServeMetrics::on_tensor_request(const std::string& model, const TensorJobResult& r) {
  if (r.error) return;
  auto& i = *impl_;
  i.queue_s->Add({{"model", model}}, kLatency).Observe(r.queue_s);
  i.e2e_s->Add({{"model", model}}, kLatency).Observe(r.queue_s + r.run_s);
  i.batch->Add({{"model", model}}, kBatch).Observe(r.batch_rows);
  std::lock_guard lk(i.mu);
  const auto it = i.slos.find(model);
  if (it != i.slos.end()) i.slo(model, "e2e", it->second.e2e_s, r.queue_s + r.run_s);
}

}  // namespace wattserve::serve
