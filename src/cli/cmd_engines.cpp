// `wattserve engines`: the runtime engines compiled into this build and the execution
// providers each can use on this machine (each plug-in is loaded to ask it).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "engine/engines.h"

namespace wattserve::cli {

Command add_engines(CLI::App& app) {
  auto* sub =
      app.add_subcommand("engines", "List the compiled runtime engines and their providers");
  auto json = std::make_shared<bool>(false);
  sub->add_flag("--json", *json, "Print JSON instead of text");
  return {sub, [json] {
            const auto engines = engine::compiled_engines();
            int rc = 0;
            for (const auto& e : engines) rc |= e.loaded ? 0 : 1;
            if (*json) {
              nlohmann::json out = nlohmann::json::array();
              for (const auto& e : engines) {
                nlohmann::json j = {{"name", e.name}, {"loaded", e.loaded}};
                if (e.loaded) {
                  j["version"] = e.version;
                  j["providers"] = e.providers;
                } else {
                  j["error"] = e.error;
                }
                out.push_back(std::move(j));
              }
              fmt::print("{}\n", out.dump(2));
              return rc;
            }
            if (engines.empty()) fmt::print("no runtime engines compiled in\n");
            for (const auto& e : engines) {
              if (e.loaded) {
                fmt::print("{:<6} {}\n       providers: {}\n", e.name, e.version,
                           fmt::join(e.providers, ", "));
              } else {
                fmt::print("{:<6} not loadable: {}\n", e.name, e.error);
              }
            }
            return rc;
          }};
}

}  // namespace wattserve::cli
