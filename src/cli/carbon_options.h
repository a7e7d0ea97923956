// Command-line options shared by the subcommands that report emissions (measure, run): grid
// carbon intensity by country, cloud region or explicit value, and the facility's PUE.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "energy/core/carbon.h"

namespace wattserve::cli {

struct CarbonFlags {
  std::string country, cloud;
  double intensity = -1;  // gCO2e/kWh; < 0: not given
  double pue = 1;
  // Throws std::invalid_argument for a malformed --cloud.
  energy::CarbonSettings settings() const;
};

void add_carbon_flags(CLI::App* app, CarbonFlags& f);

}  // namespace wattserve::cli
