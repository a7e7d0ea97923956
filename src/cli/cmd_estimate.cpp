#include "cli/commands.h"

namespace wattserve::cli {

Command add_estimate(CLI::App& app) {
  auto* sub = app.add_subcommand("estimate", "(in progress)");
  return {sub, [] { return 1; }};
}

}  // namespace wattserve::cli
