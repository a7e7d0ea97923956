#include "record/run_record.h"

#include <cmath>

#include "energy/exporters/output_format.h"
#include "record/build_info.h"

namespace wattserve::record {

namespace {

constexpr double kJoulesPerKwh = 3.6e6;

using nlohmann::json;

// NaN and infinities are not JSON: null instead.
json num(double x) {
  return std::isfinite(x) ? json(x) : json(nullptr);
}

}  // namespace

std::string rfc3339_utc(int64_t wall_ns) {
  return energy::iso8601_utc(wall_ns, true);
}

json start_record(std::string_view kind, std::string_view run_id) {
  return {{"schema", kSchemaName},
          {"schema_version", kSchemaVersion},
          {"kind", kind},
          {"run_id", run_id},
          {"status", "ok"},
          {"error", nullptr},
          {"started_at", nullptr},
          {"ended_at", nullptr},
          {"duration_s", nullptr},
          {"energy", nullptr},
          {"carbon", nullptr},
          {"machine", nullptr},
          {"software", nullptr},
          {"config", json::object()},
          {"timings", json::object()},
          {"metrics", json::object()}};
}

void set_times(json& record, int64_t started_wall_ns, int64_t ended_wall_ns) {
  record["started_at"] = rfc3339_utc(started_wall_ns);
  record["ended_at"] = rfc3339_utc(ended_wall_ns);
  record["duration_s"] = static_cast<double>(ended_wall_ns - started_wall_ns) / 1e9;
}

void set_times(json& record, const energy::WindowReport& w) {
  set_times(record, w.begin_wall_ns, w.end_wall_ns);
  record["duration_s"] = w.duration_s;
}

void set_failed(json& record, std::string_view error) {
  record["status"] = "failed";
  record["error"] = error;
}

json energy_json(const energy::WindowReport& w, const EnergyJsonOptions& o) {
  const bool base = w.has_baseline;
  json domains = json::array();
  json idle_watts = json::object();
  for (const auto& d : w.domains) {
    std::string label;
    if (o.domains != nullptr) {
      for (const auto& md : *o.domains) {
        if (md.id == d.id) label = md.label;
      }
    }
    json j = {{"id", d.id},
              {"kind", energy::to_string(d.kind)},
              {"source", energy::to_string(d.source)},
              {"label", label},
              {"counted", d.counted},
              {"joules", num(d.joules)},
              {"dynamic_joules", base ? num(d.dynamic_joules) : json(nullptr)},
              {"avg_watts", num(d.avg_watts)},
              {"idle_watts", base ? num(d.idle_watts) : json(nullptr)}};
    if (o.attributed) {
      j["attributed_joules"] = num(d.attributed_joules);
      j["attributed_dynamic_joules"] = base ? num(d.attributed_dynamic_joules) : json(nullptr);
    }
    if (base) idle_watts[d.id] = num(d.idle_watts);
    domains.push_back(std::move(j));
  }
  json idle = nullptr;
  if (base) {
    idle = {{"watts_by_domain", std::move(idle_watts)},
            {"duration_s", o.idle != nullptr ? json(o.idle->duration_s) : json(nullptr)}};
  }
  json e = {{"joules", num(w.joules)},
            {"kwh", num(w.joules / kJoulesPerKwh)},
            {"dynamic_joules", base ? num(w.dynamic_joules) : json(nullptr)},
            {"avg_watts", num(w.avg_watts)},
            {"duration_s", w.duration_s},
            {"source", energy::to_string(w.source)},
            {"intervals", w.intervals},
            {"read_errors", w.read_errors},
            {"domains", std::move(domains)},
            {"idle_baseline", std::move(idle)}};
  if (o.attributed) {
    e["attributed_joules"] = num(w.attributed_joules);
    e["attributed_dynamic_joules"] = base ? num(w.attributed_dynamic_joules) : json(nullptr);
  }
  if (o.estimate_reason != nullptr && w.source == energy::Source::kEstimate) {
    json reasons = json::array();
    for (const auto& n : *o.estimate_reason) {
      reasons.push_back({{"sensor", n.sensor}, {"reason", n.reason}, {"hint", n.hint}});
    }
    e["estimate_reason"] = std::move(reasons);
  }
  return e;
}

json carbon_json(double joules, const energy::CarbonIntensity& c, double pue) {
  return {{"g_per_kwh", c.g_per_kwh},
          {"source", c.source},
          {"country_iso_code", c.country_iso_code},
          {"country_name", c.country_name},
          {"region", c.region},
          {"cloud_provider", c.cloud_provider},
          {"cloud_region", c.cloud_region},
          {"pue", pue},
          {"emissions_kg", energy::emissions_kg(joules, c, pue)}};
}

json machine_json(const MachineInfo& m) {
  return {{"os", m.os},
          {"kernel", m.kernel},
          {"cpu_model", m.cpu_model},
          {"cpu_count", m.cpu_count},
          {"cpu_cores", m.cpu_cores},
          {"ram_total_gib", m.ram_total_gib},
          {"gpu_count", m.gpu_count},
          {"gpu_model", m.gpu_model},
          {"gpu_driver", m.gpu_driver},
          {"frequency_governor", m.frequency_governor}};
}

json software_json(const std::map<std::string, std::string>& engine_versions) {
  const BuildInfo& b = build_info();
  return {{"wattserve_version", b.version}, {"git_commit", b.git_commit},
          {"git_dirty", b.git_dirty},       {"compiler", b.compiler},
          {"build_type", b.build_type},     {"engines", engine_versions}};
}

}  // namespace wattserve::record
