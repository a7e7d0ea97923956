// NVIDIA application clocks and power limit through NVML (nvml_clocks.h).
#include "adapt/nvml_clocks.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <set>
#include <stdexcept>
#include <utility>

namespace wattserve::adapt {

namespace {

// The NVML declarations used, as in nvml.h (not needed at build time). nvmlReturn_t is a C enum
// (int-sized); nvmlDevice_t is an opaque pointer.
using nvmlReturn_t = int;
struct nvmlDevice_st;
using nvmlDevice_t = nvmlDevice_st*;
constexpr nvmlReturn_t kNvmlSuccess = 0;
constexpr nvmlReturn_t kNvmlErrorNotSupported = 3;
constexpr nvmlReturn_t kNvmlErrorNoPermission = 4;
constexpr nvmlReturn_t kNvmlErrorInsufficientSize = 7;
constexpr int kNvmlClockGraphics = 0;  // nvmlClockType_t NVML_CLOCK_GRAPHICS
constexpr int kNvmlClockMem = 2;       // NVML_CLOCK_MEM
constexpr unsigned kNvmlDeviceNameV2BufferSize = 96;

extern "C" {
using InitFn = nvmlReturn_t (*)();                                      // nvmlInit_v2
using ShutdownFn = nvmlReturn_t (*)();                                  // nvmlShutdown
using ErrorStringFn = const char* (*)(nvmlReturn_t);                    // nvmlErrorString
using GetCountFn = nvmlReturn_t (*)(unsigned int*);                     // nvmlDeviceGetCount_v2
using GetHandleFn = nvmlReturn_t (*)(unsigned int, nvmlDevice_t*);      // ..HandleByIndex_v2
using GetNameFn = nvmlReturn_t (*)(nvmlDevice_t, char*, unsigned int);  // nvmlDeviceGetName
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

template <typename Fn>
Fn symbol(void* handle, const char* name) {
  return reinterpret_cast<Fn>(dlsym(handle, name));
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

// The loaded library; shuts NVML down and unloads it when destroyed.
struct NvmlClocks::Lib {
  void* handle = nullptr;
  bool initialized = false;
  InitFn init = nullptr;
  ShutdownFn shutdown = nullptr;
  ErrorStringFn error_string = nullptr;
  GetCountFn get_count = nullptr;
  GetHandleFn get_handle = nullptr;
  GetNameFn get_name = nullptr;
  GetMemClocksFn get_mem_clocks = nullptr;
  GetGrClocksFn get_gr_clocks = nullptr;
  GetAppClockFn get_app_clock = nullptr;
  GetLimitRangeFn get_limit_range = nullptr;
  GetLimitFn get_limit = nullptr;
  SetAppClocksFn set_app_clocks = nullptr;  // null in dry run
  ResetAppClocksFn reset_app_clocks = nullptr;
  SetLimitFn set_limit = nullptr;
  std::vector<nvmlDevice_t> devices;  // one per gpus_ entry

  Lib() = default;
  Lib(const Lib&) = delete;
  Lib& operator=(const Lib&) = delete;
  ~Lib() {
    if (initialized) shutdown();
    if (handle) dlclose(handle);
  }

  std::string error(nvmlReturn_t rc) const {
    const char* s = error_string ? error_string(rc) : nullptr;
    std::string text = fmt::format("{} ({})", s && *s ? s : "NVML error", rc);
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
  dlerror();
  lib.handle = dlopen(options.library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib.handle) {
    const char* e = dlerror();
    throw std::runtime_error(
        fmt::format("nvml: {} cannot be loaded (no NVIDIA driver on this machine?): {}: the GPU "
                    "frequency actuator has nothing to act on",
                    options.library, e ? e : "dlopen failed"));
  }
  void* h = lib.handle;
  lib.init = symbol<InitFn>(h, "nvmlInit_v2");
  lib.shutdown = symbol<ShutdownFn>(h, "nvmlShutdown");
  lib.error_string = symbol<ErrorStringFn>(h, "nvmlErrorString");
  lib.get_count = symbol<GetCountFn>(h, "nvmlDeviceGetCount_v2");
  lib.get_handle = symbol<GetHandleFn>(h, "nvmlDeviceGetHandleByIndex_v2");
  lib.get_name = symbol<GetNameFn>(h, "nvmlDeviceGetName");
  lib.get_mem_clocks = symbol<GetMemClocksFn>(h, "nvmlDeviceGetSupportedMemoryClocks");
  lib.get_gr_clocks = symbol<GetGrClocksFn>(h, "nvmlDeviceGetSupportedGraphicsClocks");
  lib.get_app_clock = symbol<GetAppClockFn>(h, "nvmlDeviceGetApplicationsClock");
  lib.get_limit_range = symbol<GetLimitRangeFn>(h, "nvmlDeviceGetPowerManagementLimitConstraints");
  lib.get_limit = symbol<GetLimitFn>(h, "nvmlDeviceGetPowerManagementLimit");
  std::vector<std::pair<const char*, bool>> required = {
      {"nvmlInit_v2", lib.init != nullptr},
      {"nvmlShutdown", lib.shutdown != nullptr},
      {"nvmlErrorString", lib.error_string != nullptr},
      {"nvmlDeviceGetCount_v2", lib.get_count != nullptr},
      {"nvmlDeviceGetHandleByIndex_v2", lib.get_handle != nullptr},
      {"nvmlDeviceGetName", lib.get_name != nullptr},
      {"nvmlDeviceGetSupportedMemoryClocks", lib.get_mem_clocks != nullptr},
      {"nvmlDeviceGetSupportedGraphicsClocks", lib.get_gr_clocks != nullptr},
      {"nvmlDeviceGetApplicationsClock", lib.get_app_clock != nullptr},
      {"nvmlDeviceGetPowerManagementLimitConstraints", lib.get_limit_range != nullptr},
      {"nvmlDeviceGetPowerManagementLimit", lib.get_limit != nullptr}};
  // Dry run: the setters are not looked up, so nothing here can call one.
  if (options.allow_actuate) {
    lib.set_app_clocks = symbol<SetAppClocksFn>(h, "nvmlDeviceSetApplicationsClocks");
    lib.reset_app_clocks = symbol<ResetAppClocksFn>(h, "nvmlDeviceResetApplicationsClocks");
    lib.set_limit = symbol<SetLimitFn>(h, "nvmlDeviceSetPowerManagementLimit");
    required.insert(required.end(),
                    {{"nvmlDeviceSetApplicationsClocks", lib.set_app_clocks != nullptr},
                     {"nvmlDeviceResetApplicationsClocks", lib.reset_app_clocks != nullptr},
                     {"nvmlDeviceSetPowerManagementLimit", lib.set_limit != nullptr}});
  }
  for (const auto& [fn, found] : required) {
    if (!found) {
      throw std::runtime_error(
          fmt::format("nvml: {} lacks {} (NVIDIA driver too old?)", options.library, fn));
    }
  }

  if (nvmlReturn_t rc = lib.init(); rc != kNvmlSuccess) {
    throw std::runtime_error(
        fmt::format("nvml: nvmlInit_v2 failed: {} (is the NVIDIA driver loaded? see nvidia-smi)",
                    lib.error(rc)));
  }
  lib.initialized = true;
  unsigned count = 0;
  if (nvmlReturn_t rc = lib.get_count(&count); rc != kNvmlSuccess) {
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
    if (nvmlReturn_t rc = lib.get_handle(index, &dev); rc != kNvmlSuccess) {
      throw std::runtime_error(fmt::format("nvml: gpu{}: nvmlDeviceGetHandleByIndex_v2 failed: {}",
                                           index, lib.error(rc)));
    }
    std::string name(kNvmlDeviceNameV2BufferSize, '\0');
    if (lib.get_name(dev, name.data(), kNvmlDeviceNameV2BufferSize) == kNvmlSuccess) {
      g.name = name.substr(0, name.find('\0'));
    }
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
