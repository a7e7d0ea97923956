// Fakes for the run tests: a sensor drawing constant power on a FakeClock, so that a run's
// timings and energy are exact, and a meter built on them.
#pragma once

#include <memory>

#include "energy/core/clock.h"
#include "energy/core/meter.h"
#include "energy/core/sensor.h"

namespace wattserve::run {

class ConstantPowerSensor final : public energy::Sensor {
 public:
  ConstantPowerSensor(std::shared_ptr<energy::FakeClock> clock, double watts)
      : clock_(std::move(clock)), watts_(watts), t0_(clock_->now_ns()) {
    domains_.push_back(
        {"fake:cpu", energy::DomainKind::kCpuPackage, energy::Source::kCounter, "fake", true});
  }
  std::string_view name() const override { return "fake"; }
  const std::vector<energy::Domain>& domains() const override { return domains_; }
  bool read(int64_t now_ns, std::span<double> out, std::string*) override {
    out[0] = watts_ * energy::ns_to_s(now_ns - t0_);
    return true;
  }

 private:
  std::shared_ptr<energy::FakeClock> clock_;
  double watts_;
  int64_t t0_;
  std::vector<energy::Domain> domains_;
};

struct FakeMeter {
  std::shared_ptr<energy::FakeClock> clock = std::make_shared<energy::FakeClock>();
  std::unique_ptr<energy::Meter> meter;
  explicit FakeMeter(double watts) {
    std::vector<std::unique_ptr<energy::Sensor>> sensors;
    sensors.push_back(std::make_unique<ConstantPowerSensor>(clock, watts));
    energy::MeterOptions o;
    o.clock = clock;
    meter = std::make_unique<energy::Meter>(std::move(sensors), o);
  }
};

}  // namespace wattserve::run
