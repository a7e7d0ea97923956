// Prometheus text exposition of the meter's state (for `wattserve serve`'s /metrics):
//   wattserve_energy_joules_total{domain,kind,source}  counter, J since the meter started
//   wattserve_power_watts{domain,kind,source}          gauge, power over the last interval (W)
//   wattserve_idle_power_watts{domain}                 gauge, idle baseline (W), once known
// Built on prometheus-cpp (core). The registry can be shared so the server adds its own
// families to the same exposition. prometheus-cpp is a private dependency of this library:
// this header only forward-declares its Registry.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "energy/core/meter.h"
#include "energy/core/types.h"

namespace prometheus {
class Registry;
}

namespace wattserve::energy {

class EnergyMetrics {
 public:
  // Registers the families in `registry` (a new one when null). Use one EnergyMetrics per
  // registry: prometheus-cpp merges same-named families, so a second one would share (and
  // double-count into) the same series.
  explicit EnergyMetrics(std::shared_ptr<prometheus::Registry> registry = nullptr);
  ~EnergyMetrics();
  EnergyMetrics(const EnergyMetrics&) = delete;
  EnergyMetrics& operator=(const EnergyMetrics&) = delete;

  std::shared_ptr<prometheus::Registry> registry() const;

  // cumulative_joules and last_power are per domain (Meter::timeline().back().joules and
  // Meter::last_power()). Counters grow by the increase since the previous update (a decrease
  // is ignored, counting restarts from the lower value); a NaN/inf power leaves the gauge as it
  // was (absent until a finite value arrives). Thread-safe.
  void update(const std::vector<Domain>& domains, std::span<const double> cumulative_joules,
              std::span<const double> last_power);
  // Sets wattserve_idle_power_watts per domain (no-op for an empty baseline).
  void set_idle_baseline(const std::vector<Domain>& domains, const IdleBaseline& baseline);

  // Text exposition format 0.0.4 of everything in the registry.
  std::string serialize() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wattserve::energy
