// The Sensor interface: anything that can say how much energy each of its domains has used.
// Every sensor reports *cumulative joules* per domain at a given monotonic time, whatever it
// reads underneath (an energy counter, a power reading it integrates, or a model). The Meter
// then only ever subtracts cumulative values. Sensors take their root (sysfs, procfs, library
// path) in their constructors so tests can point them at fakes.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "energy/core/types.h"

namespace wattserve::energy {

class Sensor {
 public:
  virtual ~Sensor() = default;
  // Short name of the mechanism: "rapl-powercap", "rapl-perf", "nvml", "hwmon", "external",
  // "estimate".
  virtual std::string_view name() const = 0;
  virtual const std::vector<Domain>& domains() const = 0;
  // Reads every domain at monotonic time now_ns and writes cumulative joules since the sensor
  // was created into out (out.size() == domains().size()). Values never decrease. Returns false
  // and sets *error when the read failed; the meter then keeps the previous values.
  virtual bool read(int64_t now_ns, std::span<double> out, std::string* error) = 0;
  // Most recent power per domain in watts, if the sensor knows one (for gauges); NaN otherwise.
  virtual void last_power(std::span<double> out) const;
  // Shortest sampling interval that gives new information (an external meter may refresh once a
  // second); 0 when any interval works.
  virtual int64_t min_interval_ns() const { return 0; }
};

// Why a sensor kind is not in use on this machine, for `wattserve sensors` and JSON summaries.
struct SensorNote {
  std::string sensor;  // e.g. "rapl-powercap"
  std::string reason;  // e.g. "/sys/class/powercap does not exist (no RAPL on this machine or VM)"
  std::string hint;    // what the user can do, may be empty
};

// Unfolds a hardware counter that wraps at `range` raw units into a monotonic total.
// Correct as long as it is read at least once per wrap period.
class CounterUnwrapper {
 public:
  explicit CounterUnwrapper(double range = 0) : range_(range) {}
  // Feeds a raw reading; returns the total advance since the first reading, in raw units.
  double update(double raw);
  double total() const { return total_; }

 private:
  double range_;
  double last_ = 0;
  double total_ = 0;
  bool first_ = true;
};

// A hardware energy counter read in raw units (e.g. µJ): unfolds wraps, converts to joules and
// keeps the power of the last interval. Shared by the counter sensors (powercap, hwmon).
class EnergyCounter {
 public:
  explicit EnergyCounter(double range = 0, double joules_per_unit = 1e-6)
      : unwrap_(range), scale_(joules_per_unit) {}
  // Feeds a raw reading taken dt_s after the previous one (0 for the first); returns joules
  // since the first reading.
  double update(double raw, double dt_s);
  double last_watts() const { return last_watts_; }

 private:
  CounterUnwrapper unwrap_;
  double scale_;
  double last_watts_ = std::numeric_limits<double>::quiet_NaN();
};

// Seconds between successive reads of a sensor (0 for the first read and when time did not
// move forward); never goes backwards.
class ReadInterval {
 public:
  double advance(int64_t now_ns);

 private:
  bool has_prev_ = false;
  int64_t prev_ns_ = 0;
};

// Integrates power readings into energy with the trapezoidal rule (or holds the value
// when told the reading is a mean over the interval since the previous one).
class PowerIntegrator {
 public:
  // Adds a power reading in watts taken at now_ns; returns cumulative joules.
  double add(int64_t now_ns, double watts, bool mean_since_previous = false);
  double joules() const { return joules_; }
  double last_watts() const { return last_w_; }

 private:
  bool has_prev_ = false;
  int64_t prev_ns_ = 0;
  double last_w_ = 0;
  double joules_ = 0;
};

}  // namespace wattserve::energy
