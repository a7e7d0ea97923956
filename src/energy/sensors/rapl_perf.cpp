#include "energy/sensors/rapl_perf.h"

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>

namespace wattserve::energy {
namespace {

constexpr std::string_view kSensorName = "rapl-perf";
constexpr uint32_t kMaxCpuId = 65535;  // parse_cpu_list rejects larger ids

class RealPerfEvents final : public PerfEvents {
 public:
  int open(uint32_t type, uint64_t config, int cpu) override {
    perf_event_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.type = type;
    attr.size = sizeof attr;
    attr.config = config;
    long fd = ::syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    return fd < 0 ? -errno : static_cast<int>(fd);
  }
  bool read(int fd, uint64_t* value) override {
    return ::read(fd, value, sizeof *value) == static_cast<ssize_t>(sizeof *value);
  }
  void close(int fd) override { ::close(fd); }
};

void add_note(std::vector<SensorNote>* notes, std::string reason, std::string hint = {}) {
  if (notes) notes->push_back({std::string(kSensorName), std::move(reason), std::move(hint)});
}

// One power PMU event and the domain it measures within a package.
struct EventSpec {
  const char* event;   // file under events/
  const char* suffix;  // domain id after "rapl:package-N"
  DomainKind kind;
  const char* what;
};
constexpr EventSpec kEvents[] = {
    {"energy-pkg", "", DomainKind::kCpuPackage, "package"},
    {"energy-cores", "/core", DomainKind::kCpuCore, "cores (pp0)"},
    {"energy-gpu", "/uncore", DomainKind::kCpuUncore, "uncore / integrated GPU (pp1)"},
    {"energy-ram", "/dram", DomainKind::kDram, "dram"},
    {"energy-psys", "", DomainKind::kPsys, "platform (psys)"},
};

struct Counter {
  int fd = -1;
  double scale = 0;
  uint64_t first = 0;  // raw count at creation
  double joules = 0;
  double last_watts = std::numeric_limits<double>::quiet_NaN();
};

class PerfRaplSensor final : public Sensor {
 public:
  PerfRaplSensor(std::shared_ptr<PerfEvents> events, std::vector<Domain> domains,
                 std::vector<Counter> counters)
      : events_(std::move(events)), domains_(std::move(domains)), counters_(std::move(counters)) {}
  ~PerfRaplSensor() override {
    for (const Counter& c : counters_) events_->close(c.fd);
  }
  PerfRaplSensor(const PerfRaplSensor&) = delete;
  PerfRaplSensor& operator=(const PerfRaplSensor&) = delete;

  std::string_view name() const override { return kSensorName; }
  const std::vector<Domain>& domains() const override { return domains_; }

  bool read(int64_t now_ns, std::span<double> out, std::string* error) override {
    if (out.size() != counters_.size()) {
      if (error) *error = "rapl-perf: output span has the wrong size";
      return false;
    }
    std::vector<uint64_t> raw(counters_.size());
    for (size_t i = 0; i < counters_.size(); ++i) {
      if (!events_->read(counters_[i].fd, &raw[i])) {
        if (error) *error = "rapl-perf: reading " + domains_[i].id + ": " + std::strerror(errno);
        return false;
      }
    }
    const double dt = interval_.advance(now_ns);
    for (size_t i = 0; i < counters_.size(); ++i) {
      Counter& c = counters_[i];
      // The kernel accumulates the 32-bit MSR into a 64-bit count, so no wraparound here; a
      // count below the first one would be a bug, and is clamped so totals never decrease.
      double j = raw[i] >= c.first ? static_cast<double>(raw[i] - c.first) * c.scale : 0;
      if (j < c.joules) j = c.joules;
      if (dt > 0) c.last_watts = (j - c.joules) / dt;
      c.joules = j;
      out[i] = j;
    }
    return true;
  }

  void last_power(std::span<double> out) const override {
    for (size_t i = 0; i < out.size() && i < counters_.size(); ++i)
      out[i] = counters_[i].last_watts;
  }

 private:
  std::shared_ptr<PerfEvents> events_;
  std::vector<Domain> domains_;
  std::vector<Counter> counters_;
  ReadInterval interval_;
};

// Package number of each cpu in the PMU cpumask: topology/physical_package_id when every cpu
// has a distinct one, else the position in the mask (e.g. multi-die packages).
std::vector<int> package_ids(const SysfsReader& reader, const std::string& root,
                             const std::vector<int>& cpus) {
  std::vector<int> ids;
  std::set<int> seen;
  for (int cpu : cpus) {
    uint64_t id = 0;
    std::string p =
        root + "/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/physical_package_id";
    if (read_u64(reader, p, &id) != 0 || id > 4096 || !seen.insert(static_cast<int>(id)).second)
      break;
    ids.push_back(static_cast<int>(id));
  }
  if (ids.size() != cpus.size()) {
    ids.clear();
    for (size_t i = 0; i < cpus.size(); ++i) ids.push_back(static_cast<int>(i));
  }
  return ids;
}

}  // namespace

std::shared_ptr<PerfEvents> real_perf_events() {
  return std::make_shared<RealPerfEvents>();
}

bool parse_cpu_list(std::string_view text, std::vector<int>* cpus) {
  cpus->clear();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.empty()) return false;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    size_t dash = item.find('-');
    // CPU ids are capped at kMaxCpuId (far above any real machine's) so that a corrupt mask
    // such as "0-4294967295" neither overflows the loop below nor asks for gigabytes of ids.
    uint32_t lo = 0, hi = 0;
    auto num = [](std::string_view s, uint32_t* v) {
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
      return !s.empty() && ec == std::errc() && end == s.data() + s.size() && *v <= kMaxCpuId;
    };
    if (dash == std::string_view::npos) {
      if (!num(item, &lo)) return false;
      hi = lo;
    } else if (!num(item.substr(0, dash), &lo) || !num(item.substr(dash + 1), &hi) || hi < lo) {
      return false;
    }
    if (cpus->size() + (hi - lo) + 1 > kMaxCpuId + 1) return false;  // "0-65535,0-65535"...
    for (uint32_t c = lo; c <= hi; ++c) cpus->push_back(static_cast<int>(c));
  }
  return true;
}

bool parse_perf_event_config(std::string_view text, uint64_t* config) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (!text.starts_with("event=")) return false;
  text.remove_prefix(6);
  int base = 10;
  if (text.starts_with("0x") || text.starts_with("0X")) {
    text.remove_prefix(2);
    base = 16;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *config, base);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

std::unique_ptr<Sensor> make_perf_rapl_sensor(const PerfRaplOptions& opts,
                                              std::vector<SensorNote>* notes) {
  std::shared_ptr<SysfsReader> reader = opts.reader ? opts.reader : real_sysfs_reader();
  std::shared_ptr<PerfEvents> events = opts.events ? opts.events : real_perf_events();
  const std::string pmu = opts.sysfs_root + "/bus/event_source/devices/power";

  uint64_t type = 0;
  if (int err = read_u64(*reader, pmu + "/type", &type)) {
    add_note(notes,
             "no RAPL perf PMU (cannot read " + pmu + "/type: " + errno_text(err) +
                 "; no RAPL on this CPU, a VM, or a kernel without the power PMU)",
             err == ENOENT ? "" : "run as root");
    return nullptr;
  }
  std::string mask;
  std::vector<int> cpus;
  if (int err = read_text(*reader, pmu + "/cpumask", &mask)) {
    add_note(notes, "cannot read " + pmu + "/cpumask: " + errno_text(err));
    return nullptr;
  }
  if (!parse_cpu_list(mask, &cpus)) {
    add_note(notes, "cannot parse " + pmu + "/cpumask '" + mask + "'");
    return nullptr;
  }
  std::error_code ec;
  const std::vector<int> pkgs = package_ids(*reader, opts.sysfs_root, cpus);

  struct Parsed {
    const EventSpec* spec;
    uint64_t config;
    double scale;
  };
  std::vector<Parsed> parsed;
  for (const EventSpec& ev : kEvents) {
    const bool psys = ev.kind == DomainKind::kPsys;
    if (psys && !opts.include_psys) continue;
    const std::string base = pmu + "/events/" + ev.event;
    std::string text, unit, scale_text;
    if (read_text(*reader, base, &text) != 0) {
      if (psys) add_note(notes, "psys requested but the power PMU has no energy-psys event");
      if (ev.kind == DomainKind::kCpuPackage) {
        // Some VMs expose only energy-psys; usable when psys was asked for (checked below).
        add_note(notes, "the power PMU has no energy-pkg event (" + base + ")");
      }
      continue;  // this CPU does not have the domain
    }
    uint64_t config = 0;
    char* end = nullptr;
    double scale = 0;
    if (read_text(*reader, base + ".scale", &scale_text) == 0)
      scale = std::strtod(scale_text.c_str(), &end);
    if (!parse_perf_event_config(text, &config) || !end || *end != '\0' || !(scale > 0) ||
        read_text(*reader, base + ".unit", &unit) != 0 || unit != "Joules") {
      add_note(notes, std::string("skipped perf event ") + ev.event + ": unsupported event '" +
                          text + "', scale '" + scale_text + "' or unit '" + unit + "'");
      if (ev.kind == DomainKind::kCpuPackage) return nullptr;
      continue;
    }
    parsed.push_back({&ev, config, scale});
  }

  std::vector<Domain> domains;
  std::vector<Counter> counters;
  auto close_all = [&] {
    for (const Counter& c : counters) events->close(c.fd);
  };
  bool have_psys = false;
  // Per package: package, core, uncore, dram; then psys, one platform counter opened on the
  // first package's cpu only.
  for (size_t i = 0; i <= cpus.size(); ++i) {
    for (const Parsed& p : parsed) {
      const EventSpec& ev = *p.spec;
      const bool psys = ev.kind == DomainKind::kPsys;
      if (psys != (i == cpus.size())) continue;
      const size_t ci = psys ? 0 : i;
      const int cpu = cpus[ci];
      const std::string what =
          std::string("perf_event_open(power/") + ev.event + ", cpu " + std::to_string(cpu) + ")";
      int fd = events->open(static_cast<uint32_t>(type), p.config, cpu);
      if (fd < 0) {
        const int err = -fd;
        if (err == EACCES || err == EPERM) {
          add_note(notes,
                   what + " failed: " + std::strerror(err) +
                       " (system-wide perf events are not allowed for this user)",
                   "run as root, grant CAP_PERFMON (e.g. `sudo setcap cap_perfmon+ep <binary>`), "
                   "or lower the limit: `sudo sysctl kernel.perf_event_paranoid=0`");
          close_all();
          return nullptr;
        }
        add_note(notes, what + " failed: " + std::strerror(err));
        if (ev.kind == DomainKind::kCpuPackage) {
          close_all();
          return nullptr;
        }
        continue;
      }
      Counter c;
      c.fd = fd;
      c.scale = p.scale;
      if (!events->read(fd, &c.first)) {
        const int rerr = errno;
        events->close(fd);
        add_note(notes, "skipped " + what + ": first read failed: " + std::strerror(rerr));
        if (ev.kind == DomainKind::kCpuPackage) {
          close_all();
          return nullptr;
        }
        continue;
      }
      Domain d;
      d.kind = ev.kind;
      d.source = Source::kCounter;
      const std::string pkg = "package-" + std::to_string(pkgs[ci]);
      d.id = psys ? "rapl:psys" : "rapl:" + pkg + ev.suffix;
      d.label = std::string("RAPL ") + (psys ? "" : pkg + " ") + ev.what + " (perf power/" +
                ev.event + ", cpu " + std::to_string(cpu) + ")";
      d.counted = ev.kind == DomainKind::kCpuPackage || ev.kind == DomainKind::kDram || psys;
      have_psys = have_psys || psys;
      domains.push_back(std::move(d));
      counters.push_back(c);
    }
  }
  if (have_psys) {
    for (Domain& d : domains)
      if (d.kind == DomainKind::kCpuPackage || d.kind == DomainKind::kDram) d.counted = false;
  }
  if (!std::any_of(domains.begin(), domains.end(), [](const Domain& d) { return d.counted; })) {
    add_note(notes, "no RAPL package or psys counter could be opened through perf",
             !opts.include_psys && std::filesystem::exists(pmu + "/events/energy-psys", ec)
                 ? "this PMU has energy-psys: enable psys to measure the whole platform"
                 : "");
    close_all();
    return nullptr;
  }
  return std::make_unique<PerfRaplSensor>(std::move(events), std::move(domains),
                                          std::move(counters));
}

}  // namespace wattserve::energy
