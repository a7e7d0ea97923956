#include "energy/sensors/hwmon.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <limits>
#include <set>
#include <string_view>

#include "energy/core/clock.h"

namespace wattserve::energy {
namespace {

constexpr std::string_view kSensorName = "hwmon";

struct Channel {
  std::string path;
  bool power = false;  // µW reading to integrate, else a µJ counter
  // hwmon energy counters have no max-range file and some wrap (32-bit firmware counters) or
  // reset: with range 0 a decrease is taken as a reset and that interval adds nothing, so the
  // total never goes backwards (a little energy is lost rather than invented).
  EnergyCounter counter{0};
  PowerIntegrator integrator;
  double last_watts = std::numeric_limits<double>::quiet_NaN();
};

class HwmonSensor final : public Sensor {
 public:
  HwmonSensor(std::shared_ptr<SysfsReader> reader, std::vector<Domain> domains,
              std::vector<Channel> channels)
      : reader_(std::move(reader)), domains_(std::move(domains)), channels_(std::move(channels)) {}

  std::string_view name() const override { return kSensorName; }
  const std::vector<Domain>& domains() const override { return domains_; }

  bool read(int64_t now_ns, std::span<double> out, std::string* error) override {
    if (out.size() != channels_.size()) {
      if (error) *error = "hwmon: output span has the wrong size";
      return false;
    }
    std::vector<uint64_t> raw(channels_.size());
    for (size_t i = 0; i < channels_.size(); ++i) {
      if (int err = read_u64(*reader_, channels_[i].path, &raw[i])) {
        if (error) *error = "hwmon: reading " + channels_[i].path + ": " + errno_text(err);
        return false;
      }
    }
    const double dt = interval_.advance(now_ns);
    for (size_t i = 0; i < channels_.size(); ++i) {
      Channel& c = channels_[i];
      const double v = static_cast<double>(raw[i]);
      if (c.power) {
        // power1_average is already a mean over the firmware's own window, which is not our
        // sampling interval, so it is treated like an instantaneous reading: trapezoid.
        c.last_watts = v * 1e-6;
        out[i] = c.integrator.add(now_ns, c.last_watts);
      } else {
        out[i] = c.counter.update(v, dt);
        c.last_watts = c.counter.last_watts();
      }
    }
    return true;
  }

  void last_power(std::span<double> out) const override {
    for (size_t i = 0; i < out.size() && i < channels_.size(); ++i)
      out[i] = channels_[i].last_watts;
  }

 private:
  std::shared_ptr<SysfsReader> reader_;
  std::vector<Domain> domains_;
  std::vector<Channel> channels_;
  ReadInterval interval_;
};

void add_note(std::vector<SensorNote>* notes, std::string reason, std::string hint = {}) {
  if (notes) notes->push_back({std::string(kSensorName), std::move(reason), std::move(hint)});
}

// The number in "<prefix><N><suffix>", or -1.
int number_in(std::string_view s, std::string_view prefix, std::string_view suffix) {
  if (!s.starts_with(prefix) || !s.ends_with(suffix)) return -1;
  s = s.substr(prefix.size(), s.size() - prefix.size() - suffix.size());
  int n = -1;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size() ? n : -1;
}

std::vector<std::pair<int, std::string>> numbered_entries(const std::string& dir,
                                                          std::string_view prefix,
                                                          std::string_view suffix) {
  std::vector<std::pair<int, std::string>> v;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string f = it->path().filename().string();
    if (int n = number_in(f, prefix, suffix); n >= 0) v.emplace_back(n, f);
  }
  std::sort(v.begin(), v.end());
  return v;
}

struct Builder {
  const SysfsReader& reader;
  std::vector<SensorNote>* notes;
  std::vector<Domain> domains;
  std::vector<Channel> channels;
  std::set<std::string> ids;

  // Reads `path` once to check it is usable (and prime a counter); false with a note if not.
  bool add(Domain d, Channel c, const std::string& hwmon) {
    uint64_t raw = 0;
    if (int err = read_u64(reader, c.path, &raw)) {
      add_note(notes, "skipped " + d.id + ": cannot read " + c.path + " (" + errno_text(err) + ")",
               err == EACCES || err == EPERM ? "run as root or make the file readable" : "");
      return false;
    }
    if (!c.power) c.counter.update(static_cast<double>(raw), 0);
    if (ids.count(d.id)) d.id += "@" + hwmon;
    ids.insert(d.id);
    d.source = c.power ? Source::kPower : Source::kCounter;
    domains.push_back(std::move(d));
    channels.push_back(std::move(c));
    return true;
  }
};

}  // namespace

std::unique_ptr<Sensor> make_hwmon_sensor(const HwmonOptions& opts,
                                          std::vector<SensorNote>* notes) {
  std::shared_ptr<SysfsReader> reader = opts.reader ? opts.reader : real_sysfs_reader();
  const std::string class_dir = opts.sysfs_root + "/class/hwmon";
  std::error_code ec;
  if (!std::filesystem::is_directory(class_dir, ec)) {
    add_note(notes, "no hwmon interface (" + class_dir + " does not exist)");
    return nullptr;
  }

  Builder b{*reader, notes, {}, {}, {}};
  int gpus = 0;
  for (const auto& [n, entry] : numbered_entries(class_dir, "hwmon", "")) {
    const std::string dir = class_dir + "/" + entry;
    std::string driver;
    if (read_text(*reader, dir + "/name", &driver) != 0) continue;
    auto exists = [&](const std::string& f) { return std::filesystem::exists(dir + "/" + f, ec); };

    if (driver == "amdgpu") {
      Domain d;
      d.id = "hwmon:amdgpu-" + std::to_string(gpus++);
      d.kind = DomainKind::kGpu;
      Channel c;
      if (exists("energy1_input")) {
        c.path = dir + "/energy1_input";  // µJ counter
        d.label = "AMD GPU board energy (" + entry + " energy1_input)";
      } else if (exists("power1_average") || exists("power1_input")) {
        const char* f = exists("power1_average") ? "power1_average" : "power1_input";
        c.path = dir + "/" + f;  // µW
        c.power = true;
        d.label = "AMD GPU board power (" + entry + " " + f + ", integrated)";
      } else {
        add_note(notes, "skipped " + d.id + " (" + entry +
                            "): no energy1_input, power1_average or power1_input");
        continue;
      }
      b.add(std::move(d), std::move(c), entry);
    } else if (driver == "amd_energy" || driver == "zenpower" || driver == "zenergy") {
      if (!opts.include_cpu) {
        add_note(notes, "skipped " + entry + " (" + driver +
                            "): RAPL already measures the CPU packages it counts");
        continue;
      }
      for (const auto& [k, file] : numbered_entries(dir, "energy", "_input")) {
        std::string label;
        const std::string stem = "energy" + std::to_string(k);
        read_text(*reader, dir + "/" + stem + "_label", &label);
        Domain d;
        if (int s = number_in(label, "Esocket", ""); s >= 0) {
          d.id = "hwmon:" + driver + "/socket" + std::to_string(s);
          d.kind = DomainKind::kCpuPackage;
          d.counted = true;
        } else if (number_in(label, "Ecore", "") >= 0) {
          d.id = "hwmon:" + driver + "/core" + label.substr(5);
          d.kind = DomainKind::kCpuCore;
          d.counted = false;  // inside its socket
        } else {
          add_note(notes, "skipped " + entry + "/" + file + " (" + driver + "): label '" + label +
                              "' is neither Esocket<N> nor Ecore<N>");
          continue;
        }
        d.label = driver + " " + label + " (" + entry + " " + file + ")";
        Channel c;
        c.path = dir + "/" + file;
        b.add(std::move(d), std::move(c), entry);
      }
    }
  }
  if (b.domains.empty()) {
    add_note(notes,
             "no usable hwmon energy or power sensor (looked for amdgpu, amd_energy, zenpower, "
             "zenergy under " +
                 class_dir + ")");
    return nullptr;
  }
  return std::make_unique<HwmonSensor>(std::move(reader), std::move(b.domains),
                                       std::move(b.channels));
}

}  // namespace wattserve::energy
