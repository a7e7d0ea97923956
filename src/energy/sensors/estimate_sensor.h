// The last-resort "estimate" sensor: CPU package power from utilisation (<procfs>/stat) through
// the class-based load model (cpu_power_model.h) and the CPU's TDP, plus RAM power from
// installed memory (ram_power.h). Domains "estimate:cpu" (kCpuPackage) and "estimate:ram"
// (kDram), both Source::kEstimate. What it assumed (model, TDP, class, sockets and why) is in
// EstimateInfo: call estimate_info(sensor), or dynamic_cast to EstimateSensor.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "energy/core/sensor.h"

namespace wattserve::energy {

struct EstimateOptions {
  std::string procfs_root = "/proc";
  std::string cpu_model;  // empty = "model name" from <procfs>/cpuinfo
  double tdp_w = 0;       // per socket; 0 = from the table (fallback 85 W)
  int sockets = 0;        // 0 = distinct "physical id" values in cpuinfo (1 when none)
  double ram_gib = 0;     // 0 = MemTotal from <procfs>/meminfo
  double ram_w = 0;       // 0 = from ram_gib with estimate_ram_power(); > 0 overrides
};

// What the estimate assumed, for `wattserve sensors` and JSON summaries.
struct EstimateInfo {
  std::string cpu_model;      // as read or given
  std::string matched_model;  // TDP table row, empty when none
  double match_score = 0;
  double tdp_w = 0;        // per socket
  std::string tdp_reason;  // "table (exact)", "table (similarity 0.86)", "user", "fallback ..."
  std::string cpu_class;   // "server-intel", ...
  int sockets = 1;
  std::string sockets_reason;  // "user", "cpuinfo physical id", "default (no physical id)"
  int logical_cpus = 0;
  double idle_w = 0, full_w = 0;  // CPU model at 0 % and 100 % load, all sockets
  double ram_gib = 0;
  double ram_w = 0;
  int ram_modules = 0;  // guessed, 0 when ram_w was given
  std::string ram_reason;
  double utilisation = 0;  // the utilisation used for the last interval, [0, 1]
};

class EstimateSensor final : public Sensor {
 public:
  // Throws SensorError when <procfs>/stat cannot be read or parsed.
  explicit EstimateSensor(const EstimateOptions& opts);
  std::string_view name() const override { return "estimate"; }
  const std::vector<Domain>& domains() const override { return domains_; }
  bool read(int64_t now_ns, std::span<double> out, std::string* error) override;
  void last_power(std::span<double> out) const override;
  const EstimateInfo& info() const { return info_; }

 private:
  struct StatTimes {
    uint64_t busy = 0, total = 0;
  };
  bool read_stat(StatTimes* t, std::string* error) const;

  std::string stat_path_;
  std::vector<Domain> domains_;
  EstimateInfo info_;
  StatTimes last_{};
  PowerIntegrator cpu_, ram_;
  double cpu_w_ = 0;
  bool has_read_ = false;
};

// Utilisation from two cumulative /proc/stat "cpu" lines: (busy1 - busy0) / (total1 - total0),
// busy = user + nice + system + irq + softirq, total = busy + idle + iowait + steal (guest
// time is already inside user/nice). Returns nullopt when fewer than min_jiffies elapsed.
std::optional<double> utilisation_between(uint64_t busy0, uint64_t total0, uint64_t busy1,
                                          uint64_t total1, uint64_t min_jiffies);

// Creates the sensor; on failure returns nullptr and appends a note. Also appends a note when
// the CPU model is not in the TDP table (fallback used) or memory size is unknown.
std::unique_ptr<Sensor> make_estimate_sensor(const EstimateOptions& opts,
                                             std::vector<SensorNote>* notes);

// The info of an estimate sensor; nullopt for any other sensor.
std::optional<EstimateInfo> estimate_info(const Sensor& sensor);

}  // namespace wattserve::energy
