#include "energy/sensors/rapl_powercap.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <limits>
#include <set>
#include <string_view>
#include <tuple>

#include "energy/core/clock.h"

namespace wattserve::energy {
namespace {

constexpr std::string_view kSensorName = "rapl-powercap";

// A powercap zone directory: intel-rapl:P (package or psys), intel-rapl:P:S (subzone), or the
// same under intel-rapl-mmio (Intel client chips since Tiger Lake: an MMIO view of the
// package counter that duplicates intel-rapl:P).
struct Zone {
  std::string entry;  // directory name, e.g. "intel-rapl:0:1"
  std::string dir;    // full path
  bool mmio = false;
  int top = 0;   // P
  int sub = -1;  // S, or -1 for a top-level zone
  std::string name;
};

bool parse_int(std::string_view s, int* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && *out >= 0;
}

bool parse_zone_entry(std::string_view entry, Zone* z) {
  std::string_view rest;
  if (entry.starts_with("intel-rapl:")) {
    rest = entry.substr(11);
    z->mmio = false;
  } else if (entry.starts_with("intel-rapl-mmio:")) {
    rest = entry.substr(16);
    z->mmio = true;
  } else {
    return false;
  }
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos) {
    z->sub = -1;
    return parse_int(rest, &z->top);
  }
  return parse_int(rest.substr(0, colon), &z->top) && parse_int(rest.substr(colon + 1), &z->sub);
}

struct Channel {
  std::string energy_path;
  EnergyCounter counter;
};

class PowercapSensor final : public Sensor {
 public:
  PowercapSensor(std::shared_ptr<SysfsReader> reader, std::vector<Domain> domains,
                 std::vector<Channel> channels)
      : reader_(std::move(reader)), domains_(std::move(domains)), channels_(std::move(channels)) {}

  std::string_view name() const override { return kSensorName; }
  const std::vector<Domain>& domains() const override { return domains_; }

  bool read(int64_t now_ns, std::span<double> out, std::string* error) override {
    if (out.size() != channels_.size()) {
      if (error) *error = "rapl-powercap: output span has the wrong size";
      return false;
    }
    // Read every counter before updating any state, so a failure leaves the sensor unchanged.
    std::vector<uint64_t> raw(channels_.size());
    for (size_t i = 0; i < channels_.size(); ++i) {
      if (int err = read_u64(*reader_, channels_[i].energy_path, &raw[i])) {
        if (error)
          *error = "rapl-powercap: reading " + channels_[i].energy_path + ": " + errno_text(err);
        return false;
      }
    }
    const double dt = interval_.advance(now_ns);
    for (size_t i = 0; i < channels_.size(); ++i) {
      out[i] = channels_[i].counter.update(static_cast<double>(raw[i]), dt);
    }
    return true;
  }

  void last_power(std::span<double> out) const override {
    for (size_t i = 0; i < out.size() && i < channels_.size(); ++i)
      out[i] = channels_[i].counter.last_watts();
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

// Kind of a zone from its `name`; false for names we do not know.
bool kind_of(const Zone& z, DomainKind* kind) {
  if (z.sub < 0 && z.name.starts_with("package-"))
    *kind = DomainKind::kCpuPackage;
  else if (z.name == "psys")
    *kind = DomainKind::kPsys;
  else if (z.sub >= 0 && z.name == "dram")
    *kind = DomainKind::kDram;
  else if (z.sub >= 0 && z.name == "core")
    *kind = DomainKind::kCpuCore;
  else if (z.sub >= 0 && z.name == "uncore")
    *kind = DomainKind::kCpuUncore;
  else
    return false;
  return true;
}

}  // namespace

std::unique_ptr<Sensor> make_powercap_sensor(const PowercapOptions& opts,
                                             std::vector<SensorNote>* notes) {
  namespace fs = std::filesystem;
  std::shared_ptr<SysfsReader> reader = opts.reader ? opts.reader : real_sysfs_reader();
  const std::string class_dir = opts.sysfs_root + "/class/powercap";

  std::error_code ec;
  if (!fs::is_directory(class_dir, ec)) {
    add_note(notes,
             "no RAPL powercap interface (" + class_dir +
                 " does not exist: no RAPL on this CPU, a VM without RAPL, or the kernel lacks "
                 "powercap support)",
             "on bare metal try `sudo modprobe intel_rapl_msr`; otherwise the perf or estimate "
             "sensors are used");
    return nullptr;
  }

  std::vector<Zone> zones;
  for (fs::directory_iterator it(class_dir, ec), end; !ec && it != end; it.increment(ec)) {
    Zone z;
    z.entry = it->path().filename().string();
    if (!parse_zone_entry(z.entry, &z)) continue;  // e.g. the control-type dir "intel-rapl"
    z.dir = class_dir + "/" + z.entry;
    zones.push_back(std::move(z));
  }
  // MSR zones first, then by package and subzone number, so ids and order are stable.
  std::sort(zones.begin(), zones.end(), [](const Zone& a, const Zone& b) {
    return std::tie(a.mmio, a.top, a.sub) < std::tie(b.mmio, b.top, b.sub);
  });

  for (Zone& z : zones) {
    if (int err = read_text(*reader, z.dir + "/name", &z.name)) {
      add_note(notes,
               "skipped powercap zone " + z.entry + ": cannot read name (" + errno_text(err) + ")");
      z.name.clear();
    }
  }
  auto parent_of = [&](const Zone& z) -> const Zone* {
    for (const Zone& p : zones)
      if (p.mmio == z.mmio && p.top == z.top && p.sub < 0) return &p;
    return nullptr;
  };
  // Top-level names seen through the MSR interface: an mmio zone with the same name (and its
  // subzones) is the same counter again and must not be counted twice.
  std::set<std::string> msr_tops;
  for (const Zone& z : zones)
    if (!z.mmio && z.sub < 0 && !z.name.empty()) msr_tops.insert(z.name);

  std::vector<Domain> domains;
  std::vector<Channel> channels;
  std::set<std::string> ids;
  bool have_psys = false;
  for (const Zone& z : zones) {
    if (z.name.empty()) continue;
    const Zone* parent = z.sub < 0 ? &z : parent_of(z);
    if (!parent || parent->name.empty()) {
      add_note(notes, "skipped powercap zone " + z.entry + ": its parent zone has no name");
      continue;
    }
    if (z.mmio && msr_tops.count(parent->name)) continue;  // duplicate of an intel-rapl zone
    DomainKind kind;
    if (!kind_of(z, &kind)) {
      add_note(notes,
               "skipped powercap zone " + z.entry + ": unknown RAPL domain '" + z.name + "'");
      continue;
    }
    if (kind == DomainKind::kPsys && !opts.include_psys) continue;  // opt-in

    Channel ch;
    ch.energy_path = z.dir + "/energy_uj";
    uint64_t raw = 0;
    int err = read_u64(*reader, ch.energy_path, &raw);
    if (err == EACCES || err == EPERM) {
      add_note(notes,
               "cannot read " + ch.energy_path + ": " + errno_text(err) +
                   " (RAPL energy_uj is readable only by root since the CVE-2020-8694 fix, "
                   "Linux 5.10 and stable backports)",
               "run as root, or grant read access: `sudo chmod a+r " + class_dir +
                   "/intel-rapl:*/energy_uj` (until reboot) or a udev rule such as "
                   "ACTION==\"add\", SUBSYSTEM==\"powercap\", RUN+=\"/bin/chmod a+r "
                   "/sys%p/energy_uj\"");
      return nullptr;  // unusable as a whole: the caller falls back to another sensor
    }
    if (err) {
      add_note(notes, "skipped powercap zone " + z.entry + " (" + z.name + "): cannot read " +
                          ch.energy_path + " (" + errno_text(err) + ")");
      continue;
    }
    uint64_t range = 0;
    if (int rerr = read_u64(*reader, z.dir + "/max_energy_range_uj", &range)) {
      add_note(notes, "powercap zone " + z.entry + " has no readable max_energy_range_uj (" +
                          errno_text(rerr) + "): a counter decrease is treated as a reset");
      range = 0;
    }
    ch.counter = EnergyCounter(static_cast<double>(range));
    ch.counter.update(static_cast<double>(raw), 0);  // cumulative joules start at creation

    Domain d;
    d.kind = kind;
    d.source = Source::kCounter;
    if (kind == DomainKind::kPsys)
      d.id = "rapl:psys";
    else if (z.sub < 0)
      d.id = "rapl:" + z.name;
    else
      d.id = "rapl:" + parent->name + "/" + z.name;
    if (ids.count(d.id)) d.id += "@" + z.entry;  // never two domains with one id
    ids.insert(d.id);
    d.label = "RAPL " + (z.sub < 0 ? z.name : parent->name + " " + z.name) + " (powercap " +
              z.entry + ")";
    // core and uncore lie inside the package; package and dram are the counted parts.
    d.counted =
        kind == DomainKind::kCpuPackage || kind == DomainKind::kDram || kind == DomainKind::kPsys;
    have_psys = have_psys || kind == DomainKind::kPsys;
    domains.push_back(std::move(d));
    channels.push_back(std::move(ch));
  }

  if (opts.include_psys && !have_psys)
    add_note(notes, "psys requested but no readable psys zone exists; counting package + dram");
  if (have_psys) {
    // psys covers the whole platform, package and dram included.
    for (Domain& d : domains)
      if (d.kind == DomainKind::kCpuPackage || d.kind == DomainKind::kDram) d.counted = false;
  }
  if (domains.empty()) {
    add_note(notes, "no usable RAPL zones under " + class_dir,
             "on bare metal try `sudo modprobe intel_rapl_msr`");
    return nullptr;
  }
  return std::make_unique<PowercapSensor>(std::move(reader), std::move(domains),
                                          std::move(channels));
}

}  // namespace wattserve::energy
