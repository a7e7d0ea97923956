#include "energy/exporters/run_summary.h"

#include <fmt/format.h>

#include <random>

#include "energy/core/atomic_file.h"
#include "energy/exporters/output_format.h"

namespace wattserve::energy {
namespace {

constexpr double kJoulesPerKwh = 3.6e6;

nlohmann::json note_json(const SensorNote& n) {
  return {{"sensor", n.sensor}, {"reason", n.reason}, {"hint", n.hint}};
}

}  // namespace

std::string make_uuid_v4() {
  static thread_local std::mt19937_64 gen([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }());
  uint64_t hi = gen(), lo = gen();
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 10xx
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF,
                     hi & 0xFFFF, lo >> 48, lo & 0xFFFFFFFFFFFFull);
}

nlohmann::json to_json(const ProcessReport& r) {
  nlohmann::json domains = nlohmann::json::array();
  for (const auto& d : r.domains) {
    nlohmann::json j = {{"id", d.id},
                        {"kind", std::string(to_string(d.kind))},
                        {"source", std::string(to_string(d.source))},
                        {"counted", d.counted},
                        {"attributed", d.attributed},
                        {"domain_joules", d.domain_joules}};
    if (d.attributed) {
      j["joules"] = d.joules;
    } else {
      j["joules"] = nullptr;
      j["note"] = "share not applicable: CPU time says nothing about this domain's use";
    }
    domains.push_back(std::move(j));
  }
  return {{"root_pid", r.root_pid},
          {"method", "cpu-time share of CPU-side domains"},
          {"joules", r.joules},
          {"kwh", r.joules / kJoulesPerKwh},
          {"domain_joules", r.domain_joules},
          {"mean_share", r.mean_share},
          {"tree_cpu_seconds", r.tree_cpu_seconds},
          {"system_busy_cpu_seconds", r.system_busy_seconds},
          {"intervals", r.intervals},
          {"domains", std::move(domains)}};
}

nlohmann::json to_json(const RunSummary& s) {
  using nlohmann::json;
  const WindowReport& w = s.window;

  json energy = {{"joules", w.joules},
                 {"dynamic_joules", w.dynamic_joules},
                 {"kwh", w.joules / kJoulesPerKwh},
                 {"avg_watts", w.avg_watts},
                 {"source", std::string(to_string(w.source))},
                 {"has_baseline", w.has_baseline},
                 {"intervals", w.intervals},
                 {"read_errors", w.read_errors}};
  if (w.source == Source::kEstimate) {
    json reasons = json::array();
    for (const auto& n : s.sensor_notes) reasons.push_back(note_json(n));
    energy["estimate_reason"] = std::move(reasons);
  }

  json domains = json::array();
  for (const auto& d : w.domains) {
    std::string label;
    for (const auto& md : s.domains) {
      if (md.id == d.id) label = md.label;
    }
    domains.push_back({{"id", d.id},
                       {"kind", std::string(to_string(d.kind))},
                       {"source", std::string(to_string(d.source))},
                       {"label", label},
                       {"counted", d.counted},
                       {"joules", d.joules},
                       {"dynamic_joules", d.dynamic_joules},
                       {"avg_watts", d.avg_watts},
                       {"idle_watts", d.idle_watts}});
  }

  const CarbonInfo& c = s.carbon;
  json emissions = {{"kg", s.emissions_kg},
                    {"g_per_kwh", c.g_per_kwh},
                    {"source", c.source},
                    {"pue", c.pue},
                    {"country_name", c.country_name},
                    {"country_iso_code", c.country_iso_code},
                    {"region", c.region},
                    {"cloud_provider", c.cloud_provider},
                    {"cloud_region", c.cloud_region}};

  json idle = nullptr;
  if (!s.idle.watts.empty()) {
    json watts = json::object();
    for (size_t k = 0; k < s.idle.watts.size() && k < s.domains.size(); ++k) {
      watts[s.domains[k].id] = s.idle.watts[k];
    }
    idle = {{"watts", std::move(watts)}, {"duration_s", s.idle.duration_s}};
  }

  json unavailable = json::array();
  for (const auto& n : s.sensor_notes) unavailable.push_back(note_json(n));

  const MachineInfo& m = s.machine;
  json j = {
      {"schema", "wattserve.run/1"},
      {"tool", {{"name", "wattserve"}, {"version", s.tool_version}}},
      {"project_name", s.project_name},
      {"run_id", s.run_id},
      {"experiment_id", s.experiment_id},
      {"command", s.command},
      {"exit_code", s.exit_code},
      {"start_time", iso8601_utc(s.start_wall_ns)},
      {"end_time", iso8601_utc(s.end_wall_ns)},
      {"duration_s", w.duration_s},
      {"tracking_mode", s.tracking_mode},
      {"energy", std::move(energy)},
      {"domains", std::move(domains)},
      {"emissions", std::move(emissions)},
      {"idle_baseline", std::move(idle)},
      {"sensors", {{"used", s.sensors_used}, {"unavailable", std::move(unavailable)}}},
      {"estimator", s.estimator_info},
      {"machine",
       {{"os", m.os},
        {"cpu_count", m.cpu_count},
        {"cpu_model", m.cpu_model},
        {"ram_total_gib", m.ram_total_gib},
        {"gpu_count", m.gpu_count},
        {"gpu_model", m.gpu_model}}},
  };
  if (s.process) j["process"] = to_json(*s.process);
  return j;
}

void write_summary_json(const std::string& path, const RunSummary& summary) {
  write_file_atomic(path, to_json(summary).dump(2) + "\n");
}

}  // namespace wattserve::energy
