// Per-process-tree energy attribution by CPU time. A ProcessAttribution follows one process
// tree (a root pid and all its descendants) through /proc and, for every meter interval,
// gives the tree the share of each CPU-side domain's energy that its CPU time is of the
// machine's busy CPU time:
//   share_i = clamp(d(tree CPU time)_i / d(system busy CPU time)_i, 0, 1)
//   E_process[d] = sum_i share_i * dE_i[d]      (CPU-side domains only)
// GPU and whole-system domains are not attributed: CPU time says nothing about how much of a
// GPU or of the rest of the machine the tree used. Formula and caveats:
// docs/measurement.md.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "energy/core/types.h"

namespace wattserve::energy {

struct ProcessDomainEnergy {
  std::string id;
  DomainKind kind = DomainKind::kCpuPackage;
  Source source = Source::kEstimate;
  bool counted = true;
  bool attributed = false;   // false for GPU and system domains (share not applicable)
  double joules = 0;         // energy attributed to the tree (0 when !attributed)
  double domain_joules = 0;  // all energy of the domain over the intervals seen
};

struct ProcessReport {
  int root_pid = 0;
  std::vector<ProcessDomainEnergy> domains;  // same order as the domains given
  double joules = 0;                         // sum of joules over counted, attributed domains
  double domain_joules = 0;                  // sum of domain_joules over the same domains
  double mean_share = 0;                     // time-weighted mean of the per-interval share
  double tree_cpu_seconds = 0;               // CPU time of the tree counted over the intervals seen
  double system_busy_seconds = 0;            // busy CPU time of the machine over the same intervals
  size_t intervals = 0;
};

// True for the domain kinds whose energy follows CPU time (package, core, uncore, dram, psys).
bool is_cpu_side(DomainKind kind);

// One /proc/<pid>/stat line, parsed. Returns false for a malformed line.
struct ProcStat {
  int pid = 0;
  std::string comm;
  char state = '?';
  int ppid = 0;
  uint64_t utime = 0, stime = 0;   // clock ticks
  int64_t cutime = 0, cstime = 0;  // clock ticks, reaped children
};
bool parse_proc_stat(std::string_view line, ProcStat* out);

// Busy CPU time from the aggregate "cpu" line of /proc/stat, in clock ticks:
// user + nice + system + irq + softirq + steal (everything but idle and iowait; guest time is
// already inside user and nice). Returns false when the line is missing or malformed.
bool parse_system_busy_ticks(std::string_view proc_stat, uint64_t* busy);

class ProcessAttribution {
 public:
  // Takes a first reading of the tree and of the machine, which the first interval is measured
  // from: create it right before adding on_interval as a Meter listener. `clock_ticks` is the
  // kernel's USER_HZ (0: sysconf(_SC_CLK_TCK)).
  ProcessAttribution(std::string procfs_root, int root_pid, std::vector<Domain> domains,
                     long clock_ticks = 0);

  // Meter::IntervalListener: delta_joules[k] is the energy of domains[k] in [t0_ns, t1_ns].
  void on_interval(int64_t t0_ns, int64_t t1_ns, std::span<const double> delta_joules);

  // The tree's total CPU time once the root has exited and been reaped (e.g. ru_utime + ru_stime
  // of getrusage(RUSAGE_CHILDREN) after waitpid). Used for intervals in which the root is gone,
  // so the tree's last slice of CPU time still counts. Call it before the meter's last sample.
  void set_final_tree_cpu_seconds(double seconds);

  ProcessReport report() const;

  // CPU time (seconds) of the live tree rooted at root_pid now: sum over the root and its
  // descendants of utime + stime + cutime + cstime. nullopt when the root does not exist.
  std::optional<double> scan_tree_cpu_seconds() const;
  // Busy CPU seconds of the machine since boot; nullopt when <procfs>/stat cannot be read.
  std::optional<double> read_system_busy_seconds() const;

 private:
  std::string procfs_;
  int root_pid_;
  std::vector<Domain> domains_;
  double tick_s_;

  mutable std::mutex mu_;
  std::optional<double> final_tree_s_;
  double prev_tree_s_ = 0, prev_busy_s_ = 0;
  bool have_prev_busy_ = false;
  std::vector<double> joules_, domain_joules_;
  double share_time_ = 0, time_ = 0, tree_s_ = 0, busy_s_ = 0;
  size_t intervals_ = 0;
};

}  // namespace wattserve::energy
