#include "energy/core/process_attribution.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>
#include <string_view>

#include "energy/core/sysfs_io.h"

namespace wattserve::energy {
namespace {

// open(O_CLOEXEC) + read() (sysfs_io), not a std::ifstream: this runs on the sampling thread
// while the measured command may be forked and exec'ed, and must not inherit the descriptor.
bool read_small_file(const std::string& path, std::string* out) {
  return real_sysfs_reader()->read_file(path, out) == 0;
}

template <typename T>
bool parse_number(std::string_view s, T* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\n') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

bool is_cpu_side(DomainKind kind) {
  switch (kind) {
    case DomainKind::kCpuPackage:
    case DomainKind::kCpuCore:
    case DomainKind::kCpuUncore:
    case DomainKind::kDram:
    case DomainKind::kPsys:
      return true;
    case DomainKind::kGpu:
    case DomainKind::kSystem:
      return false;
  }
  return false;
}

bool parse_proc_stat(std::string_view line, ProcStat* out) {
  // "pid (comm) state ppid ...": comm may hold spaces and ')', so split at the last ')'.
  size_t open = line.find('(');
  size_t close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return false;
  }
  ProcStat st;
  std::string_view pid_s = line.substr(0, open);
  while (!pid_s.empty() && pid_s.back() == ' ') pid_s.remove_suffix(1);
  if (!parse_number(pid_s, &st.pid)) return false;
  st.comm = std::string(line.substr(open + 1, close - open - 1));
  auto f = split_ws(line.substr(close + 1));
  // f[0] is field 3 (state); field n is f[n - 3].
  if (f.size() < 15 || f[0].size() != 1) return false;
  st.state = f[0][0];
  if (!parse_number(f[1], &st.ppid) || !parse_number(f[11], &st.utime) ||
      !parse_number(f[12], &st.stime) || !parse_number(f[13], &st.cutime) ||
      !parse_number(f[14], &st.cstime)) {
    return false;
  }
  *out = std::move(st);
  return true;
}

bool parse_system_busy_ticks(std::string_view proc_stat, uint64_t* busy) {
  size_t pos = 0;
  while (pos < proc_stat.size()) {
    size_t end = proc_stat.find('\n', pos);
    if (end == std::string_view::npos) end = proc_stat.size();
    std::string_view line = proc_stat.substr(pos, end - pos);
    pos = end + 1;
    auto f = split_ws(line);
    if (f.empty() || f[0] != "cpu") continue;
    // cpu user nice system idle iowait irq softirq steal [guest guest_nice]
    if (f.size() < 5) return false;
    uint64_t v[8] = {};
    for (size_t i = 0; i < 8; ++i) {
      if (i + 1 < f.size() && !parse_number(f[i + 1], &v[i])) return false;
    }
    *busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    return true;
  }
  return false;
}

ProcessAttribution::ProcessAttribution(std::string procfs_root, int root_pid,
                                       std::vector<Domain> domains, long clock_ticks)
    : procfs_(std::move(procfs_root)),
      root_pid_(root_pid),
      domains_(std::move(domains)),
      joules_(domains_.size(), 0.0),
      domain_joules_(domains_.size(), 0.0) {
  if (clock_ticks <= 0) clock_ticks = ::sysconf(_SC_CLK_TCK);
  if (clock_ticks <= 0) clock_ticks = 100;
  tick_s_ = 1.0 / static_cast<double>(clock_ticks);
  prev_tree_s_ = scan_tree_cpu_seconds().value_or(0.0);
  if (auto b = read_system_busy_seconds()) {
    prev_busy_s_ = *b;
    have_prev_busy_ = true;
  }
}

std::optional<double> ProcessAttribution::scan_tree_cpu_seconds() const {
  namespace fs = std::filesystem;
  std::map<int, ProcStat> procs;
  std::error_code ec;
  fs::directory_iterator it(procfs_, ec), end;
  if (ec) return std::nullopt;
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    std::string name = it->path().filename().string();
    int pid = 0;
    if (!parse_number(std::string_view(name), &pid)) continue;
    std::string text;
    ProcStat st;
    // A process that vanished between the scan and the read is simply not in the tree.
    if (!read_small_file(it->path().string() + "/stat", &text) || !parse_proc_stat(text, &st)) {
      continue;
    }
    procs.emplace(pid, std::move(st));
  }
  if (!procs.contains(root_pid_)) return std::nullopt;
  std::multimap<int, int> children;
  for (const auto& [pid, st] : procs) children.emplace(st.ppid, pid);
  int64_t ticks = 0;
  std::vector<int> todo{root_pid_};
  std::set<int> seen;
  while (!todo.empty()) {
    int pid = todo.back();
    todo.pop_back();
    if (!seen.insert(pid).second) continue;  // defensive: never loop
    const ProcStat& st = procs.at(pid);
    ticks += static_cast<int64_t>(st.utime + st.stime) + st.cutime + st.cstime;
    auto [b, e] = children.equal_range(pid);
    for (auto c = b; c != e; ++c) todo.push_back(c->second);
  }
  return static_cast<double>(ticks) * tick_s_;
}

std::optional<double> ProcessAttribution::read_system_busy_seconds() const {
  std::string text;
  uint64_t busy = 0;
  if (!read_small_file(procfs_ + "/stat", &text) || !parse_system_busy_ticks(text, &busy)) {
    return std::nullopt;
  }
  return static_cast<double>(busy) * tick_s_;
}

void ProcessAttribution::set_final_tree_cpu_seconds(double seconds) {
  std::lock_guard lock(mu_);
  final_tree_s_ = seconds;
}

void ProcessAttribution::on_interval(int64_t t0_ns, int64_t t1_ns,
                                     std::span<const double> delta_joules) {
  std::optional<double> tree = scan_tree_cpu_seconds();
  std::optional<double> busy = read_system_busy_seconds();
  std::lock_guard lock(mu_);
  // Root gone (exited and reaped): its whole tree's time is in final_tree_s_ once known;
  // until then nothing new can be counted.
  double tree_s = tree ? *tree : final_tree_s_.value_or(prev_tree_s_);
  double d_tree = std::max(0.0, tree_s - prev_tree_s_);
  prev_tree_s_ = tree_s;
  double d_busy = 0;
  if (busy) {
    if (have_prev_busy_) d_busy = std::max(0.0, *busy - prev_busy_s_);
    prev_busy_s_ = *busy;
    have_prev_busy_ = true;
  }
  double share = 0;
  if (d_busy > 0) {
    share = std::clamp(d_tree / d_busy, 0.0, 1.0);
  } else if (d_tree > 0) {
    share = 1;  // tick granularity: the tree ran but the machine's counter did not move yet
  }
  const double dt = static_cast<double>(std::max<int64_t>(0, t1_ns - t0_ns)) * 1e-9;
  share_time_ += share * dt;
  time_ += dt;
  tree_s_ += d_tree;
  busy_s_ += d_busy;
  ++intervals_;
  const size_t n = std::min(delta_joules.size(), domains_.size());
  for (size_t k = 0; k < n; ++k) {
    domain_joules_[k] += delta_joules[k];
    if (is_cpu_side(domains_[k].kind)) joules_[k] += share * delta_joules[k];
  }
}

ProcessReport ProcessAttribution::report() const {
  std::lock_guard lock(mu_);
  ProcessReport r;
  r.root_pid = root_pid_;
  // Normally the tree's total adds the counted CPU-side domains. When none is counted (an
  // external meter holds the machine's total and the components are shown uncounted), it adds
  // the CPU packages and DRAM instead, so the tree's share is still reported.
  bool any_counted_cpu = false;
  for (const Domain& d : domains_) any_counted_cpu |= d.counted && is_cpu_side(d.kind);
  auto in_total = [&](const Domain& d) {
    if (!is_cpu_side(d.kind)) return false;
    return any_counted_cpu ? d.counted
                           : d.kind == DomainKind::kCpuPackage || d.kind == DomainKind::kDram;
  };
  for (size_t k = 0; k < domains_.size(); ++k) {
    const Domain& d = domains_[k];
    ProcessDomainEnergy e;
    e.id = d.id;
    e.kind = d.kind;
    e.source = d.source;
    e.counted = d.counted;
    e.attributed = is_cpu_side(d.kind);
    e.joules = e.attributed ? joules_[k] : 0.0;
    e.domain_joules = domain_joules_[k];
    if (in_total(d)) {
      r.joules += e.joules;
      r.domain_joules += e.domain_joules;
    }
    r.domains.push_back(std::move(e));
  }
  r.mean_share = time_ > 0 ? share_time_ / time_ : 0.0;
  r.tree_cpu_seconds = tree_s_;
  r.system_busy_seconds = busy_s_;
  r.intervals = intervals_;
  return r;
}

}  // namespace wattserve::energy
