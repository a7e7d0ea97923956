#include "energy/core/sensor.h"

#include <limits>

namespace wattserve::energy {

void Sensor::last_power(std::span<double> out) const {
  for (double& v : out) v = std::numeric_limits<double>::quiet_NaN();
}

double CounterUnwrapper::update(double raw) {
  if (first_) {
    first_ = false;
    last_ = raw;
    return total_;
  }
  double delta = raw - last_;
  if (delta < 0) delta += range_ > 0 ? range_ : 0;  // wrapped (or reset without known range)
  if (delta < 0) delta = 0;
  total_ += delta;
  last_ = raw;
  return total_;
}

double EnergyCounter::update(double raw, double dt_s) {
  const double before = unwrap_.total();
  const double after = unwrap_.update(raw);
  if (dt_s > 0) last_watts_ = (after - before) * scale_ / dt_s;
  return after * scale_;
}

double ReadInterval::advance(int64_t now_ns) {
  const double dt =
      has_prev_ && now_ns > prev_ns_ ? static_cast<double>(now_ns - prev_ns_) * 1e-9 : 0;
  if (!has_prev_ || now_ns > prev_ns_) prev_ns_ = now_ns;
  has_prev_ = true;
  return dt;
}

double PowerIntegrator::add(int64_t now_ns, double watts, bool mean_since_previous) {
  if (has_prev_ && now_ns > prev_ns_) {
    double dt = static_cast<double>(now_ns - prev_ns_) * 1e-9;
    joules_ += mean_since_previous ? watts * dt : 0.5 * (watts + last_w_) * dt;
  }
  if (!has_prev_ || now_ns >= prev_ns_) {
    has_prev_ = true;
    prev_ns_ = now_ns;
    last_w_ = watts;
  }
  return joules_;
}

}  // namespace wattserve::energy
