// RAPL energy counters through perf_event_open and the kernel's `power` PMU
// (<root>/bus/event_source/devices/power): energy-pkg, energy-ram, energy-cores, energy-gpu,
// energy-psys. A fallback for when powercap energy_uj is root-only but perf is allowed
// (perf_event_paranoid <= 0 or CAP_PERFMON). joules = raw count x the event's .scale; the kernel
// keeps the count 64-bit, so it does not wrap. Files and rules: docs/measurement.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "energy/core/sensor.h"
#include "energy/core/sysfs_io.h"

namespace wattserve::energy {

// The perf_event_open system calls, injectable so tests can script counts and errors.
class PerfEvents {
 public:
  virtual ~PerfEvents() = default;
  // Opens a system-wide counting event (pid -1) on `cpu`. Returns an fd >= 0, or -errno.
  virtual int open(uint32_t type, uint64_t config, int cpu) = 0;
  // Reads the event's 64-bit count; false (errno set) on failure.
  virtual bool read(int fd, uint64_t* value) = 0;
  virtual void close(int fd) = 0;
};

// syscall(SYS_perf_event_open, ...), read(2), close(2).
std::shared_ptr<PerfEvents> real_perf_events();

struct PerfRaplOptions {
  std::string sysfs_root = "/sys";
  // Report energy-psys (the platform); package and dram then become counted=false.
  bool include_psys = false;
  std::shared_ptr<PerfEvents> events;   // null = the real syscalls
  std::shared_ptr<SysfsReader> reader;  // null = the real filesystem
};

// Returns nullptr when RAPL via perf is unusable (no power PMU, perf not permitted, energy-pkg
// cannot be opened); *notes (may be null) then says why and how to fix it.
std::unique_ptr<Sensor> make_perf_rapl_sensor(const PerfRaplOptions& opts,
                                              std::vector<SensorNote>* notes);

// Parses a sysfs CPU list such as "0", "0,18" or "0-3,8"; false on malformed input, on a CPU
// id above 65535 and on a list of more than 65536 ids.
bool parse_cpu_list(std::string_view text, std::vector<int>* cpus);
// Parses a PMU event file such as "event=0x02" into its config value; false when it holds
// anything but a single event= term.
bool parse_perf_event_config(std::string_view text, uint64_t* config);

}  // namespace wattserve::energy
