// Command-line options shared by the subcommands that read sensors (measure, sensors):
// which sensors, where sysfs/procfs/NVML live, the external meter and estimator overrides.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "energy/sensors/discovery.h"
#include "energy/core/meter.h"

namespace wattserve::cli {

struct SensorFlags {
  std::string sensors;  // comma list, empty = automatic
  double meter_interval_ms = 1000;
  energy::SensorSelection sel;
  // Validates and fills sel from the flags; throws CLI::ValidationError on bad values.
  energy::SensorSelection selection() const;
};

void add_sensor_flags(CLI::App* app, SensorFlags& f);

// A check for string flags whose empty value would silently mean "the default" (`--country ""`,
// `--cpu-model ""`): an empty or whitespace-only value is a usage error naming the flag.
CLI::Validator non_blank();

// A meter over the sensors the flags select, sampling every interval_ms (not started). Throws
// what sensor discovery throws (e.g. an external meter that cannot be read).
std::unique_ptr<energy::Meter> make_meter(const SensorFlags& f, double interval_ms);

}  // namespace wattserve::cli
