// NVIDIA GPUs' application clocks and power limit through NVML, as the frequency governor's GPU
// actuator (actuator.h, docs/adapt.md "NVML actuator"). libnvidia-ml is loaded at run time with
// dlopen (the library path is an option, so tests load tests/fakes/fake_nvml.c instead).
//
// Read when opened, per GPU: the supported memory clocks and, for the highest of them, the
// supported graphics clocks (the caps offered, in kHz); the current application clocks; the power
// limit and its constraints. set_cap() would set the application clocks to (highest memory
// clock, the highest supported graphics clock <= the cap, or the lowest one below it);
// set_power_limit_mw() would set the power limit, clamped to its constraints; restore() resets
// the application clocks to the driver's defaults and puts back the power limit found when
// opened, each only where something was applied (the destructor does the same, quietly).
//
// DRY-RUN IS THE DEFAULT and, there, nothing on the GPU changes: the setter functions of NVML
// are not even looked up, let alone called; the actions only say what would be done
// ("gpu0: application clocks 1980 -> 1410 MHz (dry run)"). On the GPUs this project is lent
// (the H100/H200 of its device runs), the clocks and power limit must NEVER change: never open
// this actuator with allow_actuate there. Setting them also needs root (or the application-clock
// permission relaxed with nvidia-smi), which the failures say.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "adapt/actuator.h"

namespace wattserve::adapt {

struct NvmlClocksOptions {
  static constexpr unsigned kAllDevices = ~0u;
  // dlopen name or path; tests point it at the fake library.
  std::string library = "libnvidia-ml.so.1";
  // Off: dry run, nothing is set (see above).
  bool allow_actuate = false;
  // NVML device index, or kAllDevices for every GPU.
  unsigned device = 0;
};

struct NvmlGpuClocks {
  unsigned index = 0;
  std::string name;                    // "NVIDIA H100 80GB HBM3"
  std::vector<unsigned> memory_mhz;    // supported memory clocks, ascending
  std::vector<unsigned> graphics_mhz;  // supported graphics clocks at the highest memory clock,
                                       // ascending
  unsigned app_graphics_mhz = 0;       // application clocks when opened
  unsigned app_memory_mhz = 0;
  bool has_power_limit = false;  // false: NVML does not manage this GPU's power limit
  unsigned power_limit_mw = 0;   // when opened
  unsigned power_min_mw = 0, power_max_mw = 0;
};

struct PowerLimitAction {
  uint64_t requested_mw = 0;
  bool applied = false;            // set (allow_actuate) or not (dry run)
  std::vector<std::string> lines;  // per GPU: "gpu0: power limit 700 -> 500 W (dry run)"
};

class NvmlClocks final : public FrequencyActuator {
 public:
  // Loads the library, initializes NVML and reads the GPUs. Throws std::runtime_error with a
  // clear message when the library is missing (no NVIDIA driver), NVML cannot start, there is no
  // GPU (or not the one asked for), a GPU's clocks cannot be read (application clocks not
  // supported), or, with allow_actuate, the library lacks a setter.
  static NvmlClocks open(const NvmlClocksOptions& options = {});

  NvmlClocks(NvmlClocks&&) noexcept;
  NvmlClocks& operator=(NvmlClocks&&) noexcept;
  NvmlClocks(const NvmlClocks&) = delete;
  NvmlClocks& operator=(const NvmlClocks&) = delete;
  // restore() where something was applied (errors ignored), then shuts NVML down.
  ~NvmlClocks() override;

  const std::vector<NvmlGpuClocks>& gpus() const { return gpus_; }
  std::string name() const override { return "nvml"; }
  bool allow_actuate() const override { return options_.allow_actuate; }

  // The supported graphics clocks, in kHz, ascending: those every GPU supports, or, where the
  // GPUs share none, those of any of them (set_cap snaps per GPU).
  std::vector<uint64_t> caps_khz() const override;

  // Application clocks (highest memory clock, graphics clock snapped down to a supported one,
  // or the lowest supported) on every GPU. Dry run: nothing is set. With allow_actuate, throws
  // std::runtime_error naming the GPU and NVML's error (e.g. "Insufficient Permissions").
  CapAction set_cap(uint64_t khz) override;

  // The power limit of every GPU, clamped to its constraints (GPUs without one are listed as
  // skipped). Dry run: nothing is set. Throws like set_cap.
  PowerLimitAction set_power_limit_mw(uint64_t mw);

  // Resets the application clocks (nvmlDeviceResetApplicationsClocks) and puts back the power
  // limit found when opened, only on GPUs where set_cap / set_power_limit_mw applied something.
  void restore() override;

 private:
  struct Lib;
  struct State {  // what this process applied to one GPU
    bool clocks_applied = false;
    bool limit_applied = false;
    unsigned graphics_mhz = 0, memory_mhz = 0, limit_mw = 0;  // as now set
  };

  NvmlClocks();
  void restore_quietly() noexcept;  // restore(), errors ignored

  NvmlClocksOptions options_;
  std::unique_ptr<Lib> lib_;
  std::vector<NvmlGpuClocks> gpus_;
  std::vector<State> state_;
};

}  // namespace wattserve::adapt
