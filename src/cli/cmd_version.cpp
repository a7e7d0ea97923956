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
            for (const auto& e : engine::compiled_engines()) {
              fmt::print("  engine {:<6} {}  providers: {}\n", e.name, e.version,
                         fmt::join(e.providers, ", "));
            }
            return 0;
          }};
}

}  // namespace wattserve::cli
