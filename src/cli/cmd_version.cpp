// `wattserve version`: the build's version and the runtime engines it was compiled with.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "engine/engines.h"

namespace wattserve::cli {

Command add_version(CLI::App& app) {
  auto* sub = app.add_subcommand("version", "Print the version and the compiled runtime engines");
  return {sub, [] {
            fmt::print("wattserve {}\n", kVersion);
            int rc = 0;
            for (const auto& e : engine::compiled_engines()) {
              if (e.loaded) {
                fmt::print("  engine {:<6} {}  providers: {}\n", e.name, e.version,
                           fmt::join(e.providers, ", "));
              } else {
                fmt::print("  engine {:<6} not loadable: {}\n", e.name, e.error);
                rc = 1;
              }
            }
            return rc;
          }};
}

}  // namespace wattserve::cli
