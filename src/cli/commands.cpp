#include "cli/commands.h"

namespace wattserve::cli {

std::vector<Command> all_commands(CLI::App& app) {
  return {add_measure(app), add_sensors(app), add_estimate(app), add_engines(app),
          add_run(app),     add_serve(app),   add_ocr(app),      add_version(app)};
}

}  // namespace wattserve::cli
