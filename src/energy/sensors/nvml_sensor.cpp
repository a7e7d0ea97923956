#include "energy/sensors/nvml_sensor.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <string_view>
#include <utility>

#include "energy/sensors/nvml_library.h"

namespace wattserve::energy {
namespace {

// nvml.h's names for nvml_library.h's declarations, and the sensor's own.
using nvmlReturn_t = nvml::Return;
using nvmlDevice_t = nvml::Device;
constexpr nvmlReturn_t kNvmlSuccess = nvml::kSuccess;
constexpr nvmlReturn_t kNvmlErrorNotSupported = nvml::kErrorNotSupported;
constexpr unsigned kNvmlDeviceUuidV2BufferSize = 96;  // NVML_DEVICE_UUID_V2_BUFFER_SIZE
constexpr unsigned kNvmlFiDevPowerInstant = 186;      // NVML_FI_DEV_POWER_INSTANT (mW)

// nvmlFieldValue_t (40 bytes): one field of nvmlDeviceGetFieldValues.
struct NvmlFieldValue {
  unsigned int field_id = 0;
  unsigned int scope_id = 0;
  long long timestamp = 0;
  long long latency_us = 0;
  int value_type = 0;  // nvmlValueType_t
  nvmlReturn_t rc = 0;
  union {
    double d;
    unsigned int ui;
    unsigned long ul;
    unsigned long long ull;
    long long sll;
    int si;
    unsigned short us;
  } value{};
};
static_assert(sizeof(NvmlFieldValue) == 40);

// The value of a field as a double, by its nvmlValueType_t; NaN for an unknown type.
double field_number(const NvmlFieldValue& f) {
  switch (f.value_type) {
    case 0:
      return f.value.d;
    case 1:
      return f.value.ui;
    case 2:
      return static_cast<double>(f.value.ul);
    case 3:
      return static_cast<double>(f.value.ull);
    case 4:
      return static_cast<double>(f.value.sll);
    case 5:
      return f.value.si;
    case 6:
      return f.value.us;
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

// The stale-counter catch-up (docs/measurement.md): a figure behind the counter-informed target
// rises per read by at most kCatchUpPowerMargin x the larger of the last two power readings x dt,
// plus the remaining gap x dt / kCatchUpSeconds.
constexpr double kCatchUpPowerMargin = 1.1;
constexpr double kCatchUpSeconds = 0.5;

extern "C" {
using NvmlGetStringFn = nvmlReturn_t (*)(nvmlDevice_t, char*, unsigned int);  // UUID
using NvmlGetEnergyFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned long long*);  // millijoules
using NvmlGetPowerFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int*);         // milliwatts
using NvmlGetFieldValuesFn = nvmlReturn_t (*)(nvmlDevice_t, int, NvmlFieldValue*);
}

// The loaded library (shut down and unloaded with it) and the sensor's own functions.
struct NvmlLib {
  std::unique_ptr<nvml::Library> core;
  NvmlGetStringFn get_uuid = nullptr;  // optional
  NvmlGetEnergyFn get_energy = nullptr;
  NvmlGetPowerFn get_power = nullptr;
  NvmlGetFieldValuesFn get_fields = nullptr;  // optional

  // The instant board power (field NVML_FI_DEV_POWER_INSTANT) in watts, or NaN where the library
  // or the GPU lacks it.
  double instant_watts(nvmlDevice_t dev) const {
    if (!get_fields) return std::numeric_limits<double>::quiet_NaN();
    NvmlFieldValue f;
    f.field_id = kNvmlFiDevPowerInstant;
    if (get_fields(dev, 1, &f) != kNvmlSuccess || f.rc != kNvmlSuccess) {
      return std::numeric_limits<double>::quiet_NaN();
    }
    return field_number(f) / 1000.0;
  }

  std::string error(nvmlReturn_t rc) const { return core->error(rc); }
};

struct Gpu {
  unsigned index = 0;
  nvmlDevice_t dev = nullptr;
  bool counter = false;   // energy counter (else integrated power)
  bool has_power = true;  // false: the power call is NOT_SUPPORTED (counter GPUs only)
  bool instant = false;   // power from NVML_FI_DEV_POWER_INSTANT, else nvmlDeviceGetPowerUsage
  bool started = false;
  double joules = 0;  // reported cumulative joules: never decreases
  double last_w = std::numeric_limits<double>::quiet_NaN();  // the last good read's power
  // Counter mode.
  unsigned long long last_mj = 0;
  unsigned long long counter_mj = 0;  // counter advance since the first read
  int64_t last_change_ns = 0;         // read that first saw the current counter value
  PowerIntegrator bridge;             // power integrated since last_change_ns
  int64_t prev_ns = 0;                // the previous read (its power is last_w)
  // Power mode.
  PowerIntegrator power;
};

class NvmlSensor final : public Sensor {
 public:
  NvmlSensor(std::unique_ptr<NvmlLib> lib, std::vector<Gpu> gpus, std::vector<Domain> domains,
             int64_t stale_after_ns)
      : lib_(std::move(lib)),
        gpus_(std::move(gpus)),
        domains_(std::move(domains)),
        stale_after_ns_(stale_after_ns) {}

  std::string_view name() const override { return "nvml"; }
  const std::vector<Domain>& domains() const override { return domains_; }

  bool read(int64_t now_ns, std::span<double> out, std::string* error) override {
    std::lock_guard lock(mu_);
    std::string errors;
    for (Gpu& g : gpus_) {
      double watts =
          g.instant ? lib_->instant_watts(g.dev) : std::numeric_limits<double>::quiet_NaN();
      nvmlReturn_t prc = kNvmlSuccess;
      if (!std::isfinite(watts)) {  // no instant field, or it failed this time
        unsigned int mw = 0;
        prc = g.has_power ? lib_->get_power(g.dev, &mw) : kNvmlErrorNotSupported;
        if (prc == kNvmlSuccess) watts = mw / 1000.0;
      }
      if (g.counter) {
        unsigned long long mj = 0;
        nvmlReturn_t rc = lib_->get_energy(g.dev, &mj);
        if (rc != kNvmlSuccess) {
          append(errors, g, "nvmlDeviceGetTotalEnergyConsumption", rc);
          continue;
        }
        update_counter(g, now_ns, mj, watts);
      } else {
        if (prc != kNvmlSuccess) {
          append(errors, g, "nvmlDeviceGetPowerUsage", prc);
          continue;
        }
        g.joules = std::max(g.joules, g.power.add(now_ns, watts));
        g.started = true;
      }
      g.last_w = watts;
    }
    if (!errors.empty()) {
      if (error) *error = errors;
      return false;
    }
    for (size_t i = 0; i < gpus_.size() && i < out.size(); ++i) out[i] = gpus_[i].joules;
    return true;
  }

  void last_power(std::span<double> out) const override {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < gpus_.size() && i < out.size(); ++i) out[i] = gpus_[i].last_w;
  }

 private:
  // The stale-counter rule (docs/measurement.md, "Stale counter"). The NVML counter only moves
  // every ~100 ms (H200: 90-110 ms), so reads see it step. The target is the counter plus the
  // power integrated (trapezoid) since the read that first saw its current value (once that is
  // >= stale_after_ns old). The figure never goes backwards and never passes the target. When
  // power readings exist, a figure behind the target catches up at a bounded rate instead of in
  // one read: a counter step seen by a read a few ms after the previous one would otherwise put
  // ~100 ms of energy into those few ms (a 10 kW "spike" on a 700 W GPU). Without power readings
  // the figure takes the target at once. The domain stays Source::kCounter: over any window
  // longer than the counter's update period the energy is the counter's to within one step.
  void update_counter(Gpu& g, int64_t now_ns, unsigned long long mj, double watts) {
    const double w = std::isfinite(watts) ? watts : 0.0;
    if (!g.started || mj != g.last_mj) {
      if (g.started && mj > g.last_mj) g.counter_mj += mj - g.last_mj;  // a drop = driver reload
      g.last_mj = mj;
      g.last_change_ns = now_ns;
      g.bridge = PowerIntegrator{};
      g.bridge.add(now_ns, w);
    } else if (std::isfinite(watts)) {
      g.bridge.add(now_ns, watts);
    }
    if (!g.started) {
      g.started = true;
    } else {
      double target = static_cast<double>(g.counter_mj) / 1000.0;
      if (now_ns - g.last_change_ns >= stale_after_ns_) target += g.bridge.joules();
      const double gap = target - g.joules;
      double p_hi = 0;
      for (double p : {watts, g.last_w}) {
        if (std::isfinite(p)) p_hi = std::max(p_hi, p);
      }
      if (gap > 0 && p_hi <= 0) {
        g.joules = target;
      } else if (gap > 0) {
        const double dt = static_cast<double>(now_ns - g.prev_ns) * 1e-9;
        const double allowed =
            kCatchUpPowerMargin * p_hi * dt + gap * std::min(1.0, dt / kCatchUpSeconds);
        g.joules += std::min(gap, allowed);
      }
    }
    g.prev_ns = now_ns;
  }

  void append(std::string& errors, const Gpu& g, const char* fn, nvmlReturn_t rc) const {
    if (!errors.empty()) errors += "; ";
    errors += "nvml: GPU " + std::to_string(g.index) + ": " + fn + " failed: " + lib_->error(rc);
  }

  std::unique_ptr<NvmlLib> lib_;
  mutable std::mutex mu_;
  std::vector<Gpu> gpus_;
  std::vector<Domain> domains_;
  int64_t stale_after_ns_;
};

void note(std::vector<SensorNote>* notes, std::string reason, std::string hint = {}) {
  if (notes) notes->push_back(SensorNote{"nvml", std::move(reason), std::move(hint)});
}

std::string device_string(NvmlGetStringFn fn, nvmlDevice_t dev, unsigned size) {
  if (!fn) return {};
  std::string buf(size, '\0');
  if (fn(dev, buf.data(), size) != kNvmlSuccess) return {};
  buf.resize(buf.find('\0') == std::string::npos ? buf.size() : buf.find('\0'));
  return buf;
}

}  // namespace

std::unique_ptr<Sensor> make_nvml_sensor(const NvmlOptions& opts, std::vector<SensorNote>* notes) {
  auto lib = std::make_unique<NvmlLib>();
  std::string why;
  lib->core = nvml::Library::open(opts.library, &why);
  if (!lib->core) {
    note(notes, opts.library + " not found (no NVIDIA driver on this machine): " + why,
         "install the NVIDIA driver to measure NVIDIA GPUs");
    return nullptr;
  }
  const nvml::Library& core = *lib->core;
  lib->get_uuid = core.symbol<NvmlGetStringFn>("nvmlDeviceGetUUID");
  lib->get_energy = core.symbol<NvmlGetEnergyFn>("nvmlDeviceGetTotalEnergyConsumption");
  lib->get_power = core.symbol<NvmlGetPowerFn>("nvmlDeviceGetPowerUsage");
  lib->get_fields = core.symbol<NvmlGetFieldValuesFn>("nvmlDeviceGetFieldValues");
  const char* missing = core.missing();
  if (!missing && !lib->get_energy) missing = "nvmlDeviceGetTotalEnergyConsumption";
  if (!missing && !lib->get_power) missing = "nvmlDeviceGetPowerUsage";
  if (missing) {
    note(notes, opts.library + " lacks " + missing + " (NVIDIA driver too old?)",
         "update the NVIDIA driver");
    return nullptr;
  }

  if (nvmlReturn_t rc = lib->core->init(); rc != kNvmlSuccess) {
    note(notes, "nvmlInit_v2 failed: " + lib->error(rc),
         "check that the NVIDIA driver is loaded (nvidia-smi)");
    return nullptr;
  }

  unsigned int count = 0;
  if (nvmlReturn_t rc = core.device_count(&count); rc != kNvmlSuccess) {
    note(notes, "nvmlDeviceGetCount_v2 failed: " + lib->error(rc));
    return nullptr;
  }
  std::vector<unsigned> wanted = opts.devices;
  if (wanted.empty()) {
    for (unsigned i = 0; i < count; ++i) wanted.push_back(i);
  }

  std::vector<Gpu> gpus;
  std::vector<Domain> domains;
  for (unsigned index : wanted) {
    std::string who = "GPU " + std::to_string(index);
    if (index >= count) {
      note(notes, who + " does not exist (NVML sees " + std::to_string(count) + " GPUs)");
      continue;
    }
    Gpu g;
    g.index = index;
    if (nvmlReturn_t rc = core.device(index, &g.dev); rc != kNvmlSuccess) {
      note(notes, who + ": nvmlDeviceGetHandleByIndex_v2 failed: " + lib->error(rc));
      continue;
    }
    std::string name = core.name(g.dev);
    std::string uuid = device_string(lib->get_uuid, g.dev, kNvmlDeviceUuidV2BufferSize);
    if (name.empty()) name = "NVIDIA GPU";
    unsigned long long mj = 0;
    unsigned int mw = 0;
    nvmlReturn_t erc = lib->get_energy(g.dev, &mj);
    nvmlReturn_t prc = lib->get_power(g.dev, &mw);
    g.instant = std::isfinite(lib->instant_watts(g.dev));
    if (erc == kNvmlSuccess) {
      g.counter = true;
      g.has_power = prc != kNvmlErrorNotSupported;  // no bridge for this GPU
    } else if (prc != kNvmlSuccess && !g.instant) {
      note(notes, who + " (" + name + ") has no energy counter (" + lib->error(erc) +
                      ") and no power reading (" + lib->error(prc) + ")");
      continue;
    }
    Domain d;
    d.id = "nvml:gpu-" + std::to_string(index);
    d.kind = DomainKind::kGpu;
    d.source = g.counter ? Source::kCounter : Source::kPower;
    d.label = name + " (NVML GPU " + std::to_string(index) + (uuid.empty() ? "" : ", " + uuid) +
              (g.counter ? ", energy counter" : ", power readings") +
              (g.instant ? ", instant power)" : ")");
    gpus.push_back(std::move(g));
    domains.push_back(std::move(d));
  }
  if (gpus.empty()) {
    note(notes, count == 0 ? "NVML found no NVIDIA GPU" : "no NVIDIA GPU could be measured");
    return nullptr;
  }
  return std::make_unique<NvmlSensor>(std::move(lib), std::move(gpus), std::move(domains),
                                      opts.stale_after_ns);
}

}  // namespace wattserve::energy
