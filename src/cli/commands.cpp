#include "cli/commands.h"

namespace wattserve::cli {

std::vector<Command> all_commands(CLI::App& app) {
  std::vector<Command> c = {add_measure(app), add_sensors(app), add_estimate(app), add_engines(app),
                            add_run(app),     add_serve(app),   add_bench(app),    add_report(app)};
#if WATTSERVE_WITH_OCR
  c.push_back(add_ocr(app));
#endif
  c.push_back(add_plan(app));
  c.push_back(add_simulate(app));
  c.push_back(add_version(app));
  return c;
}

}  // namespace wattserve::cli
