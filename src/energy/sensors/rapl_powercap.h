// RAPL energy counters through the Linux powercap interface (<root>/class/powercap/intel-rapl:*),
// used by Intel CPUs and, since Linux 5.8, AMD Zen CPUs. One domain per package (socket or die)
// and per subzone (dram, core, uncore), plus psys when asked for. Counters are unfolded across
// wraparound with max_energy_range_uj. Files, units and rules: docs/measurement.md.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "energy/core/sensor.h"
#include "energy/core/sysfs_io.h"

namespace wattserve::energy {

struct PowercapOptions {
  std::string sysfs_root = "/sys";
  // Report the platform (psys) zone; it contains package and dram, which then become
  // counted=false so nothing is added twice.
  bool include_psys = false;
  // How files are read; null = the real filesystem. Tests inject failures (EACCES) here.
  std::shared_ptr<SysfsReader> reader;
};

// Returns nullptr when RAPL powercap is unusable here (missing, no zones, energy_uj not readable
// by this user); *notes (may be null) then says why and how to fix it. Notes are also added for
// zones that were skipped.
std::unique_ptr<Sensor> make_powercap_sensor(const PowercapOptions& opts,
                                             std::vector<SensorNote>* notes);

}  // namespace wattserve::energy
