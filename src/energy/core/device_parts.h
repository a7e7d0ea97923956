// A window's attributed joules split by device: the counted domains of each kind of device, "gpu"
// (NVML, amdgpu), "cpu" (CPU packages, their memory, RAPL psys) or "system" (an external meter),
// each part with the weakest source among its own domains. On a GPU machine without RAPL this
// keeps the GPU's counter visible beside the CPU's estimate, which the window's total (with the
// weaker source) hides.
#pragma once

#include <string>
#include <vector>

#include "energy/core/meter.h"

namespace wattserve::energy {

struct DevicePart {
  std::string device;  // "gpu", "cpu", "system"
  double joules = 0;   // attributed to the window
  std::string source;  // to_string(Source)
};

// In the order gpu, cpu, system, leaving out devices the window has no counted domain of.
std::vector<DevicePart> device_parts(const WindowReport& w);

}  // namespace wattserve::energy
