// Command-line options shared by the subcommands that read sensors (measure, sensors, run, serve):
// which sensors, where sysfs/procfs/NVML live, the external meter and estimator overrides.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "energy/sensors/meter_setup.h"

namespace wattserve::cli {

// The sensor flags bind to a MeterSpec (energy/sensors/meter_setup.h, which builds the meter);
// each command binds its own --interval to meter.interval_ms.
struct SensorFlags {
  energy::MeterSpec meter;
  // energy::sensor_selection(meter); throws CLI::ValidationError on bad values.
  energy::SensorSelection selection() const;
};

void add_sensor_flags(CLI::App* app, SensorFlags& f);

// A check for string flags whose empty value would silently mean "the default" (`--country ""`,
// `--cpu-model ""`): an empty or whitespace-only value is a usage error naming the flag.
CLI::Validator non_blank();

}  // namespace wattserve::cli
