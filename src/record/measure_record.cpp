#include "record/measure_record.h"

#include <fmt/format.h>

#include "record/run_record.h"

namespace wattserve::record {

nlohmann::json measure_record(const energy::RunSummary& s, const nlohmann::json& config) {
  using nlohmann::json;
  json r = start_record("measure", s.run_id);
  if (s.exit_code != 0)
    set_failed(r, fmt::format("the command exited with status {}", s.exit_code));
  set_times(r, s.start_wall_ns, s.end_wall_ns);
  r["duration_s"] = s.window.duration_s;  // monotonic, as set_times(r, window) has it

  EnergyJsonOptions eo;
  eo.domains = &s.domains;
  eo.idle = &s.idle;
  eo.estimate_reason = &s.sensor_notes;
  r["energy"] = energy_json(s.window, eo);
  r["carbon"] = carbon_json(s.window.joules, s.carbon, s.carbon.pue);
  r["machine"] = machine_json(s.machine);
  r["software"] = software_json({});

  json cfg = {{"project_name", s.project_name},
              {"experiment_id", s.experiment_id},
              {"tracking_mode", s.tracking_mode}};
  for (const auto& [k, v] : config.items()) cfg[k] = v;
  r["config"] = std::move(cfg);

  json unavailable = json::array();
  for (const auto& n : s.sensor_notes) {
    unavailable.push_back({{"sensor", n.sensor}, {"reason", n.reason}, {"hint", n.hint}});
  }
  r["command"] = s.command;
  r["exit_code"] = s.exit_code;
  r["process"] = s.process ? energy::to_json(*s.process) : json(nullptr);
  r["sensors"] = {{"used", s.sensors_used}, {"unavailable", std::move(unavailable)}};
  r["estimator"] = s.estimator_info;
  return r;
}

}  // namespace wattserve::record
