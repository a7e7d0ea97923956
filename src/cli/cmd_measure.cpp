#include "cli/commands.h"

namespace wattserve::cli {

Command add_measure(CLI::App& app) {
  auto* sub = app.add_subcommand("measure", "(in progress)");
  return {sub, [] { return 1; }};
}

}  // namespace wattserve::cli
