// What the frequency governor (governor.h) acts through: a cap on a processor's clock that can be
// lowered and raised among the caps the hardware offers. Implemented by the Linux cpufreq
// actuator (cpufreq.h: CPUs) and the NVML one (nvml_clocks.h: NVIDIA GPUs' application clocks).
// Every actuator is dry-run unless opened with allow_actuate: set_cap() then only says what it
// would do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wattserve::adapt {

struct CapAction {
  uint64_t requested_khz = 0;
  bool applied = false;  // written (allow_actuate) or not (dry run)
  // One per policy or GPU: "policy0: scaling_max_freq 1800000 kHz (dry run: not written)",
  // "gpu0: application clocks 1980 -> 1410 MHz (dry run)".
  std::vector<std::string> lines;
};

class FrequencyActuator {
 public:
  virtual ~FrequencyActuator() = default;

  // "cpufreq", "nvml": for logs and /metrics.
  virtual std::string name() const = 0;
  // The caps the governor can choose, in kHz, ascending.
  virtual std::vector<uint64_t> caps_khz() const = 0;
  // Caps the clock at khz (clamped or snapped to what the hardware takes). Dry-run: changes
  // nothing and says what it would do. Throws std::runtime_error when the hardware refuses.
  virtual CapAction set_cap(uint64_t khz) = 0;
  // Puts back what was found when opened, where something was applied (a no-op in dry run).
  virtual void restore() = 0;
  virtual bool allow_actuate() const = 0;

 protected:
  FrequencyActuator() = default;
  FrequencyActuator(const FrequencyActuator&) = default;
  FrequencyActuator(FrequencyActuator&&) = default;
  FrequencyActuator& operator=(const FrequencyActuator&) = default;
  FrequencyActuator& operator=(FrequencyActuator&&) = default;
};

}  // namespace wattserve::adapt
