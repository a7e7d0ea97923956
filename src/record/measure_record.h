// The run record of `wattserve measure --json` (kind "measure"), from the run's summary.
#pragma once

#include <nlohmann/json.hpp>

#include "energy/exporters/run_summary.h"

namespace wattserve::record {

// The record of a measured command: the common blocks (run_record.h) with software.engines
// empty (measure loads no engine), config {project_name, experiment_id, tracking_mode} and the
// keys of `config` added, empty timings and metrics, and the kind's own keys: command,
// exit_code, process (null without attribution), sensors {used, unavailable [{sensor, reason,
// hint}]} and estimator {name: value}. status is "failed" when the command exited non-zero.
nlohmann::json measure_record(const energy::RunSummary& summary,
                              const nlohmann::json& config = nlohmann::json::object());

}  // namespace wattserve::record
