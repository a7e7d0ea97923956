// A bench sweep: the study's runs (or one shard of them) in run order, each measured by the
// Runner and stored in the dataset as soon as it ends, with the protocol around them: an idle
// baseline at the start and every idle_every_min minutes, a cool-down between runs, warm-up
// runs recorded and flagged. Runs whose record exists are skipped, so rerunning the same command
// resumes; a run that fails is recorded as failed and the sweep goes on until max_failures.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench/design.h"
#include "bench/progress.h"
#include "bench/study.h"
#include "energy/core/carbon.h"
#include "energy/core/meter.h"

namespace wattserve::bench {

struct SweepOptions {
  std::string out;                 // the dataset folder
  std::optional<Shard> shard;      // run only this shard of the design
  int max_failures = 10;           // stop after more failed runs than this (-1: never)
  bool retry_failed = false;       // rerun runs recorded as failed
  energy::CarbonIntensity carbon;  // for emissions
  double pue = 1;
  std::string procfs_root = "/proc", sysfs_root = "/sys";  // machine facts
  // Called once the dataset is open (and locked) and the runs to do are known, before the first
  // of them (not when none is left), with their number and the intensity the runs' emissions
  // will use, which it may replace: e.g. to defer the start to cleaner power and price the runs
  // at that window's intensity (adapt/carbon_defer.h). What it throws leaves run_sweep.
  std::function<void(std::size_t runs_to_do, energy::CarbonIntensity& carbon)> before_runs;
};

struct SweepResult {
  std::size_t planned = 0;   // runs in the design (all shards, warm-ups included)
  std::size_t selected = 0;  // runs of this shard
  std::size_t skipped = 0;   // already in the dataset
  std::size_t ok = 0, failed = 0;
  std::size_t failed_before = 0;  // skipped runs whose record says they failed
  bool stopped = false;           // max_failures reached
  double joules = 0;              // energy of the runs measured by this call (warm-ups, failed)
};

SweepResult run_sweep(const Study& study, const SweepOptions& options, energy::Meter& meter,
                      Progress& progress);

// "engine=llama model=pycode-tiny" (the configuration's factors, in factor order).
std::string config_text(const Study& study, const nlohmann::json& config);

}  // namespace wattserve::bench
