// `wattserve simulate --trace PATH --profiles P [--json]`: replays a trace through serve's real
// scheduler in virtual time with step times and power from profiles, and compares the static
// configurations, the least-energy one that meets the SLO (a), the fastest (b) and the adaptive
// controller (c); `--validate DIR` simulates a serving dataset's measured runs and prints the
// errors. The work is in src/sim/; this file binds flags. Exit codes: 0 done, 2 bad arguments
// or files, 125 failure.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "adapt/profile.h"
#include "adapt/profile_fit.h"
#include "cli/commands.h"
#include "cli/sensor_options.h"
#include "energy/exporters/output_format.h"
#include "sim/carbon_eval.h"
#include "sim/evaluate.h"

namespace wattserve::cli {

namespace {

using nlohmann::json;

struct SimulateFlags {
  std::string trace, profiles, validate, model;
  sim::TraceSpec spec;
  sim::SimOptions sim;
  std::string schedule = "fcfs";
  std::vector<int> caps;
  double period_s = 2;
  adapt::ControllerOptions controller;
  bool json_out = false;
  // --carbon-intensity: what deferring some requests to cleaner power would save
  std::string carbon_csv, carbon_start;
  double deferrable_fraction = 0.5, defer_deadline_s = 21600;
  std::vector<adapt::IntensityPoint> series;  // read from carbon_csv
  int64_t carbon_start_s = 0;
};

// Reads --carbon-intensity and --carbon-start (default: the series' first time); throws
// std::invalid_argument or std::runtime_error for the user to fix.
void load_carbon(SimulateFlags& f) {
  if (f.carbon_csv.empty()) {
    if (!f.carbon_start.empty())
      throw std::invalid_argument("--carbon-start goes with --carbon-intensity CSV");
    return;
  }
  f.series = adapt::read_intensity_csv(f.carbon_csv);
  f.carbon_start_s = f.series.front().t_s;
  if (!f.carbon_start.empty()) {
    const int64_t ns = energy::parse_rfc3339_ns(f.carbon_start);
    if (ns == 0) {
      throw std::invalid_argument(fmt::format(
          "--carbon-start {}: give an RFC 3339 time, e.g. 2026-12-06T18:00:00Z", f.carbon_start));
    }
    f.carbon_start_s = ns / 1000000000LL;
  }
  if (f.carbon_start_s < f.series.front().t_s) {
    throw std::invalid_argument(
        fmt::format("--carbon-start {} is before {} begins ({})", f.carbon_start, f.carbon_csv,
                    energy::iso8601_utc(f.series.front().t_s * 1000000000LL, false)));
  }
  f.sim.keep_requests = true;
}

// The gCO2e of each compared policy's requests without and with deferral (sim/carbon_eval.h).
json carbon_json(const SimulateFlags& f, const std::vector<const sim::SimResult*>& policies) {
  sim::CarbonEvalOptions o;
  o.trace_start_s = f.carbon_start_s;
  o.deferrable_fraction = f.deferrable_fraction;
  o.defer_deadline_s = f.defer_deadline_s;
  json rows = json::array();
  for (const auto* r : policies) {
    const auto e = sim::evaluate_carbon(r->per_request, f.series, o);
    rows.push_back({{"name", r->policy},
                    {"requests", e.requests},
                    {"deferrable", e.deferrable},
                    {"deferred", e.deferred},
                    {"requests_energy_j", e.joules},
                    {"g_co2e_without_deferral", e.g_without},
                    {"g_co2e_with_deferral", e.g_with},
                    {"g_co2e_saved", e.g_saved},
                    {"saved_fraction", e.saved_fraction}});
  }
  return {{"intensity_series", f.carbon_csv},
          {"trace_start", energy::iso8601_utc(f.carbon_start_s * 1000000000LL, false)},
          {"deferrable_fraction", f.deferrable_fraction},
          {"defer_deadline_s", f.defer_deadline_s},
          {"assumption",
           "deferral does not change a request's energy; the queueing effects of moving "
           "requests are not simulated"},
          {"policies", rows}};
}

void print_carbon(const json& c) {
  fmt::print(
      "carbon: {} from {}, {:.0f}% of requests deferrable within {} s (energy assumed unchanged "
      "by deferral; its queueing effects are not simulated):\n",
      c["intensity_series"].get<std::string>(), c["trace_start"].get<std::string>(),
      c["deferrable_fraction"].get<double>() * 100, c["defer_deadline_s"].get<double>());
  fmt::print("  {:<52} {:>12} {:>12} {:>12} {:>7}\n", "policy", "gCO2e now", "deferred", "saved",
             "moved");
  for (const auto& r : c["policies"]) {
    fmt::print("  {:<52} {:>12.5g} {:>12.5g} {:>12.5g} {:>7}  ({:.1f}% less)\n",
               r["name"].get<std::string>(), r["g_co2e_without_deferral"].get<double>(),
               r["g_co2e_with_deferral"].get<double>(), r["g_co2e_saved"].get<double>(),
               r["deferred"].get<std::size_t>(), r["saved_fraction"].get<double>() * 100);
  }
}

json result_json(const sim::SimResult& r) {
  const auto n = [](double x) { return std::isfinite(x) ? json(x) : json(nullptr); };
  return {{"name", r.policy},
          {"requests", r.requests},
          {"ok", r.ok},
          {"refused", r.refused},
          {"failed", r.failed},
          {"slo_attainment", n(r.slo_attainment)},
          {"energy_per_request_j", n(r.joules_per_request)},
          {"energy_j", n(r.joules)},
          {"e2e_mean_s", n(r.e2e_mean_s)},
          {"e2e_p50_s", n(r.e2e_p50_s)},
          {"e2e_p99_s", n(r.e2e_p99_s)},
          {"ttft_mean_s", n(r.ttft_mean_s)},
          {"ttft_p99_s", n(r.ttft_p99_s)},
          {"tpot_mean_s", n(r.tpot_mean_s)},
          {"duration_s", n(r.duration_s)},
          {"output_tokens", r.output_tokens},
          {"decisions", r.decisions.size()}};
}

std::string pct(double x) {
  return std::isfinite(x) ? fmt::format("{:.1f}%", x * 100) : "n/a";
}

void print_row(const sim::SimResult& r) {
  fmt::print("  {:<52} {:>8.4f} {:>10.4f} {:>9.3f} {:>9.3f} {:>6}\n", r.policy, r.slo_attainment,
             r.joules_per_request, r.e2e_mean_s, r.e2e_p99_s, r.refused);
}

int run_validate(const SimulateFlags& f, const adapt::Profiles& profiles) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto v = sim::validate(profiles, f.validate);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (f.json_out) {
    json rows = json::array();
    for (const auto& r : v.rows) {
      rows.push_back({{"run_id", r.run_id},
                      {"variant", r.variant},
                      {"schedule", r.schedule},
                      {"held_out", r.held_out},
                      {"requests", r.requests},
                      {"measured",
                       {{"e2e_mean_s", r.measured_e2e_mean_s},
                        {"e2e_p99_s", r.measured_e2e_p99_s},
                        {"energy_per_request_j", r.measured_joules_per_request}}},
                      {"simulated", result_json(r.simulated)}});
    }
    const auto n = [](double x) { return std::isfinite(x) ? json(x) : json(nullptr); };
    fmt::print("{}\n", json{{"dataset", f.validate},
                            {"runs", rows},
                            {"skipped", v.skipped},
                            {"mape",
                             {{"e2e_mean", n(v.mape_e2e_mean)},
                              {"e2e_p99", n(v.mape_e2e_p99)},
                              {"energy_per_request", n(v.mape_joules)}}},
                            {"holdout_mape",
                             {{"runs", v.holdout_rows},
                              {"e2e_mean", n(v.holdout_mape_e2e_mean)},
                              {"e2e_p99", n(v.holdout_mape_e2e_p99)},
                              {"energy_per_request", n(v.holdout_mape_joules)}}},
                            {"wall_s", wall}}
                           .dump(2));
    return 0;
  }
  fmt::print("simulated {} measured run(s) of {} in {:.2f} s\n", v.rows.size(), f.validate, wall);
  fmt::print("  {:<34} {:<7} {:>17} {:>17} {:>19}\n", "run (variant)", "sched", "E2E mean s m/sim",
             "E2E p99 s m/sim", "J/request m/sim");
  for (const auto& r : v.rows) {
    fmt::print("  {:<34} {:<7} {:>8.4f}/{:<8.4f} {:>8.4f}/{:<8.4f} {:>9.4f}/{:<9.4f}{}\n",
               r.run_id.substr(0, 12) + " " + r.variant.substr(0, 21), r.schedule,
               r.measured_e2e_mean_s, r.simulated.e2e_mean_s, r.measured_e2e_p99_s,
               r.simulated.e2e_p99_s, r.measured_joules_per_request, r.simulated.joules_per_request,
               r.held_out ? "  (held out of the fit)" : "");
  }
  for (const auto& s : v.skipped) fmt::print("  skipped {}\n", s);
  fmt::print("MAPE over {} run(s): E2E mean {}, E2E p99 {}, energy per request {}\n", v.rows.size(),
             pct(v.mape_e2e_mean), pct(v.mape_e2e_p99), pct(v.mape_joules));
  if (v.holdout_rows > 0) {
    fmt::print("MAPE over the {} run(s) held out of the fit: E2E mean {}, E2E p99 {}, energy {}\n",
               v.holdout_rows, pct(v.holdout_mape_e2e_mean), pct(v.holdout_mape_e2e_p99),
               pct(v.holdout_mape_joules));
  }
  fmt::print("energy: {} (the profiles' source; on these VMs an estimate from CPU utilisation)\n",
             profiles.energy_source.empty() ? "unknown" : profiles.energy_source);
  return 0;
}

int run_simulate(SimulateFlags& f) {
  adapt::Profiles profiles;
  std::vector<adapt::AdaptOption> options;
  std::vector<sim::SimRequest> trace;
  try {
    profiles = std::filesystem::is_directory(f.profiles) ? adapt::fit_profiles({f.profiles})
                                                         : adapt::load_profiles(f.profiles);
    if (!f.validate.empty()) return run_validate(f, profiles);
    options = sim::options_for(profiles, f.model, f.caps);
    int context = 0;
    for (const auto& o : options) {
      if (o.profile.context > 0)
        context = context ? std::min(context, o.profile.context) : o.profile.context;
    }
    trace = sim::load_sim_trace(f.spec, context > 0 ? context : 2048);
    (void)serve::parse_schedule_policy(f.schedule);
    load_carbon(f);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "wattserve simulate: {}\n", e.what());
    return 2;
  } catch (const std::runtime_error& e) {
    fmt::print(stderr, "wattserve simulate: {}\n", e.what());
    return 2;
  }
  if (!f.json_out) {
    fmt::print(stderr,
               "wattserve simulate: {} requests over {:.1f} s, {} configuration(s), SLO E2E <= "
               "{} s; simulating each static configuration and the adaptive controller...\n",
               trace.size(), trace.back().t_s, options.size(), f.sim.slo_e2e_s);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto c = sim::compare_policies(
      trace, options, f.sim, serve::parse_schedule_policy(f.schedule), f.controller, f.period_s);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto a = c.statics[c.least_energy];
  a.policy = "least-energy static (a): " + options[c.least_energy].name;
  auto b = c.statics[c.fastest];
  b.policy = "fastest static (b): " + options[c.fastest].name;
  const double save_b = 1 - c.adaptive.joules_per_request / b.joules_per_request;
  const double save_a = 1 - c.adaptive.joules_per_request / a.joules_per_request;
  const json carbon = f.series.empty() ? json() : carbon_json(f, {&a, &b, &c.adaptive});
  if (f.json_out) {
    json statics = json::array();
    for (const auto& r : c.statics) statics.push_back(result_json(r));
    json decisions = json::array();
    for (const auto& d : c.adaptive.decisions) {
      if (d.changed) {
        decisions.push_back({{"t_s", d.t_s},
                             {"option", d.option},
                             {"rate_per_s", d.rate_per_s},
                             {"reason", d.reason}});
      }
    }
    json out = {{"trace", f.spec.path},
                {"requests", trace.size()},
                {"slo_e2e_s", f.sim.slo_e2e_s},
                {"energy_source", profiles.energy_source},
                {"policies", {result_json(a), result_json(b), result_json(c.adaptive)}},
                {"least_energy_meets_target", c.least_energy_meets},
                {"adaptive_saving_vs_fastest", save_b},
                {"adaptive_saving_vs_least_energy", save_a},
                {"statics", statics},
                {"adaptive_changes", decisions},
                {"wall_s", wall}};
    if (!carbon.is_null()) out["carbon"] = carbon;
    fmt::print("{}\n", out.dump(2));
    return 0;
  }
  fmt::print("  {:<52} {:>8} {:>10} {:>9} {:>9} {:>6}\n", "policy", "SLO att.", "J/request",
             "E2E mean", "E2E p99", "503s");
  fmt::print("static configurations:\n");
  for (const auto& r : c.statics) print_row(r);
  fmt::print("compared:\n");
  print_row(a);
  print_row(b);
  print_row(c.adaptive);
  if (!c.least_energy_meets) {
    fmt::print(
        "note: no static configuration reaches {:.0f}% SLO attainment; (a) is the one "
        "closest to it\n",
        c.target * 100);
  }
  size_t changes = 0;
  for (const auto& d : c.adaptive.decisions) changes += d.changed;
  fmt::print(
      "adaptive: {} decision(s), {} change(s); energy per request {} below (b), {} below (a)\n",
      c.adaptive.decisions.size(), changes, pct(save_b), pct(save_a));
  fmt::print(
      "energy: {} -- the profiles' source (on these VMs an estimate from CPU utilisation); "
      "simulated in {:.2f} s\n",
      profiles.energy_source.empty() ? "unknown" : profiles.energy_source, wall);
  if (!carbon.is_null()) print_carbon(carbon);
  return 0;
}

}  // namespace

Command add_simulate(CLI::App& app) {
  auto f = std::make_shared<SimulateFlags>();
  auto* sub = app.add_subcommand(
      "simulate",
      "Replay a request trace (Azure LLM inference CSV or Mooncake JSONL) through serve's real "
      "scheduler (queue, FCFS/SJF/oracle, continuous batching, admission) in virtual time, with "
      "each step's time and power from profiles (`wattserve plan profile`). Simulates every "
      "static configuration of the selected model's profiles and the adaptive controller of "
      "`serve --adapt`, and compares (a) the least-energy static configuration with SLO "
      "attainment >= the target, (b) the fastest static one (least mean E2E) and (c) adaptive. "
      "A request's true output length drives the simulation but is hidden from the scheduler. "
      "`--validate DATASET` instead simulates the measured runs of a serving dataset and prints "
      "the errors. Formulas: docs/adapt.md.");
  sub->add_option(
         "--profiles,-p", f->profiles,
         "Profiles JSON (wattserve plan profile), or a bench dataset folder to fit them from")
      ->required()
      ->check(non_blank());
  sub->add_option("--trace,-t", f->spec.path, "Trace file: Azure CSV or Mooncake JSONL")
      ->check(non_blank());
  sub->add_option("--validate", f->validate,
                  "Simulate this serving dataset's measured runs and report the errors")
      ->check(non_blank())
      ->excludes("--trace");
  sub->add_option("--model,-m", f->model,
                  "Profiles to use: a profile id, model or family, or a pattern over ids such as "
                  "'pycode-tiny/*/llama/cpu/*/p8' (default: the model with the most text "
                  "variants)");
  sub->add_option("--slo", f->sim.slo_e2e_s, "End-to-end latency SLO in seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--target", f->controller.target, "SLO attainment the policies must reach")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 1.0));
  sub->add_option("--schedule", f->schedule, "Scheduling policy: fcfs, sjf or oracle")
      ->capture_default_str()
      ->check(CLI::IsMember({"fcfs", "sjf", "oracle"}));
  sub->add_option("--parallel-caps", f->caps,
                  "Parallel-slot caps each variant may run with (default: its profiled slots)")
      ->check(CLI::Range(1, 4096));
  sub->add_option("--period", f->period_s, "The adaptive controller's period (seconds)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--headroom", f->controller.headroom,
                  "Predicted utilisation the controller allows at the observed rate")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 1.0));
  sub->add_option("--start", f->spec.start_s, "Trace window start (seconds into the trace)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--duration", f->spec.duration_s, "Trace window length (seconds; 0 = to the end)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--rate-scale", f->spec.rate_scale, "Multiply the arrival rate by this")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--time-scale", f->spec.time_scale, "Stretch the trace's time by this")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--token-map", f->spec.token_map,
                  "Fit token counts to the context: scale (keeps the shape) or clamp")
      ->capture_default_str()
      ->check(CLI::IsMember({"scale", "clamp"}));
  sub->add_option("--max-queue", f->sim.max_queue, "Queued requests per worker before 503s")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 24));
  sub->add_option("--carbon-intensity", f->carbon_csv,
                  "Grid intensity series (CSV: a time and a gCO2e/kWh column, as Electricity "
                  "Maps exports): also report each compared policy's gCO2e without and with "
                  "carbon-aware deferral of some requests")
      ->check(CLI::ExistingFile)
      ->group("Carbon");
  sub->add_option("--carbon-start", f->carbon_start,
                  "The wall-clock time (RFC 3339) of the trace's start (default: the series' "
                  "first time)")
      ->check(non_blank())
      ->group("Carbon");
  sub->add_option("--deferrable-fraction", f->deferrable_fraction,
                  "Share of requests that may wait (evenly spread: 0.25 marks every 4th)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group("Carbon");
  sub->add_option("--defer-deadline", f->defer_deadline_s,
                  "A deferrable request must end this many seconds after its arrival")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->group("Carbon");
  sub->add_flag("--json", f->json_out,
                "Print JSON: per policy name, SLO attainment, energy per request, mean and p99 "
                "E2E latency");
  sub->footer(
      "Exit codes: 0 done, 2 bad arguments or unreadable files, 125 failure. Energy figures "
      "carry the profiles' source: on these VMs an estimate from CPU utilisation.");
  Command c{sub, nullptr};
  c.run = [f]() -> int {
    if (f->validate.empty() && f->spec.path.empty()) {
      fmt::print(stderr, "wattserve simulate: give --trace PATH (or --validate DATASET)\n");
      return 2;
    }
    try {
      return run_simulate(*f);
    } catch (const std::invalid_argument& e) {
      fmt::print(stderr, "wattserve simulate: {}\n", e.what());
      return 2;
    } catch (const std::exception& e) {
      fmt::print(stderr, "wattserve simulate: {}\n", e.what());
      return kOwnFailure;
    }
  };
  return c;
}

}  // namespace wattserve::cli
