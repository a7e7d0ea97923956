#include "cli/commands.h"

namespace wattserve::cli {

Command add_sensors(CLI::App& app) {
  auto* sub = app.add_subcommand("sensors", "(in progress)");
  return {sub, [] { return 1; }};
}

}  // namespace wattserve::cli
