// serve --adapt's control loop (adapter.h).
#include "serve/adapter.h"

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "serve/server.h"

namespace wattserve::serve {

struct Adapter::Metrics {
  prometheus::Family<prometheus::Counter>* decisions;
  prometheus::Family<prometheus::Gauge>* active;
  prometheus::Family<prometheus::Gauge>* rate;
  prometheus::Family<prometheus::Gauge>* attainment;
  prometheus::Family<prometheus::Gauge>* last;
  prometheus::Family<prometheus::Gauge>* cap;
  prometheus::Gauge* last_gauge = nullptr;

  explicit Metrics(prometheus::Registry& r)
      : decisions(&prometheus::BuildCounter()
                       .Name("wattserve_adapt_decisions_total")
                       .Help("Decisions of serve --adapt's controller, by whether they changed the "
                             "configuration")
                       .Register(r)),
        active(&prometheus::BuildGauge()
                    .Name("wattserve_adapt_active")
                    .Help("1 for the configuration (variant@slots) taking new requests, 0 else")
                    .Register(r)),
        rate(&prometheus::BuildGauge()
                  .Name("wattserve_adapt_planned_rate_per_second")
                  .Help("The arrival rate the controller planned the last period for")
                  .Register(r)),
        attainment(&prometheus::BuildGauge()
                        .Name("wattserve_adapt_window_slo_attainment_ratio")
                        .Help("Finished requests within the E2E SLO / finished, last period")
                        .Register(r)),
        last(&prometheus::BuildGauge()
                  .Name("wattserve_adapt_last_decision_info")
                  .Help("The controller's last decision and its reason (value 1)")
                  .Register(r)),
        cap(&prometheus::BuildGauge()
                 .Name("wattserve_frequency_cap_khz")
                 .Help("The frequency governor's cap; applied=false: dry run, nothing written")
                 .Register(r)) {}
};

Adapter::Adapter(Server& server, std::string model, std::vector<AdapterOption> options,
                 AdapterOptions ao, std::shared_ptr<prometheus::Registry> registry,
                 adapt::FrequencyActuator* actuator)
    : server_(server),
      model_(std::move(model)),
      options_(std::move(options)),
      ao_(std::move(ao)),
      controller_(
          [&] {
            std::vector<adapt::AdaptOption> o;
            for (const auto& a : options_) o.push_back(a.option);
            return o;
          }(),
          ao_.controller),
      actuator_(actuator),
      metrics_(std::make_unique<Metrics>(*registry)) {
  if (!(ao_.period_s > 0)) throw std::invalid_argument("the adapt period must be > 0 s");
  if (!ao_.clock) ao_.clock = energy::system_clock();
  workers_ = server_.text_variants(model_);
  for (const auto& o : options_) {
    if (o.variant >= workers_.size()) {
      throw std::invalid_argument(fmt::format("model {} has no variant {} (it has {})", model_,
                                              o.variant, workers_.size()));
    }
  }
  for (auto* w : workers_) last_.push_back(w->counts());
  if (actuator_) governor_ = std::make_unique<adapt::FrequencyGovernor>(actuator_->caps_khz());
  activate(controller_.current());
}

Adapter::~Adapter() {
  stop();
}

void Adapter::activate(size_t option) {
  const auto& o = options_[option];
  server_.set_active_variant(model_, o.variant, o.option.parallel);
  {
    std::lock_guard lk(mu_);
    active_ = option;
  }
  for (size_t i = 0; i < options_.size(); ++i) {
    metrics_->active->Add({{"model", model_}, {"option", options_[i].option.name}})
        .Set(i == option ? 1 : 0);
  }
}

size_t Adapter::active_option() const {
  std::lock_guard lk(mu_);
  return active_;
}

WindowReading read_window(const std::vector<TextWorker*>& workers,
                          std::vector<TextWorkerCounts>& last, double window_s) {
  WindowReading r;
  auto& obs = r.observation;
  obs.window_s = window_s;
  last.resize(workers.size());
  double ok = 0, prompt = 0, out = 0, out_sq = 0;
  for (size_t i = 0; i < workers.size(); ++i) {
    const auto c = workers[i]->counts();
    ok += static_cast<double>(c.ok - last[i].ok);
    prompt += c.prompt_tokens - last[i].prompt_tokens;
    out += c.output_tokens - last[i].output_tokens;
    out_sq += c.output_tokens_sq - last[i].output_tokens_sq;
    obs.arrivals += c.offered - last[i].offered;
    obs.finished += (c.finished - last[i].finished) + (c.refused - last[i].refused);
    obs.within_slo += c.within_slo - last[i].within_slo;
    obs.queued += workers[i]->queue_length();
    last[i] = c;
  }
  if (ok >= 20) {
    const double mean = out / ok;
    const double sd = std::sqrt(std::max(0.0, out_sq / ok - mean * mean));
    r.has_shape = true;
    r.shape = {prompt / ok, mean, mean + 2.33 * sd};
  }
  return r;
}

adapt::ControllerDecision Adapter::tick(double window_s) {
  const auto reading = read_window(workers_, last_, window_s);
  const auto& obs = reading.observation;
  if (reading.has_shape) controller_.set_shape(reading.shape);
  const auto d = controller_.update(obs);
  if (d.changed) activate(d.option);
  const auto& name = options_[d.option].option.name;
  const double att =
      obs.finished ? static_cast<double>(obs.within_slo) / static_cast<double>(obs.finished) : 1;
  metrics_->decisions->Add({{"model", model_}, {"changed", d.changed ? "true" : "false"}})
      .Increment();
  metrics_->rate->Add({{"model", model_}}).Set(d.rate_per_s);
  metrics_->attainment->Add({{"model", model_}}).Set(att);
  if (metrics_->last_gauge) metrics_->last->Remove(metrics_->last_gauge);
  metrics_->last_gauge =
      &metrics_->last->Add({{"model", model_}, {"option", name}, {"reason", d.reason}});
  metrics_->last_gauge->Set(1);
  std::string line = fmt::format(
      "wattserve serve: adapt {}: {} {} ({} arrivals, {} finished, {} within the SLO, {} queued "
      "in {:.1f} s): {}",
      model_, d.changed ? "switch to" : "keep", name, obs.arrivals, obs.finished, obs.within_slo,
      obs.queued, window_s, d.reason);
  if (governor_) {
    const auto g = governor_->update(obs.within_slo, obs.finished);
    if (g.changed) {
      const auto act = actuator_->set_cap(g.cap_khz);
      for (const auto& l : act.lines) line += "\n  governor: " + l;
    }
    metrics_->cap
        ->Add({{"actuator", std::string(actuator_->name())},
               {"applied", actuator_->allow_actuate() ? "true" : "false"}})
        .Set(static_cast<double>(g.cap_khz));
    line += "\n  governor: " + g.reason;
  }
  if (ao_.log) {
    ao_.log(line);
  } else {
    fmt::print(stderr, "{}\n", line);
  }
  return d;
}

void Adapter::start() {
  std::lock_guard lk(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void Adapter::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Adapter::run() {
  auto& clock = *ao_.clock;
  const auto period = static_cast<int64_t>(ao_.period_s * 1e9);
  int64_t next = clock.now_ns() + period;
  for (;;) {
    {
      std::unique_lock lk(mu_);
      if (clock.wait_until(lk, cv_, next, [&] { return stopping_; })) return;
    }
    tick(ao_.period_s);
    next += period;
  }
}

}  // namespace wattserve::serve
