// wattserve: energy-aware ML inference. Each subcommand lives in its own file (cmd_*.cpp)
// and registers itself through commands.h.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <exception>

#include "cli/commands.h"

int main(int argc, char** argv) {
  // An ignored SIGCHLD is inherited across exec and makes the kernel reap our children before
  // we can wait for them: restore the default.
  std::signal(SIGCHLD, SIG_DFL);
  CLI::App app{"wattserve: measure, serve and cut the energy of ML inference"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(wattserve::cli::kVersion));
  std::vector<wattserve::cli::Command> cmds = wattserve::cli::all_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, the version, or the error
    return code == 0 ? 0 : 2;      // usage errors exit 2, like most Unix tools
  }
  for (auto& c : cmds) {
    if (!c.app->parsed()) continue;
    try {
      return c.run();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "wattserve %s: %s\n", c.app->get_name().c_str(), e.what());
      return wattserve::cli::kOwnFailure;
    }
  }
  return 2;
}
