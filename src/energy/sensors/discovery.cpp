#include "energy/sensors/discovery.h"

#include <algorithm>
#include <stdexcept>

#include "energy/sensors/hwmon.h"
#include "energy/sensors/nvml_sensor.h"
#include "energy/sensors/rapl_perf.h"
#include "energy/sensors/rapl_powercap.h"

namespace wattserve::energy {

namespace {

// Presents another sensor's domains with counted = false: used for component sensors when an
// external meter measures the whole machine, so nothing is added twice.
class UncountedSensor final : public Sensor {
 public:
  explicit UncountedSensor(std::unique_ptr<Sensor> inner) : inner_(std::move(inner)) {
    domains_ = inner_->domains();
    for (Domain& d : domains_) d.counted = false;
  }
  std::string_view name() const override { return inner_->name(); }
  const std::vector<Domain>& domains() const override { return domains_; }
  bool read(int64_t now_ns, std::span<double> out, std::string* error) override {
    return inner_->read(now_ns, out, error);
  }
  void last_power(std::span<double> out) const override { inner_->last_power(out); }
  int64_t min_interval_ns() const override { return inner_->min_interval_ns(); }

 private:
  std::unique_ptr<Sensor> inner_;
  std::vector<Domain> domains_;
};

bool covers_cpu(const Sensor& s) {
  return std::any_of(s.domains().begin(), s.domains().end(), [](const Domain& d) {
    return d.kind == DomainKind::kCpuPackage || d.kind == DomainKind::kPsys;
  });
}

bool wanted(const SensorSelection& sel, const std::string& kind) {
  return sel.only.empty() || std::find(sel.only.begin(), sel.only.end(), kind) != sel.only.end();
}

}  // namespace

const std::vector<std::string>& sensor_kinds() {
  static const std::vector<std::string> k = {"rapl",  "perf",     "nvml",
                                             "hwmon", "external", "estimate"};
  return k;
}

Discovery discover_sensors(const SensorSelection& sel) {
  for (const std::string& k : sel.only) {
    if (std::find(sensor_kinds().begin(), sensor_kinds().end(), k) == sensor_kinds().end()) {
      throw std::invalid_argument("unknown sensor '" + k +
                                  "' (known: rapl, perf, nvml, hwmon, external, estimate)");
    }
  }
  const bool explicit_list = !sel.only.empty();
  Discovery out;
  bool cpu_covered = false;
  // Adds a sensor if made; when the user named this kind and it failed, that is an error.
  auto take = [&](const std::string& kind, std::unique_ptr<Sensor> s, size_t notes_before) {
    if (s) {
      cpu_covered = cpu_covered || covers_cpu(*s);
      out.sensors.push_back(std::move(s));
    } else if (explicit_list) {
      std::string why = out.notes.size() > notes_before ? out.notes.back().reason : "unavailable";
      throw SensorError("sensor '" + kind + "' cannot be used: " + why);
    }
  };

  if (wanted(sel, "rapl")) {
    const size_t n = out.notes.size();
    PowercapOptions o;
    o.sysfs_root = sel.sysfs_root;
    o.include_psys = sel.include_psys;
    take("rapl", make_powercap_sensor(o, &out.notes), n);
  }
  if (wanted(sel, "perf") && !(sel.only.empty() && cpu_covered)) {
    const size_t n = out.notes.size();
    PerfRaplOptions o;
    o.sysfs_root = sel.sysfs_root;
    o.include_psys = sel.include_psys;
    take("perf", make_perf_rapl_sensor(o, &out.notes), n);
  } else if (sel.only.empty()) {
    out.notes.push_back({"rapl-perf", "not needed: RAPL powercap already reads the CPU", ""});
  }
  if (wanted(sel, "nvml")) {
    const size_t n = out.notes.size();
    NvmlOptions o;
    o.library = sel.nvml_library;
    take("nvml", make_nvml_sensor(o, &out.notes), n);
  }
  if (wanted(sel, "hwmon")) {
    const size_t n = out.notes.size();
    HwmonOptions o;
    o.sysfs_root = sel.sysfs_root;
    o.include_cpu = !cpu_covered;  // RAPL already counts the CPU: never count it twice
    take("hwmon", make_hwmon_sensor(o, &out.notes), n);
  }
  const bool have_external = !sel.external.command.empty() || !sel.external.url.empty();
  std::unique_ptr<Sensor> external;
  if (have_external && wanted(sel, "external")) {
    external = sel.external_required ? std::make_unique<ExternalMeter>(sel.external)
                                     : make_external_meter(sel.external, &out.notes);
  }
  if (external) {
    // The meter measures the whole machine: components are shown, the meter is the total.
    for (auto& s : out.sensors) s = std::make_unique<UncountedSensor>(std::move(s));
    out.sensors.push_back(std::move(external));
    cpu_covered = true;
  } else if (explicit_list && wanted(sel, "external") && !have_external) {
    throw SensorError("sensor 'external' needs --meter-cmd or --meter-url");
  }
  const bool estimate_named = explicit_list && wanted(sel, "estimate");
  if (estimate_named || (!explicit_list && !cpu_covered)) {
    EstimateOptions o = sel.estimate;
    o.procfs_root = sel.procfs_root;
    out.sensors.push_back(std::make_unique<EstimateSensor>(o));
  } else if (!explicit_list) {
    out.notes.push_back({"estimate", "not needed: a sensor measures the CPU", ""});
  }
  if (out.sensors.empty()) {
    throw SensorError("no energy sensor could be used (see `wattserve sensors`)");
  }
  return out;
}

}  // namespace wattserve::energy
