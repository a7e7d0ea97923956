#include "energy/sensors/estimate_sensor.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "energy/core/sysfs_io.h"
#include "energy/sensors/cpu_power_model.h"
#include "energy/sensors/ram_power.h"

namespace wattserve::energy {
namespace {

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// procfs files are read with open(O_CLOEXEC) + read() (sysfs_io), never a std::ifstream: the
// stat file is read on the sampling thread while another thread may fork and exec the measured
// command, which would inherit a descriptor opened without O_CLOEXEC.
bool read_proc_file(const std::string& path, std::string* out) {
  return real_sysfs_reader()->read_file(path, out) == 0;
}

// Calls f(line) for each line of text (without its '\n').
template <typename F>
void for_each_line(std::string_view text, F f) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    f(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

struct CpuInfo {
  std::string model;
  int processors = 0;
  std::set<std::string> physical_ids;
};

CpuInfo read_cpuinfo(const std::string& path) {
  CpuInfo info;
  std::string text;
  if (!read_proc_file(path, &text)) return info;
  for_each_line(text, [&](std::string_view line) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    std::string key = trim(line.substr(0, colon));
    std::string value = trim(line.substr(colon + 1));
    if (key == "processor") ++info.processors;
    if (key == "model name" && info.model.empty()) info.model = value;
    if (key == "physical id") info.physical_ids.insert(value);
  });
  return info;
}

// MemTotal in GiB, 0 when unknown.
double read_mem_total_gib(const std::string& path) {
  std::string text;
  if (!read_proc_file(path, &text)) return 0;
  double gib = 0;
  for_each_line(text, [&](std::string_view line) {
    if (gib > 0 || !line.starts_with("MemTotal:")) return;
    std::istringstream ss(std::string(line.substr(9)));
    double kb = 0;
    if (ss >> kb && kb > 0) gib = kb / (1024.0 * 1024.0);  // the kernel's "kB" is KiB
  });
  return gib;
}

std::string format_score(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", s);
  return buf;
}

}  // namespace

std::optional<double> utilisation_between(uint64_t busy0, uint64_t total0, uint64_t busy1,
                                          uint64_t total1, uint64_t min_jiffies) {
  if (total1 < total0 || busy1 < busy0) return std::nullopt;
  uint64_t dt = total1 - total0;
  if (dt == 0 || dt < min_jiffies) return std::nullopt;
  double u = static_cast<double>(busy1 - busy0) / static_cast<double>(dt);
  return u < 0 ? 0.0 : u > 1 ? 1.0 : u;
}

bool EstimateSensor::read_stat(StatTimes* t, std::string* error) const {
  std::string text;
  std::string line;
  if (read_proc_file(stat_path_, &text)) line = text.substr(0, text.find('\n'));
  if (line.rfind("cpu ", 0) != 0) {
    if (error) *error = "cannot read the aggregate \"cpu\" line of " + stat_path_;
    return false;
  }
  std::istringstream ss(line.substr(4));
  uint64_t v[8] = {};  // user nice system idle iowait irq softirq steal (guest is in user)
  int n = 0;
  while (n < 8 && ss >> v[n]) ++n;
  if (n < 4) {
    if (error) *error = "malformed \"cpu\" line in " + stat_path_;
    return false;
  }
  t->busy = v[0] + v[1] + v[2] + v[5] + v[6];
  t->total = t->busy + v[3] + v[4] + v[7];
  return true;
}

EstimateSensor::EstimateSensor(const EstimateOptions& opts)
    : stat_path_(opts.procfs_root + "/stat") {
  // Logical CPUs: the cpuN lines of stat.
  {
    std::string text;
    if (int err = real_sysfs_reader()->read_file(stat_path_, &text)) {
      throw SensorError("cannot open " + stat_path_ + " (no procfs?): " + errno_text(err));
    }
    for_each_line(text, [&](std::string_view line) {
      if (line.size() > 3 && line.starts_with("cpu") &&
          std::isdigit(static_cast<unsigned char>(line[3]))) {
        ++info_.logical_cpus;
      }
    });
  }
  std::string error;
  if (!read_stat(&last_, &error)) throw SensorError(error);
  CpuInfo cpuinfo = read_cpuinfo(opts.procfs_root + "/cpuinfo");
  if (info_.logical_cpus == 0) info_.logical_cpus = cpuinfo.processors > 0 ? cpuinfo.processors : 1;

  info_.cpu_model = opts.cpu_model.empty() ? cpuinfo.model : opts.cpu_model;
  if (opts.sockets > 0) {
    info_.sockets = opts.sockets;
    info_.sockets_reason = "user";
  } else if (!cpuinfo.physical_ids.empty()) {
    info_.sockets = static_cast<int>(cpuinfo.physical_ids.size());
    info_.sockets_reason = "cpuinfo physical id";
  } else {
    info_.sockets = 1;
    info_.sockets_reason = "default (no physical id in cpuinfo)";
  }
  CpuModelOptions mo;
  mo.tdp_w = opts.tdp_w;
  mo.sockets = info_.sockets;
  CpuPowerEstimate e = estimate_cpu_power(info_.cpu_model, 0.0, mo);
  info_.matched_model = e.matched_model;
  info_.match_score = e.match_score;
  info_.tdp_w = e.tdp_w;
  info_.cpu_class = e.cpu_class;
  info_.idle_w = e.idle_w;
  info_.full_w = e.full_w;
  if (opts.tdp_w > 0) {
    info_.tdp_reason = "user";
  } else if (e.tdp_from_table) {
    info_.tdp_reason = e.match_score >= 1
                           ? "table (exact)"
                           : "table (similarity " + format_score(e.match_score) + ")";
  } else {
    info_.tdp_reason =
        "fallback " + format_score(kFallbackTdpW) + " W (model not in the TDP table)";
  }

  if (opts.ram_w > 0) {
    info_.ram_w = opts.ram_w;
    info_.ram_gib = opts.ram_gib;
    info_.ram_reason = "user";
  } else {
    info_.ram_gib =
        opts.ram_gib > 0 ? opts.ram_gib : read_mem_total_gib(opts.procfs_root + "/meminfo");
    if (info_.ram_gib > 0) {
      RamPowerEstimate r = estimate_ram_power(info_.ram_gib, info_.sockets);
      info_.ram_w = r.watts;
      info_.ram_modules = r.modules;
      info_.ram_reason = std::to_string(r.modules) + " modules guessed from " +
                         format_score(info_.ram_gib) + " GiB, 5 W each (less beyond 4)";
    } else {
      info_.ram_reason = "installed memory unknown (no MemTotal): 0 W";
    }
  }
  // Until enough jiffies have passed, the utilisation is the average since boot.
  info_.utilisation =
      last_.total > 0 ? static_cast<double>(last_.busy) / static_cast<double>(last_.total) : 0.0;

  domains_.push_back(
      {"estimate:cpu", DomainKind::kCpuPackage, Source::kEstimate,
       "CPU estimate: " + (info_.cpu_model.empty() ? std::string("unknown CPU") : info_.cpu_model) +
           " (" + info_.cpu_class + ", TDP " + format_score(info_.tdp_w) + " W x " +
           std::to_string(info_.sockets) + ")",
       true});
  domains_.push_back({"estimate:ram", DomainKind::kDram, Source::kEstimate,
                      "RAM estimate: " + format_score(info_.ram_w) + " W", true});
}

bool EstimateSensor::read(int64_t now_ns, std::span<double> out, std::string* error) {
  StatTimes now{};
  if (!read_stat(&now, error)) return false;
  // Jiffies are 10 ms: below 2 per logical CPU the ratio is too coarse, so hold the last value
  // and keep measuring from the same reference point.
  uint64_t min_jiffies = 2 * static_cast<uint64_t>(info_.logical_cpus);
  if (now.total < last_.total || now.busy < last_.busy) {
    last_ = now;  // counters went backwards (cannot happen on Linux; a fake or a restore)
  } else if (auto u =
                 utilisation_between(last_.busy, last_.total, now.busy, now.total, min_jiffies)) {
    info_.utilisation = *u;
    last_ = now;
  }
  CpuClassParams p = class_params(classify_cpu(info_.cpu_model));
  cpu_w_ = info_.idle_w + (info_.full_w - info_.idle_w) * load_curve(info_.utilisation, p.curve_r);
  cpu_.add(now_ns, cpu_w_, /*mean_since_previous=*/true);
  ram_.add(now_ns, info_.ram_w, /*mean_since_previous=*/true);
  has_read_ = true;
  if (out.size() >= 2) {
    out[0] = cpu_.joules();
    out[1] = ram_.joules();
  }
  return true;
}

void EstimateSensor::last_power(std::span<double> out) const {
  if (!has_read_) {
    Sensor::last_power(out);
    return;
  }
  if (out.size() >= 1) out[0] = cpu_w_;
  if (out.size() >= 2) out[1] = info_.ram_w;
}

std::unique_ptr<Sensor> make_estimate_sensor(const EstimateOptions& opts,
                                             std::vector<SensorNote>* notes) {
  auto note = [&](std::string reason, std::string hint) {
    if (notes) notes->push_back({"estimate", std::move(reason), std::move(hint)});
  };
  std::unique_ptr<EstimateSensor> s;
  try {
    s = std::make_unique<EstimateSensor>(opts);
  } catch (const std::exception& e) {
    note(e.what(), "the estimate needs a Linux /proc; pass --procfs-root for a copy");
    return nullptr;
  }
  const EstimateInfo& i = s->info();
  if (i.matched_model.empty() && opts.tdp_w <= 0) {
    note("CPU model \"" + i.cpu_model + "\" is not in the TDP table; using " + i.tdp_reason,
         "give the TDP per socket (W) from the vendor's data sheet to improve the estimate");
  }
  if (i.ram_w <= 0) note(i.ram_reason, "give the installed memory (GiB) or RAM power (W)");
  return s;
}

std::optional<EstimateInfo> estimate_info(const Sensor& sensor) {
  if (const auto* s = dynamic_cast<const EstimateSensor*>(&sensor)) return s->info();
  return std::nullopt;
}

}  // namespace wattserve::energy
