// One measured run of a bench study against a server (target.kind serve, external or url):
// starts the server for the run (serve: `wattserve serve` with the run's model specification
// and serve options; external: target.command), waits until it is ready, sends warm-up
// requests, then the run's load (closed loop, open-loop arrivals or a trace) from the load
// generator, and stops the server. The run sits in one meter window; the server's process tree
// is measured by process attribution (serve, external); each request gets its share of the
// meter's energy by the rule of load_metrics.h, and wattserve's own per-request energy where the
// responses carry it. For serve, /metrics is scraped before and after the load.
// docs/bench-serving.md.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "bench/runner.h"
#include "bench/study.h"
#include "energy/core/meter.h"
#include "energy/core/process_attribution.h"

namespace wattserve::bench {

class ServedRunner {
 public:
  explicit ServedRunner(energy::Meter& meter);
  ~ServedRunner();
  ServedRunner(const ServedRunner&) = delete;
  ServedRunner& operator=(const ServedRunner&) = delete;

  // Throws std::invalid_argument for what the study must fix (no trace file, a bad command),
  // std::runtime_error when the server cannot be started or gets no ready, RunFailed when the
  // run was measured but no request ended well or the server died during it.
  RunMeasurement run(const RunPlan& plan);

 private:
  struct Tokenizer;
  const engine::TextModel* tokenizer(const model::ModelSpec& spec, std::string& note);

  energy::Meter& meter_;
  // The process tree being measured (set for the run; the meter's listener forwards to it).
  struct Slot;
  std::shared_ptr<Slot> slot_;
  std::map<std::string, std::unique_ptr<Tokenizer>> tokenizers_;
};

// Checks, before any run, what the served configurations of a study need: the serving fields'
// cross-checks (load::validate) and, for trace replay, that the trace reads and its window
// holds requests. Throws std::invalid_argument ("FILE:LINE: ..." for a bad trace row).
void check_served(const Study& study);

// The external command with its placeholders replaced and split on whitespace into argv.
// Throws std::invalid_argument for an unknown placeholder or an empty command.
std::vector<std::string> expand_command(const std::string& command,
                                        const std::map<std::string, std::string>& values);

// The llama-server binary {llama_server} stands for: $WATTSERVE_LLAMA_SERVER, else
// $WATTSERVE_DEPS (default /opt/wattserve-deps)/llama.cpp/bench-build/bin/llama-server, which
// scripts/setup.sh builds.
std::string llama_server_path();

}  // namespace wattserve::bench
