// `wattserve plan --profiles P [--pipeline FILE.toml] [--slo S] [--rate R] ...`: the variant,
// batch size, replicas and cores of each pipeline stage that meet a p99 SLO at the least energy
// per request (src/adapt/planner.h), and `wattserve plan profile DIR... --out FILE`: fitting the
// profiles it reads from bench datasets (src/adapt/profile_fit.h). This file binds flags and
// prints. Exit codes: 0 a plan (or profiles written), 1 no plan meets the SLO, 2 bad arguments
// or files, 125 failure.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "adapt/planner.h"
#include "adapt/profile.h"
#include "adapt/profile_fit.h"
#include "cli/commands.h"
#include "cli/sensor_options.h"
#include "cli/text_output.h"
#include "energy/core/atomic_file.h"

namespace wattserve::cli {

namespace {

struct PlanFlags {
  std::string profiles;
  std::string pipeline;
  double slo = 1.0;
  double rate = 1.0;
  double accuracy_weight = 0;
  int cores = 0;
  int gpus = 0;
  bool json = false;
  CLI::Option* slo_opt = nullptr;
  CLI::Option* rate_opt = nullptr;
  CLI::Option* weight_opt = nullptr;
  CLI::Option* cores_opt = nullptr;
  CLI::Option* gpus_opt = nullptr;
  // plan profile
  CLI::App* profile = nullptr;
  std::vector<std::string> dirs;
  std::string out;
  int holdout_every = adapt::ProfileFitOptions{}.holdout_every;
};

// Columns: the first `left` left-aligned, the rest right-aligned; two spaces between.
std::string table(const std::vector<std::vector<std::string>>& rows, size_t left) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    width.resize(std::max(width.size(), r.size()), 0);
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      if (i > 0) line += "  ";
      line +=
          i < left ? fmt::format("{:<{}}", r[i], width[i]) : fmt::format("{:>{}}", r[i], width[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string quality_text(double q) {
  return std::isfinite(q) ? fmt::format("{:.3f}", q) : "n/a";
}

std::string energy_source_text(const std::string& source) {
  if (source == "estimate") {
    return "an estimate from CPU utilisation and the processor's rated power, not a measurement "
           "(as on these VMs)";
  }
  if (source == "counter") return "hardware energy counters (RAPL, NVML)";
  if (source == "integrated") return "power readings integrated over time";
  if (source.empty()) return "not recorded";
  return source;
}

std::string plan_table(const adapt::Plan& p) {
  std::vector<std::vector<std::string>> rows = {{"stage", "variant", "batch", "replicas", "cores",
                                                 "util", "J/request", "mean", "p99", "quality"}};
  for (const auto& s : p.stages) {
    rows.push_back({s.stage, s.variant, std::to_string(s.batch), std::to_string(s.replicas),
                    s.gpus_per_replica > 0
                        ? fmt::format("{}+{} GPU", s.cores_per_replica * s.replicas,
                                      s.gpus_per_replica * s.replicas)
                        : std::to_string(s.cores_per_replica * s.replicas),
                    fmt::format("{:.2f}", s.utilisation), format_joules(s.joules_per_request),
                    format_seconds(s.latency_mean_s), format_seconds(s.latency_p99_s),
                    quality_text(s.quality)});
  }
  return table(rows, 2);
}

std::string choices(const adapt::Plan& p) {
  std::string s;
  for (const auto& c : p.stages) {
    s += fmt::format("{}{}: {} batch {} x{}", s.empty() ? "" : "; ", c.stage, c.variant, c.batch,
                     c.replicas);
  }
  return s;
}

adapt::PipelineSpec default_pipeline() {
  adapt::PipelineSpec spec;
  spec.name = "text-generation";
  adapt::StageSpec s;
  s.name = "generate";
  s.kind = "text";
  s.workload.input_tokens = 32;
  s.workload.output_tokens = 32;
  spec.stages.push_back(s);
  return spec;
}

int run_plan(PlanFlags& f) {
  if (f.profiles.empty()) {
    eprint("wattserve plan: give --profiles FILE (written by `wattserve plan profile`)\n");
    return 2;
  }
  adapt::Profiles profiles;
  adapt::PipelineSpec spec;
  adapt::PlanResult r;
  try {
    profiles = adapt::load_profiles(f.profiles);
    spec = f.pipeline.empty() ? default_pipeline() : adapt::load_pipeline(f.pipeline);
    if (f.pipeline.empty() || f.slo_opt->count() > 0) spec.slo_p99_s = f.slo;
    if (f.pipeline.empty() || f.rate_opt->count() > 0) spec.rate_per_s = f.rate;
    if (f.weight_opt->count() > 0) spec.accuracy_weight = f.accuracy_weight;
    if (f.cores_opt->count() > 0) spec.cores = f.cores;
    if (f.gpus_opt->count() > 0) spec.gpus = f.gpus;
    r = adapt::plan(profiles, spec);
  } catch (const std::invalid_argument& e) {
    eprint("wattserve plan: {}\n", e.what());
    return 2;
  }
  if (f.json) {
    fmt::print("{}", adapt::plan_result_to_json(r, spec));
    if (!r.best) eprint("wattserve plan: no plan: {}\n", r.reason);
    return r.best ? 0 : 1;
  }
  fmt::print("pipeline '{}': p99 SLO {} at {:g} requests/s on {} cores{}{}\n", spec.name,
             format_seconds(spec.slo_p99_s), spec.rate_per_s, r.cores,
             r.gpus > 0 ? fmt::format(" and {} GPUs", r.gpus) : "",
             spec.accuracy_weight > 0
                 ? fmt::format(", accuracy weight {:g} J per unit of quality", spec.accuracy_weight)
                 : "");
  const std::string counts = fmt::format(
      "{} candidates in the integer program ({} scored by the queueing model, {} dominated "
      "dropped); GLPK: {:.2f} ms",
      r.candidates, r.evaluated, r.dominated, r.solve_ms);
  const std::string source =
      fmt::format("energy figures are from profiles whose energy source is '{}': {}",
                  profiles.energy_source, energy_source_text(profiles.energy_source));
  if (!r.best) {
    fmt::print("{}\n{}\n", counts, source);
    eprint("wattserve plan: no plan: {}\n", r.reason);
    return 1;
  }
  const adapt::Plan& b = *r.best;
  fmt::print("\n{}\n", plan_table(b));
  fmt::print(
      "total: {}/request (the machine's idle power {:.1f} W shared over {:g} requests/s "
      "included), mean latency {}, p99 {} (SLO {}), quality {}\n",
      format_joules(b.joules_per_request), b.idle_w, spec.rate_per_s,
      format_seconds(b.latency_mean_s), format_seconds(b.latency_p99_s),
      format_seconds(spec.slo_p99_s), quality_text(b.quality));
  if (r.runner_up) {
    const adapt::Plan& u = *r.runner_up;
    fmt::print("runner-up: {}/request ({:+.1f} %), p99 {}: {}\n",
               format_joules(u.joules_per_request),
               100 * (u.joules_per_request / b.joules_per_request - 1),
               format_seconds(u.latency_p99_s), choices(u));
  } else {
    fmt::print("runner-up: none (no other combination meets the SLO)\n");
  }
  fmt::print("{}\n{}\n", counts, source);
  return 0;
}

std::string fit_text(const adapt::FitQuality& f) {
  const std::string r2 = std::isfinite(f.r2) ? fmt::format("{:.3f}", f.r2) : "n/a";
  const std::string mape =
      std::isfinite(f.holdout_mape) ? fmt::format("{:.1f} %", 100 * f.holdout_mape) : "n/a";
  return fmt::format("{} / {}", r2, mape);
}

int run_profile(PlanFlags& f) {
  try {
    energy::check_output_path(f.out);
  } catch (const std::exception& e) {
    eprint("wattserve plan profile: {}\n", e.what());
    return 2;
  }
  adapt::Profiles p;
  try {
    adapt::ProfileFitOptions o;
    o.holdout_every = f.holdout_every;
    p = adapt::fit_profiles(f.dirs, o);
  } catch (const std::invalid_argument& e) {
    eprint("wattserve plan profile: {}\n", e.what());
    return 2;
  }
  energy::write_file_atomic(f.out, adapt::profiles_to_json(p));
  std::vector<std::vector<std::string>> rows = {
      {"variant", "kind", "step R2 / MAPE", "prefill R2 / MAPE", "power R2 / MAPE", "quality"}};
  for (const auto& v : p.variants) {
    rows.push_back({v.id, v.kind, fit_text(v.step.fit),
                    v.kind == "text" ? fit_text(v.prefill.fit) : "-", fit_text(v.power.fit),
                    quality_text(v.quality)});
  }
  fmt::print("{}", table(rows, 2));
  fmt::print(
      "R2 on the fitting runs / mean absolute percentage error on the held-out runs (1 run in "
      "{}); energy source '{}': {}\nwrote {} ({} variants)\n",
      f.holdout_every, p.energy_source, energy_source_text(p.energy_source), f.out,
      p.variants.size());
  return 0;
}

}  // namespace

Command add_plan(CLI::App& app) {
  auto f = std::make_shared<PlanFlags>();
  auto* sub = app.add_subcommand(
      "plan",
      "Plan a pipeline of model stages (text generation, classifiers, OCR detection then "
      "recognition): per stage the variant, batch size, replicas and cores that meet a p99 "
      "latency SLO at a Poisson arrival rate with the least energy per request, from profiles "
      "fitted by `wattserve plan profile`. Queueing model: each replica is an M/D/c queue (c = "
      "batch slots for text, one batch at a time for tensor stages) whose wait is half the "
      "M/M/c wait (Erlang C), service times and power from the profiles' linear models; the "
      "choice is an integer program solved by GLPK. Prints the plan, the runner-up, the number "
      "of candidates and GLPK's time. Formulas: docs/adapt.md, \"Planner\".");
  sub->add_option("--profiles", f->profiles,
                  "Profiles JSON written by `wattserve plan profile` (required)")
      ->check(non_blank());
  sub->add_option("--pipeline", f->pipeline,
                  "Pipeline TOML (examples/pipelines/); without it, one text-generation stage "
                  "over every text variant in the profiles, 32 prompt and 32 output tokens")
      ->check(non_blank());
  f->slo_opt = sub->add_option("--slo", f->slo,
                               "End-to-end p99 latency SLO in seconds (the sum of the stages' "
                               "p99); overrides the pipeline's slo_p99_s")
                   ->capture_default_str()
                   ->check(CLI::Range(1e-6, 86400.0));
  f->rate_opt = sub->add_option("--rate", f->rate,
                                "Arrival rate, requests per second (Poisson); overrides the "
                                "pipeline's rate_per_s")
                    ->capture_default_str()
                    ->check(CLI::Range(1e-9, 1e9));
  f->weight_opt = sub->add_option("--accuracy-weight", f->accuracy_weight,
                                  "Joules per unit of quality: minimise energy - weight x "
                                  "quality (0: energy only); overrides accuracy_weight")
                      ->capture_default_str()
                      ->check(CLI::Range(0.0, 1e12));
  f->cores_opt = sub->add_option("--cores", f->cores,
                                 "Cores to place replicas on (default: the pipeline's, else the "
                                 "profiled machine's)")
                     ->check(CLI::Range(1, 1 << 20));
  f->gpus_opt = sub->add_option("--gpus", f->gpus,
                                "GPUs to place cuda variants on, one per replica (default: the "
                                "pipeline's, else 0)")
                    ->check(CLI::Range(0, 1 << 20));
  sub->add_flag("--json", f->json, "Print the result as JSON (NaN as null) instead of tables");
  sub->footer(
      "Exit codes: 0 a plan (or profiles written); 1 no plan meets the SLO (the least p99 "
      "achievable is said); 2 bad arguments, profiles or pipeline files; 125 failure.");
  sub->require_subcommand(0, 1);

  f->profile = sub->add_subcommand(
      "profile",
      "Fit profiles from bench datasets: per variant (model, quant, engine, provider, threads, "
      "parallel slots) a decode step's time against the sequences in the step, prefill time "
      "against prompt tokens, power against load, and quality; each model fitted by least "
      "squares and checked on held-out runs. Prints each model's R2 and held-out error and "
      "writes the profiles JSON (schemas/profiles.schema.json).");
  f->profile->add_option("dirs", f->dirs, "Dataset folders written by `wattserve bench --out`")
      ->required()
      ->check(non_blank());
  f->profile->add_option("--out,-o", f->out, "Profiles JSON to write (replaced atomically)")
      ->required()
      ->check(non_blank());
  f->profile
      ->add_option("--holdout-every", f->holdout_every,
                   "Hold out every n-th run (by run id) to measure each model's error")
      ->capture_default_str()
      ->check(CLI::Range(2, 1000));
  f->profile->footer("Exit codes: 0 profiles written; 2 bad arguments or datasets; 125 failure.");
  return {sub, [f] { return f->profile->parsed() ? run_profile(*f) : run_plan(*f); }};
}

}  // namespace wattserve::cli
