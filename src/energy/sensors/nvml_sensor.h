// NVIDIA GPU energy through NVML (libnvidia-ml), loaded at run time with dlopen so wattserve
// builds and runs on machines without the NVIDIA driver. Each GPU becomes one domain
// "nvml:gpu-<index>": the board's total-energy counter where the GPU has one (Volta and later),
// otherwise its power readings integrated over time. Power is the instant-power field where
// NVML has it (nvmlDeviceGetPowerUsage is a 1 s average on recent GPUs); it bridges the
// counter's ~100 ms steps. Rules, checked on an H200: docs/measurement.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "energy/core/sensor.h"

namespace wattserve::energy {

struct NvmlOptions {
  // dlopen name or path; tests point it at the fake library.
  std::string library = "libnvidia-ml.so.1";
  // NVML device indices to measure; empty = all GPUs.
  std::vector<unsigned> devices;
  // The NVML energy counter only moves every few tens of ms to ~1 s. Once it has been unchanged
  // for at least this long (and the GPU draws power), reads bridge the gap with integrated
  // power until the counter moves again. 0 = bridge from the first unchanged read.
  int64_t stale_after_ns = 0;
};

// The NVML sensor, or nullptr with a note in *notes (may be null) when NVML is unusable: library
// missing, nvmlInit failing, no GPU, or no GPU with an energy counter or power reading. GPUs that
// cannot be measured are skipped with a note of their own. Never throws.
std::unique_ptr<Sensor> make_nvml_sensor(const NvmlOptions& opts, std::vector<SensorNote>* notes);

}  // namespace wattserve::energy
