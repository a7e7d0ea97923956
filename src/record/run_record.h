// The run record: one JSON object per measured run, the same for `wattserve measure --json`,
// `wattserve run --json` and every run of `wattserve bench`. Versioned by (schema,
// schema_version); described by schemas/run-record.schema.json; every field with its unit and
// formula in docs/record.md. A change that renames, removes or retypes a field bumps
// kSchemaVersion; adding an optional field does not.
//
// A record is built from the pieces below:
//   auto r = record::start_record("run", run_id);
//   record::set_times(r, window);
//   r["energy"] = record::energy_json(window, opts);
//   r["carbon"] = record::carbon_json(window.joules, intensity, pue);
//   r["machine"] = record::machine_json(record::machine_info(roots, meter.domains()));
//   r["software"] = record::software_json({{"llama", version}});
//   r["config"] = ...; r["timings"] = ...; r["metrics"] = ...;
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "energy/core/carbon.h"
#include "energy/core/meter.h"
#include "energy/core/types.h"
#include "record/machine_info.h"

namespace wattserve::record {

inline constexpr std::string_view kSchemaName = "wattserve.run-record";
inline constexpr int kSchemaVersion = 1;

// Unix-epoch nanoseconds as RFC 3339 UTC with milliseconds: "2023-11-14T22:13:20.123Z".
std::string rfc3339_utc(int64_t wall_ns);

// A record of `kind` ("measure", "run" or "bench") with every top-level key present: schema,
// schema_version, kind, run_id, status "ok", error null; started_at, ended_at, duration_s,
// energy, carbon, machine and software null; config, timings and metrics empty objects.
nlohmann::json start_record(std::string_view kind, std::string_view run_id);

// started_at, ended_at (RFC 3339 UTC) and duration_s = (ended - started) / 1e9.
void set_times(nlohmann::json& record, int64_t started_wall_ns, int64_t ended_wall_ns);
// The same from a meter window, with duration_s its monotonic length (immune to wall-clock steps).
void set_times(nlohmann::json& record, const energy::WindowReport& window);

// status "failed" and the error text.
void set_failed(nlohmann::json& record, std::string_view error);

struct EnergyJsonOptions {
  // The meter's domains (Meter::domains()), for each domain's label; null: labels are "".
  const std::vector<energy::Domain>* domains = nullptr;
  // The idle baseline the window subtracted, for idle_baseline.duration_s (its watts come from
  // the window's domains); null: duration_s is null.
  const energy::IdleBaseline* idle = nullptr;
  // Adds attributed_joules and attributed_dynamic_joules (the window's weighted share of the
  // intervals it shared with other open windows), in total and per domain.
  bool attributed = false;
  // Why the estimate stands in for sensors (SensorNote's sensor, reason, hint); added as
  // estimate_reason when the window's source is "estimate".
  const std::vector<energy::SensorNote>* estimate_reason = nullptr;
};

// The energy block: joules, kwh, dynamic_joules (null without an idle baseline), avg_watts,
// duration_s, source, intervals, read_errors, domains [{id, kind, source, label, counted, joules,
// dynamic_joules, avg_watts, idle_watts}], idle_baseline {watts_by_domain, duration_s} | null.
nlohmann::json energy_json(const energy::WindowReport& w, const EnergyJsonOptions& options = {});

// The carbon block: g_per_kwh, source, country_iso_code, country_name, region, cloud_provider,
// cloud_region, pue and emissions_kg = joules / 3.6e6 * pue * g_per_kwh / 1000. Throws
// std::invalid_argument as energy::emissions_kg does (pue < 1, negative joules).
nlohmann::json carbon_json(double joules, const energy::CarbonIntensity& intensity, double pue);

// The machine block: os, kernel, cpu_model, cpu_count, cpu_cores, ram_total_gib, gpu_count,
// gpu_model, gpu_driver, frequency_governor.
nlohmann::json machine_json(const MachineInfo& machine);

// The software block: wattserve_version, git_commit, git_dirty, compiler, build_type (this
// build's, build_info.h) and engines {name: version} as given: the engines the run loaded.
nlohmann::json software_json(const std::map<std::string, std::string>& engine_versions = {});

}  // namespace wattserve::record
