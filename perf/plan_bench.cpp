// The planner's solve time on a pipeline of the size: 3 stages x 10 variants x 8 batch
// sizes x 8 replica counts (1,920 candidates) with synthetic but plausible profiles (a
// classifier, OCR-like recognition, text generation on a 48-core machine). Prints the median
// over N runs of the whole plan() (queueing model for every candidate, dominance pruning, both
// integer programs) and of GLPK's part. Goal (issue 13): under 100 ms.
// Run: build/perf/plan_bench [N]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "adapt/planner.h"

namespace {

using namespace wattserve::adapt;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Ten variants of a stage: sizes x engines x threads, each bigger size slower, hungrier
// and more accurate; more threads faster per step at more power.
void add_variants(Profiles& p, const std::string& family, const std::string& kind,
                  double step_base_s, double step_per_seq_s, double prefill_per_token_s) {
  const char* sizes[] = {"tiny", "small", "base"};
  const char* engines[] = {"llama", "onnx", "torch"};
  struct Pick {
    int size, engine, threads;
  };
  const Pick picks[10] = {{0, 0, 1}, {0, 1, 1}, {0, 2, 2}, {1, 0, 1}, {1, 0, 2},
                          {1, 1, 2}, {1, 2, 4}, {2, 0, 2}, {2, 1, 4}, {2, 2, 4}};
  for (const Pick& k : picks) {
    const int size = k.size, engine = k.engine, threads = k.threads;
    VariantProfile v;
    v.family = family;
    v.model = family + "-" + sizes[size];
    v.size = sizes[size];
    v.engine = engines[engine];
    v.provider = "cpu";
    v.kind = kind;
    v.threads = threads;
    v.parallel = 8;
    v.id = v.model + "/f32/" + v.engine + "/cpu/t" + std::to_string(threads);
    const double scale = std::pow(2.2, size) * (1 + 0.15 * engine) / std::pow(threads, 0.7);
    v.step.base_s = step_base_s * scale;
    v.step.per_sequence_s = step_per_seq_s * scale;
    v.prefill.base_s = 0.01 * scale;
    v.prefill.per_token_s = prefill_per_token_s * scale;
    v.power.idle_w = 60;
    v.power.busy_w = 9 * threads * (1 + 0.1 * engine);
    v.power.per_sequence_w = 0.4 * threads;
    v.power.source = "estimate";
    v.quality = 0.7 + 0.08 * size + 0.01 * engine;
    v.quality_metric = "accuracy";
    p.variants.push_back(v);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 51;
  Profiles profiles;
  profiles.cores = 48;
  profiles.energy_source = "estimate";
  add_variants(profiles, "cnn", "tensor", 0.002, 0.0008, 0);
  add_variants(profiles, "rec", "tensor", 0.003, 0.0015, 0);
  add_variants(profiles, "gen", "text", 0.012, 0.0015, 0.0004);

  PipelineSpec spec;
  spec.name = "bench";
  spec.rate_per_s = 8;
  spec.slo_p99_s = 2.5;
  spec.accuracy_weight = 1;
  StageSpec cls;
  cls.name = "classify";
  cls.kind = "tensor";
  cls.variants = {"cnn"};
  cls.batch_sizes = {1, 2, 4, 8, 16, 32, 64, 128};
  cls.max_replicas = 8;
  cls.workload.items_per_request = 1;
  StageSpec rec = cls;
  rec.name = "recognise";
  rec.variants = {"rec"};
  rec.workload.items_per_request = 8;
  StageSpec gen;
  gen.name = "generate";
  gen.kind = "text";
  gen.variants = {"gen"};
  gen.batch_sizes = {1, 2, 3, 4, 6, 8, 12, 16};
  gen.max_replicas = 8;
  gen.workload.input_tokens = 64;
  gen.workload.output_tokens = 32;
  gen.workload.output_tokens_p99 = 96;
  spec.stages = {cls, rec, gen};

  std::vector<double> total_ms, glpk_ms;
  PlanResult r;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    r = plan(profiles, spec);
    total_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    glpk_ms.push_back(r.solve_ms);
  }
  std::printf("plan_bench: %zu stages, %d candidates scored, %d dominated dropped, %d binaries\n",
              spec.stages.size(), r.evaluated, r.dominated, r.candidates);
  if (r.best) {
    std::printf("best: %.3f J/request, p99 %.3f s (SLO %.3f s); runner-up: %s\n",
                r.best->joules_per_request, r.best->latency_p99_s, spec.slo_p99_s,
                r.runner_up ? "yes" : "none");
  } else {
    std::printf("no plan: %s\n", r.reason.c_str());
  }
  std::printf("median of %d: plan() %.2f ms (GLPK, both solves: %.2f ms); goal < 100 ms\n", runs,
              median(total_ms), median(glpk_ms));
  return r.best ? 0 : 1;
}
