#include "energy/exporters/prometheus_text.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <tuple>

namespace wattserve::energy {

struct EnergyMetrics::Impl {
  struct Series {
    prometheus::Counter* energy = nullptr;
    prometheus::Gauge* power = nullptr;
    double last_joules = 0;
  };
  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Family<prometheus::Counter>* energy = nullptr;
  prometheus::Family<prometheus::Gauge>* power = nullptr;
  prometheus::Family<prometheus::Gauge>* idle = nullptr;
  std::mutex mu;
  std::map<std::string, Series> series;  // by domain id
};

EnergyMetrics::EnergyMetrics(std::shared_ptr<prometheus::Registry> registry)
    : impl_(std::make_unique<Impl>()) {
  if (!registry) registry = std::make_shared<prometheus::Registry>();
  impl_->registry = std::move(registry);
  impl_->energy = &prometheus::BuildCounter()
                       .Name("wattserve_energy_joules_total")
                       .Help("Energy used per measured domain since the meter started (joules)")
                       .Register(*impl_->registry);
  impl_->power =
      &prometheus::BuildGauge()
           .Name("wattserve_power_watts")
           .Help("Mean power per measured domain over the last sampling interval (watts)")
           .Register(*impl_->registry);
  impl_->idle = &prometheus::BuildGauge()
                     .Name("wattserve_idle_power_watts")
                     .Help("Idle power baseline per measured domain (watts)")
                     .Register(*impl_->registry);
}

EnergyMetrics::~EnergyMetrics() = default;

std::shared_ptr<prometheus::Registry> EnergyMetrics::registry() const {
  return impl_->registry;
}

void EnergyMetrics::update(const std::vector<Domain>& domains,
                           std::span<const double> cumulative_joules,
                           std::span<const double> last_power) {
  std::lock_guard lock(impl_->mu);
  for (size_t k = 0; k < domains.size(); ++k) {
    const Domain& d = domains[k];
    const prometheus::Labels labels = {{"domain", d.id},
                                       {"kind", std::string(to_string(d.kind))},
                                       {"source", std::string(to_string(d.source))}};
    auto [it, inserted] = impl_->series.try_emplace(d.id);
    Impl::Series& s = it->second;
    if (inserted) s.energy = &impl_->energy->Add(labels);
    if (k < cumulative_joules.size() && std::isfinite(cumulative_joules[k])) {
      const double delta = cumulative_joules[k] - s.last_joules;
      if (delta > 0) s.energy->Increment(delta);
      s.last_joules = cumulative_joules[k];
    }
    if (k < last_power.size() && std::isfinite(last_power[k])) {
      if (!s.power) s.power = &impl_->power->Add(labels);
      s.power->Set(last_power[k]);
    }
  }
}

void EnergyMetrics::set_idle_baseline(const std::vector<Domain>& domains,
                                      const IdleBaseline& baseline) {
  std::lock_guard lock(impl_->mu);
  for (size_t k = 0; k < domains.size() && k < baseline.watts.size(); ++k) {
    if (!std::isfinite(baseline.watts[k])) continue;
    impl_->idle->Add({{"domain", domains[k].id}}).Set(baseline.watts[k]);
  }
}

std::string EnergyMetrics::serialize() const {
  // prometheus-cpp keeps a family's series in a hash map; sort them by labels so the exposition
  // is stable from one scrape (and one build) to the next.
  auto families = impl_->registry->Collect();
  for (auto& f : families) {
    std::stable_sort(f.metric.begin(), f.metric.end(),
                     [](const prometheus::ClientMetric& a, const prometheus::ClientMetric& b) {
                       return std::lexicographical_compare(
                           a.label.begin(), a.label.end(), b.label.begin(), b.label.end(),
                           [](const auto& x, const auto& y) {
                             return std::tie(x.name, x.value) < std::tie(y.name, y.value);
                           });
                     });
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace wattserve::energy
