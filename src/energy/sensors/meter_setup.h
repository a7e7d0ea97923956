// A meter from a plain description: which sensors, how they are found, and how often the meter
// samples. `run`, `serve`, `bench` (and the sensor flags of every command) build their meter
// here, so the sampling interval has one default.
#pragma once

#include <memory>
#include <string>

#include "energy/core/meter.h"
#include "energy/sensors/discovery.h"

namespace wattserve::energy {

// The meter's background sampling interval for in-process inference (run, serve, bench): short
// enough that power-integrating sensors (NVML, external meters, the estimate) see a run of a
// few hundred ms, long enough that sampling costs well under 1 % of a core. Counter sensors
// (RAPL, hwmon energy) need no samples in between: a window's start and end take their own.
// `measure` has its own --interval with the same default (docs/measurement.md).
inline constexpr double kDefaultMeterIntervalMs = 100;

struct MeterSpec {
  std::string sensors;  // comma-separated sensor kinds (sensor_kinds()); empty: automatic
  SensorSelection sel;  // where sysfs/procfs/NVML live, the external meter, the estimator
  double interval_ms = kDefaultMeterIntervalMs;  // background sampling interval (>= 1)
  double external_interval_ms = 1000;            // how often an external meter is read (>= 10)
};

// sel with `sensors` split into sel.only and the external meter's poll interval set. Throws
// std::invalid_argument when both an external command and a URL are given.
SensorSelection sensor_selection(const MeterSpec& spec);

// A meter over the sensors the spec selects, sampling every interval_ms (not started). Throws
// std::invalid_argument for a bad spec, and what sensor discovery throws (e.g. an external meter
// that cannot be read).
std::unique_ptr<Meter> make_meter(const MeterSpec& spec);

}  // namespace wattserve::energy
