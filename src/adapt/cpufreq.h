// Linux cpufreq as the frequency governor's actuator (docs/adapt.md "Frequency governor"): the
// maximum-frequency cap of every policy (policyN/scaling_max_freq) under a root folder, by
// default /sys/devices/system/cpu/cpufreq, so tests drive this code on a fake tree. Dry-run is
// the default: set_cap() says what it would write and writes nothing unless the actuator was
// opened with allow_actuate (`--allow-actuate`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "adapt/actuator.h"

namespace wattserve::adapt {

struct CpuFreqPolicy {
  std::string name;                     // "policy0"
  uint64_t min_khz = 0, max_khz = 0;    // cpuinfo_min_freq, cpuinfo_max_freq
  uint64_t cap_khz = 0;                 // scaling_max_freq when opened
  std::vector<uint64_t> available_khz;  // scaling_available_frequencies (may be empty)
};

struct CpuFreqOptions {
  std::string root = "/sys/devices/system/cpu/cpufreq";
  bool allow_actuate = false;
};

class CpuFreq final : public FrequencyActuator {
 public:
  // Reads every policy under options.root. Throws std::runtime_error naming the folder when it
  // holds no readable policy (no cpufreq driver: a VM, a container), or a file is malformed.
  static CpuFreq open(const CpuFreqOptions& options = {});

  const std::vector<CpuFreqPolicy>& policies() const { return policies_; }
  std::string name() const override { return "cpufreq"; }
  bool allow_actuate() const override { return options_.allow_actuate; }

  // The caps the governor can choose: the frequencies every policy lists as available, or,
  // without such a list, `steps` (8 by default) evenly spaced from the highest minimum to the
  // lowest maximum.
  std::vector<uint64_t> caps_khz() const override { return caps_khz(8); }
  std::vector<uint64_t> caps_khz(size_t steps) const;

  // Sets every policy's scaling_max_freq to khz, clamped to its [min, max]. In dry-run mode,
  // nothing is written. Throws std::runtime_error when a write fails (naming the file and why).
  CapAction set_cap(uint64_t khz) override;

  // Puts back the caps found when opened (a no-op in dry-run mode).
  void restore() override;

 private:
  CpuFreqOptions options_;
  std::vector<CpuFreqPolicy> policies_;
};

}  // namespace wattserve::adapt
