// RunSummary: everything known about one measured run (`wattserve measure -- cmd`), filled by
// the CLI after the run. It feeds the CodeCarbon-compatible emissions.csv (codecarbon_csv.h) and
// the run record of `measure --json` (record::measure_record(), src/record/measure_record.h).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "energy/core/carbon.h"
#include "energy/core/meter.h"
#include "energy/core/process_attribution.h"
#include "energy/core/sensor.h"
#include "energy/core/types.h"

namespace wattserve::energy {

// Grid carbon intensity and where it came from (energy/core/carbon.h), with the facility's PUE.
struct CarbonInfo : CarbonIntensity {
  double pue = 1;  // power usage effectiveness applied to emissions
};

// The machine a run ran on; record::machine_info() (src/record/machine_info.h) reads it.
struct MachineInfo {
  std::string os;     // e.g. "Linux-6.1.0-13-amd64-x86_64"
  int cpu_count = 0;  // logical CPUs
  std::string cpu_model;
  double ram_total_gib = 0;
  int gpu_count = 0;
  std::string gpu_model;           // e.g. "1 x NVIDIA H100 80GB HBM3"
  std::string kernel;              // kernel release, e.g. "6.1.0-13-amd64"
  int cpu_cores = 0;               // physical cores (all sockets)
  std::string gpu_driver;          // e.g. "nvidia 550.54.15"; empty: no GPU domain
  std::string frequency_governor;  // cpufreq scaling governor(s), e.g. "performance"; "none"
};

struct RunSummary {
  std::string tool_version;  // wattserve version, e.g. "0.1.0"
  std::string project_name = "wattserve";
  std::string run_id;                // UUID v4 (make_uuid_v4())
  std::string experiment_id;         // free text / UUID, may be empty
  std::vector<std::string> command;  // the measured command line
  int exit_code = 0;
  int64_t start_wall_ns = 0, end_wall_ns = 0;  // Unix epoch
  WindowReport window;                         // the run's window
  std::vector<Domain> domains;                 // Meter::domains()
  std::vector<SensorNote> sensor_notes;        // why sensors are not in use
  std::vector<std::string> sensors_used;
  std::map<std::string, std::string> estimator_info;  // e.g. cpu_model, tdp_w, cpu_class
  CarbonInfo carbon;
  double emissions_kg = 0;               // kWh * pue * g_per_kwh / 1000
  IdleBaseline idle;                     // per meter domain; empty watts = none
  std::optional<ProcessReport> process;  // with --process attribution
  MachineInfo machine;
  std::string tracking_mode = "machine";  // "machine" or "process"
};

// A random (version 4, RFC 4122 variant) UUID, lower-case "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
std::string make_uuid_v4();

// The process attribution's JSON (the `process` block of a measure record).
nlohmann::json to_json(const ProcessReport& report);

}  // namespace wattserve::energy
