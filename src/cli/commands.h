// Registry of wattserve subcommands: each cmd_*.cpp adds its options to the CLI11 app and
// returns a callable that runs it and yields the process exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string_view>
#include <vector>

namespace wattserve::cli {

inline constexpr std::string_view kVersion = "0.1.0";
// Exit code when wattserve itself fails (as env(1) and timeout(1) use it).
inline constexpr int kOwnFailure = 125;

struct Command {
  CLI::App* app;
  std::function<int()> run;
};

Command add_version(CLI::App& app);
Command add_measure(CLI::App& app);
Command add_sensors(CLI::App& app);
Command add_estimate(CLI::App& app);
Command add_engines(CLI::App& app);
Command add_run(CLI::App& app);
Command add_serve(CLI::App& app);
Command add_ocr(CLI::App& app);  // only when WATTSERVE_WITH_OCR
Command add_bench(CLI::App& app);
Command add_report(CLI::App& app);
Command add_plan(CLI::App& app);
Command add_simulate(CLI::App& app);

std::vector<Command> all_commands(CLI::App& app);

}  // namespace wattserve::cli
