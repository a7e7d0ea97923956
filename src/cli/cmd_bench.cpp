// `wattserve bench STUDY.toml [--out DIR]`: runs a designed energy study and leaves a dataset;
// `bench merge DIR... --out DIR` combines shards; `bench status DIR` says what is done.
// The work is in src/bench/; this file only binds flags. Exit codes: 0 done, 2 bad arguments
// or study, 1 runs failed (or the sweep stopped at --max-failures), 125 wattserve failed.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "adapt/carbon_defer.h"
#include "bench/dataset.h"
#include "bench/design.h"
#include "bench/progress.h"
#include "bench/served_runner.h"
#include "bench/study.h"
#include "bench/sweep.h"
#include "cli/carbon_options.h"
#include "cli/commands.h"
#include "cli/sensor_options.h"
#include "cli/text_output.h"
#include "energy/sensors/meter_setup.h"

namespace wattserve::cli {

namespace {

struct BenchFlags {
  std::string study, out, shard;
  std::vector<std::string> sets;
  bool dry_run = false, json = false, quiet = false, retry_failed = false;
  int max_failures = 10;
  SensorFlags sensors;
  CarbonFlags carbon;
  std::string deadline;  // with --carbon-intensity CSV
  // merge
  std::vector<std::string> merge_dirs;
  std::string merge_out;
  // status
  std::string status_dir, status_shard;
  bool status_json = false;
};

const char* env(const char* name) {
  return std::getenv(name);
}

std::string default_out(const bench::Study& s) {
  return (std::filesystem::path("results") / s.study.name).string();
}

// The carbon plan a run would make now (dataset folder read, nothing written): stdout with the
// design, stderr when stdout is JSON.
void print_carbon_plan(const BenchFlags& f, const bench::Study& study,
                       const std::vector<bench::PlannedRun>& runs,
                       const std::vector<adapt::IntensityPoint>& series) {
  const auto out = f.out.empty() ? default_out(study) : f.out;
  std::vector<bench::PlanEntry> planned;
  for (const auto& r : runs) planned.push_back({r.run_id, r.config, r.warmup});
  const auto st = bench::status(out, planned, bench::study_hash(study));
  const auto plan =
      adapt::plan_study_deferral(series, f.carbon.intensity_series, f.deadline, study,
                                 st.runs.remaining + (f.retry_failed ? st.runs.failed : 0), out,
                                 energy::system_clock()->wall_ns() / 1000000000LL);
  if (f.json) {
    eprint("wattserve bench: carbon: {}\n", plan.text());
  } else {
    fmt::print("# carbon: {}\n", plan.text());
  }
}

int run_dry(const BenchFlags& f, const bench::Study& study,
            const std::vector<bench::PlannedRun>& runs) {
  if (f.json) {
    fmt::print("{}\n", bench::dry_run_json(runs).dump(2));
    return 0;
  }
  std::size_t warmups = 0;
  for (const auto& r : runs) warmups += r.warmup ? 1 : 0;
  fmt::print(
      "# study {} ({}), hash {}\n# {} design, {} runs ({} measured, {} warm-up) in {} order\n",
      study.study.name, study.path, bench::study_hash(study), bench::to_string(study.design.kind),
      runs.size(), runs.size() - warmups, warmups, bench::to_string(study.protocol.order));
  for (const auto& r : runs) {
    fmt::print("{:>5}  {}  {:<10} {}\n", r.order + 1, r.run_id,
               r.warmup ? "warm-up" : fmt::format("repeat {}", r.repeat + 1),
               bench::config_text(study, r.config));
  }
  return 0;
}

int run_bench(BenchFlags& f) {
  bench::Study study;
  std::optional<bench::Shard> shard;
  energy::CarbonIntensity carbon;
  std::vector<adapt::IntensityPoint> series;  // --carbon-intensity CSV: defer the start
  try {
    study = bench::load_study(f.study, f.sets);
    bench::check_runnable(study);
    bench::check_served(study);
    if (f.shard.find('/') != std::string::npos) {
      shard = bench::parse_shard(f.shard);
    } else if (!f.shard.empty()) {  // --shard N: the count; the index from the environment
      int count = 0;
      try {
        count = std::stoi(f.shard);
      } catch (const std::exception&) {
        throw std::invalid_argument(
            fmt::format("--shard {}: give I/N, or N with the index in "
                        "the environment",
                        f.shard));
      }
      shard = bench::shard_from_env(env, count);
      if (!shard) {
        throw std::invalid_argument(
            fmt::format("--shard {}: no array index in the environment (SLURM_ARRAY_TASK_ID or "
                        "JOB_COMPLETION_INDEX)",
                        f.shard));
      }
    } else {
      shard = bench::shard_from_env(env);
    }
    carbon = energy::resolve_carbon(f.carbon.settings());
    if (!f.carbon.intensity_series.empty()) {
      if (f.deadline.empty()) {
        throw std::invalid_argument(
            "--carbon-intensity CSV defers the study: give --deadline (when it must end, e.g. "
            "12h)");
      }
      if (!f.carbon.country.empty() || !f.carbon.cloud.empty()) {
        throw std::invalid_argument(
            "--carbon-intensity CSV prices the runs from the series: leave out --country/--cloud");
      }
      (void)adapt::parse_deadline_s(f.deadline, 0);
      series = adapt::read_intensity_csv(f.carbon.intensity_series);
    } else if (!f.deadline.empty()) {
      throw std::invalid_argument(
          "--deadline goes with --carbon-intensity CSV (an intensity series)");
    }
  } catch (const std::exception& e) {
    eprint("wattserve bench: {}\n", e.what());
    return 2;
  }
  if (f.json && !f.dry_run) {
    eprint("wattserve bench: --json goes with --dry-run (a run writes its records to --out)\n");
    return 2;
  }
  auto runs = bench::plan_study(study).runs;
  if (shard) runs = bench::select_shard(runs, *shard);
  if (f.dry_run) {
    const int rc = run_dry(f, study, runs);
    if (rc != 0 || series.empty()) return rc;
    try {
      print_carbon_plan(f, study, runs, series);
    } catch (const std::exception& e) {
      eprint("wattserve bench: {}\n", e.what());
      return 2;
    }
    return 0;
  }

  energy::MeterSpec ms = f.sensors.meter;
  ms.interval_ms = study.meter.interval_ms;
  if (ms.sensors.empty()) ms.sensors = study.meter.sensors;
  std::unique_ptr<energy::Meter> meter;
  try {
    meter = energy::make_meter(ms);
  } catch (const std::exception& e) {
    eprint("wattserve bench: sensors: {}\n", e.what());
    return kOwnFailure;
  }
  bench::SweepOptions o;
  o.out = f.out.empty() ? default_out(study) : f.out;
  o.shard = shard;
  o.max_failures = f.max_failures;
  o.retry_failed = f.retry_failed;
  o.carbon = carbon;
  o.pue = f.carbon.pue;
  o.procfs_root = ms.sel.procfs_root;
  o.sysfs_root = ms.sel.sysfs_root;
  bench::Progress progress(stderr, !f.quiet && isatty(STDERR_FILENO) == 1, f.quiet);
  progress.note(fmt::format(
      "study {} -> {}{}; energy source: {}", study.study.name, o.out,
      shard ? fmt::format(" (shard {})", bench::to_string(*shard)) : "",
      meter->domains().empty() ? "none" : "see each run (estimate where no sensor exists)"));
  bool deferred = false;
  if (!series.empty()) {
    o.before_runs = [&](std::size_t n, energy::CarbonIntensity& c) {
      const auto plan = adapt::defer_study(series, f.carbon.intensity_series, f.deadline, study, n,
                                           o.out, *meter->options().clock, progress);
      c = plan.run_intensity();
      deferred = true;
    };
  }
  meter->start();
  bench::SweepResult r;
  try {
    r = bench::run_sweep(study, o, *meter, progress);
  } catch (const std::invalid_argument& e) {
    meter->stop();
    eprint("wattserve bench: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    meter->stop();
    eprint("wattserve bench: {}\n", e.what());
    return kOwnFailure;
  }
  meter->stop();
  if (deferred) {
    try {
      adapt::record_outcome(o.out, r.joules, o.pue);
    } catch (const std::exception& e) {
      progress.note(fmt::format("carbon.json: {}", e.what()));
    }
  }
  progress.note(fmt::format(
      "{} runs: {} ok, {} failed, {} already done{}{} -> {}", r.selected, r.ok, r.failed, r.skipped,
      r.failed_before > 0 ? fmt::format(" ({} of them failed)", r.failed_before) : "",
      r.stopped ? " (stopped early)" : "", o.out));
  // 0 only when every run of the selection is in the dataset and ended well.
  return r.failed > 0 || r.failed_before > 0 || r.stopped ? 1 : 0;
}

int run_merge(const BenchFlags& f) {
  try {
    const auto m = bench::merge(f.merge_dirs, f.merge_out);
    for (const auto& w : m.warnings) eprint("wattserve bench merge: {}\n", w);
    eprint("wattserve bench merge: {}\n", m.text());
  } catch (const std::exception& e) {
    eprint("wattserve bench merge: {}\n", e.what());
    return 2;
  }
  return 0;
}

int run_status(const BenchFlags& f) {
  try {
    const auto study_file = (std::filesystem::path(f.status_dir) / "study.toml").string();
    if (!std::filesystem::exists(study_file)) {
      throw std::invalid_argument(
          fmt::format("{} is not a bench dataset (no study.toml in it)", f.status_dir));
    }
    const auto study = bench::load_study(study_file);
    auto runs = bench::plan_study(study).runs;
    if (!f.status_shard.empty())
      runs = bench::select_shard(runs, bench::parse_shard(f.status_shard));
    std::vector<bench::PlanEntry> planned;
    for (const auto& r : runs) planned.push_back({r.run_id, r.config, r.warmup});
    const auto s = bench::status(f.status_dir, planned, bench::study_hash(study));
    if (f.status_json) {
      fmt::print("{}\n", s.to_json().dump(2));
    } else {
      fmt::print("{}", s.text());
    }
  } catch (const std::exception& e) {
    eprint("wattserve bench status: {}\n", e.what());
    return 2;
  }
  return 0;
}

}  // namespace

Command add_bench(CLI::App& app) {
  auto f = std::make_shared<BenchFlags>();
  auto* sub = app.add_subcommand(
      "bench",
      "Run a designed energy study (engines x providers x models x generation parameters, "
      "repeated, in random order) and write its dataset.\n"
      "  wattserve bench examples/studies/smoke.toml --out results/smoke\n"
      "  wattserve bench examples/studies/sampling-lhs.toml --dry-run --json\n"
      "  wattserve bench merge results/shard-* --out results/merged\n"
      "  wattserve bench status results/smoke\n"
      "  wattserve bench study.toml --carbon-intensity forecast.csv --deadline 12h\n"
      "Rerunning the same command resumes: runs whose record exists are skipped. Study format, "
      "metrics and dataset layout: docs/bench.md. Exit codes: 0 done, 1 some runs failed, 2 bad "
      "arguments or study, 125 wattserve failed.");
  sub->add_option("study", f->study, "The study file (TOML; docs/bench.md)");
  sub->add_option("-o,--out", f->out, "Dataset folder (default: results/<study name>)");
  sub->add_option("--set", f->sets,
                  "Override a study key by its dot path, e.g. --set design.seed=7 --set "
                  "factors.engine='[\"llama\"]' (repeatable; the value is a TOML value)");
  sub->add_flag("--dry-run", f->dry_run,
                "Print the resolved design in run order and exit without running anything");
  sub->add_flag("--json", f->json, "With --dry-run: a JSON array of {run_id, repeat, config}");
  sub->add_option("--shard", f->shard,
                  "Run shard I of N (I/N, 0-based), a deterministic split of the design by "
                  "configuration; N alone takes I from the environment. Default: from "
                  "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX with "
                  "WATTSERVE_SHARD_COUNT");
  sub->add_option("--max-failures", f->max_failures,
                  "Stop after more than this many failed runs (-1: never stop)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 1 << 30));
  sub->add_flag("--retry-failed", f->retry_failed, "Also rerun runs recorded as failed");
  sub->add_flag("-q,--quiet", f->quiet, "No progress output");
  add_carbon_flags(sub, f->carbon, /*series=*/true);
  sub->add_option("--deadline", f->deadline,
                  "With --carbon-intensity CSV: when the study must end, a duration from now "
                  "(12h, 90m, 3600s) or a time (RFC 3339); it starts at the cleanest time that "
                  "ends by then (docs/adapt.md \"Carbon-aware scheduling\")")
      ->check(non_blank())
      ->group("Carbon");
  add_sensor_flags(sub, f->sensors);

  auto* merge = sub->add_subcommand("merge", "Combine the datasets of shards of one study");
  merge->add_option("dirs", f->merge_dirs, "Shard dataset folders")
      ->required()
      ->check(CLI::ExistingDirectory);
  merge->add_option("-o,--out", f->merge_out, "The merged dataset folder")->required();
  auto* status = sub->add_subcommand("status", "Done, failed and remaining runs of a dataset");
  status->add_option("dir", f->status_dir, "The dataset folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  status->add_flag("--json", f->status_json, "Print JSON");
  status->add_option("--shard", f->status_shard,
                     "The folder holds shard I/N: count only that shard's runs as planned");
  sub->require_subcommand(0, 1);

  return {sub, [f, merge, status, sub] {
            if (merge->parsed()) return run_merge(*f);
            if (status->parsed()) return run_status(*f);
            if (f->study.empty()) {
              eprint("wattserve bench: give a study file (see wattserve bench --help)\n");
              return 2;
            }
            return run_bench(*f);
          }};
}

}  // namespace wattserve::cli
