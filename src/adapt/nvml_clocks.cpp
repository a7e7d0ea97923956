// NVIDIA application clocks and power limit through NVML (nvml_clocks.h).
#include "adapt/nvml_clocks.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <set>
#include <stdexcept>
#include <utility>

#include "energy/sensors/nvml_library.h"

namespace wattserve::adapt {

namespace {

// nvml.h's names for energy/sensors/nvml_library.h's declarations, and the actuator's own.
using nvmlReturn_t = energy::nvml::Return;
using nvmlDevice_t = energy::nvml::Device;
constexpr nvmlReturn_t kNvmlSuccess = energy::nvml::kSuccess;
constexpr nvmlReturn_t kNvmlErrorNotSupported = energy::nvml::kErrorNotSupported;
constexpr nvmlReturn_t kNvmlErrorNoPermission = energy::nvml::kErrorNoPermission;
constexpr nvmlReturn_t kNvmlErrorInsufficientSize = energy::nvml::kErrorInsufficientSize;
constexpr int kNvmlClockGraphics = 0;  // nvmlClockType_t NVML_CLOCK_GRAPHICS
constexpr int kNvmlClockMem = 2;       // NVML_CLOCK_MEM

extern "C" {
using GetMemClocksFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int*, unsigned int*);
using GetGrClocksFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int, unsigned int*, unsigned int*);
using GetAppClockFn = nvmlReturn_t (*)(nvmlDevice_t, int, unsigned int*);  // clock type, MHz
using GetLimitRangeFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int*, unsigned int*);  // mW
using GetLimitFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int*);                      // mW
// The setters: looked up only with allow_actuate.
using SetAppClocksFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int, unsigned int);  // mem, gr
using ResetAppClocksFn = nvmlReturn_t (*)(nvmlDevice_t);
using SetLimitFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int);  // mW
}

std::string watts(uint64_t mw) {
  return fmt::format("{:g}", static_cast<double>(mw) / 1000.0);
}

// The highest of `ascending` <= mhz, or the lowest when all are above it.
unsigned snap(const std::vector<unsigned>& ascending, uint64_t mhz) {
  auto it = std::upper_bound(ascending.begin(), ascending.end(), mhz);
  return it == ascending.begin() ? ascending.front() : *std::prev(it);
}

}  // namespace

// The loaded library (shut down and unloaded with it) and the actuator's own functions.
struct NvmlClocks::Lib {
  std::unique_ptr<energy::nvml::Library> core;
  GetMemClocksFn get_mem_clocks = nullptr;
  GetGrClocksFn get_gr_clocks = nullptr;
  GetAppClockFn get_app_clock = nullptr;
  GetLimitRangeFn get_limit_range = nullptr;
  GetLimitFn get_limit = nullptr;
  SetAppClocksFn set_app_clocks = nullptr;  // null in dry run
  ResetAppClocksFn reset_app_clocks = nullptr;
  SetLimitFn set_limit = nullptr;
  std::vector<nvmlDevice_t> devices;  // one per gpus_ entry

  std::string error(nvmlReturn_t rc) const {
    std::string text = core->error(rc);
    if (rc == kNvmlErrorNoPermission) {
      text += ": needs root (application clocks: or `nvidia-smi -acp UNRESTRICTED` run by root)";
    }
    return text;
  }

  // A supported-clocks list, ascending; throws naming the call when NVML fails.
  template <typename Call>
  std::vector<unsigned> clocks(const char* fn, const std::string& who, Call call) const {
    std::vector<unsigned> out(256);
    auto count = static_cast<unsigned>(out.size());
    nvmlReturn_t rc = call(&count, out.data());
    if (rc == kNvmlErrorInsufficientSize && count > out.size()) {
      out.resize(count);
      rc = call(&count, out.data());
    }
    if (rc != kNvmlSuccess || count == 0) {
      throw std::runtime_error(fmt::format(
          "nvml: {}: {} {}: this GPU's application clocks cannot be read or set", who, fn,
          rc != kNvmlSuccess ? "failed: " + error(rc) : std::string("listed no clock")));
    }
    out.resize(std::min<size_t>(count, out.size()));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
};

NvmlClocks::NvmlClocks() = default;
NvmlClocks::NvmlClocks(NvmlClocks&&) noexcept = default;

NvmlClocks& NvmlClocks::operator=(NvmlClocks&& o) noexcept {
  if (this != &o) {
    restore_quietly();
    options_ = std::move(o.options_);
    lib_ = std::move(o.lib_);
    gpus_ = std::move(o.gpus_);
    state_ = std::move(o.state_);
  }
  return *this;
}

NvmlClocks::~NvmlClocks() {
  restore_quietly();
}

void NvmlClocks::restore_quietly() noexcept {
  try {
    restore();
  } catch (...) {
    // Best effort: a destructor cannot report it; an explicit restore() would have.
  }
}

NvmlClocks NvmlClocks::open(const NvmlClocksOptions& options) {
  NvmlClocks c;
  c.options_ = options;
  c.lib_ = std::make_unique<Lib>();
  Lib& lib = *c.lib_;
  std::string why;
  lib.core = energy::nvml::Library::open(options.library, &why);
  if (!lib.core) {
    throw std::runtime_error(
        fmt::format("nvml: {} cannot be loaded (no NVIDIA driver on this machine?): {}: the GPU "
                    "frequency actuator has nothing to act on",
                    options.library, why));
  }
  const energy::nvml::Library& core = *lib.core;
  lib.get_mem_clocks = core.symbol<GetMemClocksFn>("nvmlDeviceGetSupportedMemoryClocks");
  lib.get_gr_clocks = core.symbol<GetGrClocksFn>("nvmlDeviceGetSupportedGraphicsClocks");
  lib.get_app_clock = core.symbol<GetAppClockFn>("nvmlDeviceGetApplicationsClock");
  lib.get_limit_range =
      core.symbol<GetLimitRangeFn>("nvmlDeviceGetPowerManagementLimitConstraints");
  lib.get_limit = core.symbol<GetLimitFn>("nvmlDeviceGetPowerManagementLimit");
  std::vector<std::pair<const char*, bool>> required = {
      {"nvmlDeviceGetSupportedMemoryClocks", lib.get_mem_clocks != nullptr},
      {"nvmlDeviceGetSupportedGraphicsClocks", lib.get_gr_clocks != nullptr},
      {"nvmlDeviceGetApplicationsClock", lib.get_app_clock != nullptr},
      {"nvmlDeviceGetPowerManagementLimitConstraints", lib.get_limit_range != nullptr},
      {"nvmlDeviceGetPowerManagementLimit", lib.get_limit != nullptr}};
  // Dry run: the setters are not looked up, so nothing here can call one.
  if (options.allow_actuate) {
    lib.set_app_clocks = core.symbol<SetAppClocksFn>("nvmlDeviceSetApplicationsClocks");
    lib.reset_app_clocks = core.symbol<ResetAppClocksFn>("nvmlDeviceResetApplicationsClocks");
    lib.set_limit = core.symbol<SetLimitFn>("nvmlDeviceSetPowerManagementLimit");
    required.insert(required.end(),
                    {{"nvmlDeviceSetApplicationsClocks", lib.set_app_clocks != nullptr},
                     {"nvmlDeviceResetApplicationsClocks", lib.reset_app_clocks != nullptr},
                     {"nvmlDeviceSetPowerManagementLimit", lib.set_limit != nullptr}});
  }
  if (const char* fn = core.missing()) required.insert(required.begin(), {fn, false});
  for (const auto& [fn, found] : required) {
    if (!found) {
      throw std::runtime_error(
          fmt::format("nvml: {} lacks {} (NVIDIA driver too old?)", options.library, fn));
    }
  }

  if (nvmlReturn_t rc = lib.core->init(); rc != kNvmlSuccess) {
    throw std::runtime_error(
        fmt::format("nvml: nvmlInit_v2 failed: {} (is the NVIDIA driver loaded? see nvidia-smi)",
                    lib.error(rc)));
  }
  unsigned count = 0;
  if (nvmlReturn_t rc = core.device_count(&count); rc != kNvmlSuccess) {
    throw std::runtime_error(fmt::format("nvml: nvmlDeviceGetCount_v2 failed: {}", lib.error(rc)));
  }
  if (count == 0) {
    throw std::runtime_error(
        "nvml: NVML found no NVIDIA GPU: the GPU frequency actuator has nothing to act on");
  }
  std::vector<unsigned> wanted;
  if (options.device == NvmlClocksOptions::kAllDevices) {
    for (unsigned i = 0; i < count; ++i) wanted.push_back(i);
  } else if (options.device >= count) {
    throw std::runtime_error(fmt::format("nvml: GPU {} does not exist (NVML sees {} GPU{})",
                                         options.device, count, count == 1 ? "" : "s"));
  } else {
    wanted.push_back(options.device);
  }

  for (unsigned index : wanted) {
    NvmlGpuClocks g;
    g.index = index;
    nvmlDevice_t dev = nullptr;
    if (nvmlReturn_t rc = core.device(index, &dev); rc != kNvmlSuccess) {
      throw std::runtime_error(fmt::format("nvml: gpu{}: nvmlDeviceGetHandleByIndex_v2 failed: {}",
                                           index, lib.error(rc)));
    }
    g.name = core.name(dev);
    if (g.name.empty()) g.name = "NVIDIA GPU";
    const std::string who = fmt::format("gpu{} ({})", index, g.name);

    g.memory_mhz =
        lib.clocks("nvmlDeviceGetSupportedMemoryClocks", who,
                   [&](unsigned* n, unsigned* mhz) { return lib.get_mem_clocks(dev, n, mhz); });
    g.graphics_mhz =
        lib.clocks("nvmlDeviceGetSupportedGraphicsClocks", who, [&](unsigned* n, unsigned* mhz) {
          return lib.get_gr_clocks(dev, g.memory_mhz.back(), n, mhz);
        });
    for (auto [type, out] :
         {std::pair{kNvmlClockGraphics, &g.app_graphics_mhz}, {kNvmlClockMem, &g.app_memory_mhz}}) {
      if (nvmlReturn_t rc = lib.get_app_clock(dev, type, out); rc != kNvmlSuccess) {
        throw std::runtime_error(
            fmt::format("nvml: {}: nvmlDeviceGetApplicationsClock failed: {}", who, lib.error(rc)));
      }
    }
    nvmlReturn_t rc = lib.get_limit_range(dev, &g.power_min_mw, &g.power_max_mw);
    if (rc == kNvmlSuccess) rc = lib.get_limit(dev, &g.power_limit_mw);
    if (rc == kNvmlSuccess) {
      g.has_power_limit = g.power_min_mw <= g.power_max_mw;
    } else if (rc != kNvmlErrorNotSupported) {
      throw std::runtime_error(
          fmt::format("nvml: {}: reading the power limit failed: {}", who, lib.error(rc)));
    }
    lib.devices.push_back(dev);
    c.gpus_.push_back(std::move(g));
  }
  c.state_.resize(c.gpus_.size());
  return c;
}

std::vector<uint64_t> NvmlClocks::caps_khz() const {
  std::set<unsigned> common, all;
  for (size_t i = 0; i < gpus_.size(); ++i) {
    const auto& list = gpus_[i].graphics_mhz;
    all.insert(list.begin(), list.end());
    std::set<unsigned> s(list.begin(), list.end());
    if (i == 0) {
      common = std::move(s);
    } else {
      std::set<unsigned> both;
      std::set_intersection(common.begin(), common.end(), s.begin(), s.end(),
                            std::inserter(both, both.begin()));
      common = std::move(both);
    }
  }
  const auto& chosen = common.empty() ? all : common;
  std::vector<uint64_t> out;
  for (unsigned mhz : chosen) out.push_back(uint64_t{mhz} * 1000);
  return out;
}

CapAction NvmlClocks::set_cap(uint64_t khz) {
  CapAction a;
  a.requested_khz = khz;
  a.applied = options_.allow_actuate;
  for (size_t i = 0; i < gpus_.size(); ++i) {
    const NvmlGpuClocks& g = gpus_[i];
    State& s = state_[i];
    const unsigned graphics = snap(g.graphics_mhz, khz / 1000);
    const unsigned memory = g.memory_mhz.back();
    const unsigned from_graphics = s.clocks_applied ? s.graphics_mhz : g.app_graphics_mhz;
    const unsigned from_memory = s.clocks_applied ? s.memory_mhz : g.app_memory_mhz;
    std::string line =
        fmt::format("gpu{}: application clocks {} -> {} MHz", g.index, from_graphics, graphics);
    if (from_memory != memory) line += fmt::format(", memory {} -> {} MHz", from_memory, memory);
    if (options_.allow_actuate) {
      if (nvmlReturn_t rc = lib_->set_app_clocks(lib_->devices[i], memory, graphics);
          rc != kNvmlSuccess) {
        throw std::runtime_error(fmt::format(
            "nvml: gpu{} ({}): nvmlDeviceSetApplicationsClocks (memory {} MHz, graphics {} MHz) "
            "failed: {}",
            g.index, g.name, memory, graphics, lib_->error(rc)));
      }
      s.clocks_applied = true;
      s.graphics_mhz = graphics;
      s.memory_mhz = memory;
    } else {
      line += " (dry run)";
    }
    a.lines.push_back(std::move(line));
  }
  return a;
}

PowerLimitAction NvmlClocks::set_power_limit_mw(uint64_t mw) {
  PowerLimitAction a;
  a.requested_mw = mw;
  a.applied = options_.allow_actuate;
  for (size_t i = 0; i < gpus_.size(); ++i) {
    const NvmlGpuClocks& g = gpus_[i];
    State& s = state_[i];
    if (!g.has_power_limit) {
      a.lines.push_back(fmt::format("gpu{}: no power limit that NVML manages (skipped)", g.index));
      continue;
    }
    const auto limit =
        static_cast<unsigned>(std::clamp<uint64_t>(mw, g.power_min_mw, g.power_max_mw));
    const unsigned from = s.limit_applied ? s.limit_mw : g.power_limit_mw;
    std::string line =
        fmt::format("gpu{}: power limit {} -> {} W", g.index, watts(from), watts(limit));
    if (limit != mw) {
      line += fmt::format(" (clamped to {}..{} W)", watts(g.power_min_mw), watts(g.power_max_mw));
    }
    if (options_.allow_actuate) {
      if (nvmlReturn_t rc = lib_->set_limit(lib_->devices[i], limit); rc != kNvmlSuccess) {
        throw std::runtime_error(
            fmt::format("nvml: gpu{} ({}): nvmlDeviceSetPowerManagementLimit ({} W) failed: {}",
                        g.index, g.name, watts(limit), lib_->error(rc)));
      }
      s.limit_applied = true;
      s.limit_mw = limit;
    } else {
      line += " (dry run)";
    }
    a.lines.push_back(std::move(line));
  }
  return a;
}

void NvmlClocks::restore() {
  if (!options_.allow_actuate || !lib_) return;  // dry run: nothing was applied
  std::string errors;
  for (size_t i = 0; i < gpus_.size(); ++i) {
    const NvmlGpuClocks& g = gpus_[i];
    State& s = state_[i];
    if (s.clocks_applied) {
      if (nvmlReturn_t rc = lib_->reset_app_clocks(lib_->devices[i]); rc != kNvmlSuccess) {
        errors += fmt::format("{}gpu{}: nvmlDeviceResetApplicationsClocks failed: {}",
                              errors.empty() ? "" : "; ", g.index, lib_->error(rc));
      } else {
        s.clocks_applied = false;
      }
    }
    if (s.limit_applied) {
      if (nvmlReturn_t rc = lib_->set_limit(lib_->devices[i], g.power_limit_mw);
          rc != kNvmlSuccess) {
        errors += fmt::format("{}gpu{}: nvmlDeviceSetPowerManagementLimit ({} W) failed: {}",
                              errors.empty() ? "" : "; ", g.index, watts(g.power_limit_mw),
                              lib_->error(rc));
      } else {
        s.limit_applied = false;
      }
    }
  }
  if (!errors.empty()) throw std::runtime_error("nvml: restore: " + errors);
}

}  // namespace wattserve::adapt
