// One measured run of a bench study on the in-process target: a model loaded on its engine and
// provider behind serve's own workers (TextWorker, TensorWorker), fed a workload in a closed
// loop (`parallel` requests in flight for text, one batch at a time for tensors) until the
// request count and the minimum duration are both reached. The whole run sits in one meter
// window (weight 0, so it takes no share from the requests); every request has its own window,
// attributed by serve's rule, so a request's joules here are what `serve` would report.
// Formulas of every metric: docs/bench.md "What a run measures".
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/dataset.h"
#include "bench/load/serving_spec.h"
#include "bench/stats.h"
#include "bench/workload.h"
#include "energy/core/carbon.h"
#include "energy/core/meter.h"
#include "model/model_spec.h"

namespace wattserve::bench {

// What one run does.
struct RunPlan {
  model::ModelSpec spec;
  engine::SamplingParams sampling;
  WorkloadSpec workload;
  std::string base_dir;  // user workload paths resolve against it (the study file's folder)
  // The target and its load: target.kind "engine" runs in-process (this class); the others go
  // to a server (ServedRunner, served_runner.h).
  load::ServingSpec serving;
  std::string log_path;  // served targets: the server's output goes here ("" -> discarded)
};

// What one run measured (the runner's part of the record).
struct RunMeasurement {
  energy::WindowReport energy;  // the run's window
  nlohmann::json model;         // the resolved model: file, engine, format, versions...
  nlohmann::json workload;      // the workload as used: name, kind, items
  nlohmann::json timings;       // latency statistics
  nlohmann::json metrics;       // throughput, energy per unit, quality
  CsvTable requests;            // one row per request
  CsvTable timeline;            // the meter's samples inside the window
  double load_s = 0;            // model loading (0 when it came from the cache)
  nlohmann::json serving;       // served targets: target, load, pacing, windows, server figures
  std::size_t failed_requests = 0;
};

// A run that was measured but in which no request ended well: its energy still counts.
struct RunFailed : std::runtime_error {
  RunFailed(const std::string& what, energy::WindowReport e)
      : std::runtime_error(what), energy(std::move(e)) {}
  energy::WindowReport energy;
};

// Keeps models loaded between runs of the same specification (the run order is shuffled, so a
// model comes back often): at most kMaxLoaded, the least recently used unloaded first.
class Runner {
 public:
  Runner(energy::Meter& meter, energy::CarbonIntensity carbon, double pue);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Runs one plan. Throws what loading or the workload throws (std::invalid_argument for what
  // the user can fix, engine::EngineError, std::runtime_error); a run whose requests all fail
  // throws RunFailed with the first request's error and the energy the run used. An error
  // while scoring quality leaves the run measured, with metrics.quality_error.
  RunMeasurement run(const RunPlan& plan);

  // Whether the model of `spec` is loaded now (run() would not load it).
  bool loaded(const model::ModelSpec& spec) const;

  // The engine versions seen so far (engine name -> version).
  const std::map<std::string, std::string>& engine_versions() const { return versions_; }

 private:
  struct Target;
  static std::string key(const model::ModelSpec& spec);
  Target& target(const model::ModelSpec& spec, double& load_s);
  const Workload& workload(const RunPlan& plan, Target& t);
  RunMeasurement run_in_process(const RunPlan& plan);

  energy::Meter& meter_;
  energy::CarbonIntensity carbon_;
  double pue_;
  static constexpr std::size_t kMaxLoaded = 8;
  std::map<std::string, std::unique_ptr<Target>> targets_;  // by the spec's JSON (no batch)
  std::uint64_t uses_ = 0;
  std::map<std::string, std::string> versions_;
  std::unique_ptr<class ServedRunner> served_;  // created by the first served run
};

// The meter's samples of a run as a table: t_s (from begin_ns), wall_ns, then per domain its
// cumulative joules and the power over the interval before the sample.
CsvTable timeline_table(const std::vector<energy::Sample>& samples,
                        const std::vector<energy::Domain>& domains, int64_t begin_ns);

}  // namespace wattserve::bench
