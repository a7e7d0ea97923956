// Energy and power sensors exposed through Linux hwmon (<root>/class/hwmon/hwmon*):
// amdgpu boards (energy1_input counter, else power1_average / power1_input integrated over
// time) and AMD CPU energy drivers (amd_energy, zenpower, zenergy: energyN_input with labels
// Esocket<N> / Ecore<NNN>). Files, units and rules: docs/measurement.md.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "energy/core/sensor.h"
#include "energy/core/sysfs_io.h"

namespace wattserve::energy {

struct HwmonOptions {
  std::string sysfs_root = "/sys";
  std::shared_ptr<SysfsReader> reader;  // null = the real filesystem
  // CPU counters (amd_energy, zenpower, zenergy); off when RAPL already measures the CPU, since
  // both count the same packages.
  bool include_cpu = true;
};

// Returns nullptr when no supported hwmon device is usable; *notes (may be null) says why.
// Domains: "hwmon:amdgpu-<N>" (kGpu, N counts amdgpu devices in hwmon order),
// "hwmon:<driver>/socket<N>" (kCpuPackage, counted), "hwmon:<driver>/core<NNN>" (kCpuCore,
// counted=false). Power-only domains integrate at the now_ns passed to read().
std::unique_ptr<Sensor> make_hwmon_sensor(const HwmonOptions& opts, std::vector<SensorNote>* notes);

}  // namespace wattserve::energy
