// Chooses the sensors for a run: counters first, then integrated power, and the estimator only
// where no sensor covers the CPU. Every sensor kind that is not used leaves a SensorNote saying
// why (and what the user can do), so summaries can explain an estimate.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "energy/core/sensor.h"
#include "energy/sensors/estimate_sensor.h"
#include "energy/sensors/external_meter.h"

namespace wattserve::energy {

struct SensorSelection {
  std::string sysfs_root = "/sys";
  std::string procfs_root = "/proc";
  // Sensor kinds to use, from sensor_kinds(); empty = automatic (see discover_sensors).
  std::vector<std::string> only;
  bool include_psys = false;
  std::string nvml_library = "libnvidia-ml.so.1";
  ExternalMeterOptions external;  // used when external.command or external.url is set
  // A configured external meter that cannot be read is an error (measure); false: a note
  // (sensors, which lists what works and what does not).
  bool external_required = true;
  EstimateOptions estimate;  // procfs_root is taken from above
};

struct Discovery {
  std::vector<std::unique_ptr<Sensor>> sensors;
  std::vector<SensorNote> notes;  // one per kind tried and not used
};

// The kinds a user can name: rapl (powercap), perf (RAPL via perf_event_open), nvml, hwmon,
// external, estimate.
const std::vector<std::string>& sensor_kinds();

// Automatic choice: CPU from RAPL powercap, else RAPL through perf, else hwmon CPU counters;
// GPUs from NVML and amdgpu hwmon; the external meter when configured (it then holds the
// machine's total and the other domains are shown but not added up); the estimator when
// nothing covers the CPU. With `only`, exactly those kinds (errors for unknown names).
// Throws std::invalid_argument for unknown kinds and SensorError when a named kind fails.
Discovery discover_sensors(const SensorSelection& sel);

}  // namespace wattserve::energy
