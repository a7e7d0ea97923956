// `wattserve estimate`: the CPU power model's prediction for a CPU model at a given load.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/sensor_options.h"
#include "energy/sensors/cpu_power_model.h"

namespace wattserve::cli {

namespace {
struct EstimateFlags {
  std::string cpu_model;
  double load = 0;
  double tdp = 0;
  int sockets = 1;
  bool json = false;
};

int run_estimate(const EstimateFlags& f) {
  energy::CpuModelOptions o;
  o.tdp_w = f.tdp;
  o.sockets = f.sockets;
  energy::CpuPowerEstimate e;
  try {
    e = energy::estimate_cpu_power(f.cpu_model, f.load, o);
  } catch (const std::exception& ex) {
    fmt::print(stderr, "wattserve estimate: {}\n", ex.what());
    return 2;
  }
  const std::string tdp_source = e.tdp_fallback ? "fallback" : e.tdp_from_table ? "table" : "user";
  if (f.json) {
    nlohmann::json j = {{"cpu_model", f.cpu_model},
                        {"matched_model", e.matched_model},
                        {"match_score", e.match_score},
                        {"cpu_class", e.cpu_class},
                        {"tdp_w", e.tdp_w},
                        {"tdp_source", tdp_source},
                        {"sockets", e.sockets},
                        {"load", f.load},
                        {"total_w", e.total_w},
                        {"idle_w", e.idle_w},
                        {"dynamic_w", e.dynamic_w},
                        {"full_load_w", e.full_w},
                        {"source", "estimate"}};
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("CPU        {}\n", f.cpu_model);
  fmt::print("matched    {} (score {:.2f}), class {}\n",
             e.matched_model.empty() ? "(no table row)" : e.matched_model, e.match_score,
             e.cpu_class);
  fmt::print("TDP        {:.0f} W per socket ({}), {} socket(s)\n", e.tdp_w, tdp_source, e.sockets);
  fmt::print(
      "load {:5.1f}% package power {:.1f} W = idle {:.1f} W + dynamic {:.1f} W "
      "(full load {:.1f} W)\n",
      f.load * 100, e.total_w, e.idle_w, e.dynamic_w, e.full_w);
  fmt::print("source     estimate (model in docs/measurement.md)\n");
  return 0;
}
}  // namespace

Command add_estimate(CLI::App& app) {
  auto f = std::make_shared<EstimateFlags>();
  auto* sub = app.add_subcommand(
      "estimate",
      "Print the estimator's CPU package power for a CPU model at a load: total, idle and "
      "above-idle (dynamic) watts. This is the model used when no energy counter exists.");
  sub->add_option("--cpu-model", f->cpu_model,
                  "CPU model name as in /proc/cpuinfo, e.g. \"Intel(R) Xeon(R) CPU E5-2620 v3 "
                  "@ 2.40GHz\"")
      ->required()
      ->check(non_blank());
  sub->add_option("--load", f->load, "CPU utilisation as a fraction, 0 to 1")
      ->required()
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--tdp", f->tdp, "TDP per socket in W (default: from the TDP table)")
      ->check(CLI::Range(1.0, 2000.0));
  sub->add_option("--sockets", f->sockets, "Number of CPU sockets")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  sub->add_flag("--json", f->json, "Print JSON (fields total_w, idle_w, dynamic_w, ...)");
  return {sub, [f] { return run_estimate(*f); }};
}

}  // namespace wattserve::cli
