// Scripted sensors for meter tests: energy as an exact function of time, so window figures
// have a known truth.
#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "energy/core/sensor.h"

namespace wattserve::energy::testing {

// A counter sensor whose cumulative energy is an exact function of time (seconds).
class FunctionCounterSensor : public Sensor {
 public:
  FunctionCounterSensor(std::vector<Domain> domains,
                        std::vector<std::function<double(double)>> energy_of_t)
      : domains_(std::move(domains)), f_(std::move(energy_of_t)) {}
  std::string_view name() const override { return "function-counter"; }
  const std::vector<Domain>& domains() const override { return domains_; }
  bool read(int64_t now_ns, std::span<double> out, std::string* error) override {
    ++reads;
    if (fail_next) {
      fail_next = false;
      if (error) *error = "scripted failure";
      return false;
    }
    for (size_t i = 0; i < f_.size(); ++i) out[i] = f_[i](static_cast<double>(now_ns) * 1e-9);
    return true;
  }
  bool fail_next = false;
  int reads = 0;

 private:
  std::vector<Domain> domains_;
  std::vector<std::function<double(double)>> f_;
};

// A power sensor: reads instantaneous power P(t) and integrates it with the trapezoid rule,
// like the NVML power path or an external meter.
class FunctionPowerSensor : public Sensor {
 public:
  FunctionPowerSensor(Domain domain, std::function<double(double)> power_of_t)
      : domains_{std::move(domain)}, p_(std::move(power_of_t)) {}
  std::string_view name() const override { return "function-power"; }
  const std::vector<Domain>& domains() const override { return domains_; }
  bool read(int64_t now_ns, std::span<double> out, std::string*) override {
    out[0] = integ_.add(now_ns, p_(static_cast<double>(now_ns) * 1e-9));
    return true;
  }

 private:
  std::vector<Domain> domains_;
  std::function<double(double)> p_;
  PowerIntegrator integ_;
};

inline Domain make_domain(std::string id, DomainKind kind, Source source, bool counted = true) {
  Domain d;
  d.id = std::move(id);
  d.kind = kind;
  d.source = source;
  d.label = d.id;
  d.counted = counted;
  return d;
}

}  // namespace wattserve::energy::testing
