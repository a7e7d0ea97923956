// The planner behind `wattserve plan` (docs/adapt.md "Planner"), after IPA: for a pipeline of
// stages (text generation, a classifier, OCR detection then recognition...), choose per stage a
// model variant, a batch size (continuous-batching slots for text), a replica count and the
// cores (or GPUs) each replica gets, so that the end-to-end latency SLO holds at the given
// arrival rate with the least energy per request (optionally trading accuracy, IPA's weight).
// Each stage's candidates are evaluated by the queueing model (planner_queueing.h); the choice
// among them is an integer program (one binary per candidate, one candidate per stage, the
// machine's cores and GPUs, the summed p99 latency within the SLO) solved by GLPK's
// branch-and-cut. The runner-up is the optimum once the best plan is cut off.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "adapt/profile.h"

namespace wattserve::adapt {

// The work one request brings to a stage.
struct StageWorkload {
  double input_tokens = 32;      // mean prompt tokens (text); ignored by tensor stages
  double output_tokens = 32;     // mean output tokens (text); tensor stages: 0
  double output_tokens_p99 = 0;  // 99th percentile of output tokens; 0 = output_tokens
  double items_per_request = 1;  // tensor stages: items (e.g. text boxes) per request
};

struct StageSpec {
  std::string name;
  // Candidate variants: profile ids, or a family / model name that selects every variant of it
  // (e.g. "pycode" -> all pycode-* variants). Empty: every variant of the stage's kind.
  std::vector<std::string> variants;
  std::string kind = "text";     // "text" or "tensor"; must match the variants'
  std::vector<int> batch_sizes;  // empty: 1, 2, 4, 8
  int max_replicas = 4;
  double min_quality = 0;  // variants below it are not candidates
  StageWorkload workload;
};

struct PipelineSpec {
  std::string name;
  std::vector<StageSpec> stages;
  double slo_p99_s = 1.0;        // end-to-end p99 latency bound (seconds)
  double rate_per_s = 1.0;       // arrival rate of requests (Poisson)
  double accuracy_weight = 0;    // J per unit of quality: objective = E - w * sum(quality)
  int cores = 0;                 // cores to place replicas on; 0 = the profiles' machine cores
  int gpus = 0;                  // GPUs to place replicas on (cuda variants need one each)
  double max_utilisation = 0.9;  // a replica's load must stay below this
};

// Reads a pipeline TOML (examples/pipelines/*.toml, docs/adapt.md "Pipelines");
// std::invalid_argument "PATH: ..." naming the bad key.
PipelineSpec load_pipeline(const std::string& path);

// One stage's choice and what the model predicts for it.
struct StageChoice {
  std::string stage;
  std::string variant;  // profile id
  int batch = 1;        // slots (text) or batch size (tensor)
  int replicas = 1;
  int cores_per_replica = 1;  // the variant's threads
  int gpus_per_replica = 0;
  double utilisation = 0;  // load / capacity of each replica
  double joules_per_request = 0;
  double latency_mean_s = 0;
  double latency_p99_s = 0;
  double quality = 0;  // NaN unknown
};

struct Plan {
  std::vector<StageChoice> stages;
  double joules_per_request = 0;  // sum over stages, including the machine's idle power share
  double latency_mean_s = 0;      // sum over stages
  double latency_p99_s = 0;       // sum of the stages' p99 (an upper bound of the pipeline's)
  double quality = 0;             // product over stages of known qualities (NaN: none known)
  double idle_w = 0;              // the machine's idle power: max over the chosen variants
  double objective = 0;           // joules_per_request - accuracy_weight * sum(quality)
};

struct PlanResult {
  std::optional<Plan> best;  // empty: no plan meets the SLO (reason says why)
  std::optional<Plan> runner_up;
  std::string reason;
  int candidates = 0;   // binaries in the integer program
  double solve_ms = 0;  // GLPK's time for both solves
  int evaluated = 0;    // candidates the queueing model scored (before any filter)
  int dominated = 0;    // dropped as dominated within their stage (or duplicates)
  int cores = 0;        // the cores and GPUs the plan was made for
  int gpus = 0;
  double least_p99_s = 0;  // without a plan: the least p99 achievable (NaN: none fits)
};

// Throws std::invalid_argument for a spec that names no usable variant or has bad numbers.
PlanResult plan(const Profiles& profiles, const PipelineSpec& spec);

// The result as JSON (`wattserve plan --json`): the plans, their stages, the counts; NaN as null.
std::string plan_result_to_json(const PlanResult& result, const PipelineSpec& spec);

}  // namespace wattserve::adapt
