// Command-line options shared by the subcommands that report emissions (measure, run, serve,
// bench): grid carbon intensity by country, cloud region or explicit value, and the facility's
// PUE; bench also takes an intensity series (a CSV) to defer its study to cleaner power.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "energy/core/carbon.h"

namespace wattserve::cli {

struct CarbonFlags {
  std::string country, cloud;
  double intensity = -1;         // gCO2e/kWh; < 0: not given
  std::string intensity_series;  // --carbon-intensity CSV, where the command takes one
  double pue = 1;
  // Throws std::invalid_argument for a malformed --cloud.
  energy::CarbonSettings settings() const;
};

// With `series`, --carbon-intensity takes a number or the path of an intensity CSV
// (adapt/carbon_schedule.h); without, a number only.
void add_carbon_flags(CLI::App* app, CarbonFlags& f, bool series = false);

}  // namespace wattserve::cli
