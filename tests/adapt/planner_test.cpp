// The planner: its queueing formulas by hand, GLPK's choice against brute-force enumeration
// of every combination, and the behaviour that matters (the SLO binds, cores are shared, the
// accuracy weight's threshold, the runner-up, infeasibility), and pipeline TOML errors.
#include "adapt/planner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "adapt/planner_queueing.h"

namespace wattserve::adapt {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

VariantProfile text_variant(const std::string& id, double step_base_s, double step_per_seq_s,
                            double busy_w, double per_seq_w, double quality, int threads = 1) {
  VariantProfile v;
  v.id = id;
  v.model = id;
  v.family = "fam";
  v.engine = "llama";
  v.provider = "cpu";
  v.kind = "text";
  v.threads = threads;
  v.parallel = 8;
  v.step.base_s = step_base_s;
  v.step.per_sequence_s = step_per_seq_s;
  v.prefill.base_s = 0.02;
  v.prefill.per_token_s = 0.0005;
  v.power.idle_w = 10;
  v.power.busy_w = busy_w;
  v.power.per_sequence_w = per_seq_w;
  v.power.source = "estimate";
  v.quality = quality;
  return v;
}

StageSpec text_stage(const std::string& name, std::vector<std::string> variants,
                     std::vector<int> batches, int max_replicas) {
  StageSpec s;
  s.name = name;
  s.kind = "text";
  s.variants = std::move(variants);
  s.batch_sizes = std::move(batches);
  s.max_replicas = max_replicas;
  s.workload.input_tokens = 16;
  s.workload.output_tokens = 10;
  s.workload.output_tokens_p99 = 20;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Queueing formulas.

TEST(PlannerQueueing, ErlangCMatchesHandComputedValues) {
  // C(c, a) = (a^c / c!) (c / (c - a)) / (sum_{k<c} a^k / k! + (a^c / c!) (c / (c - a)))
  EXPECT_NEAR(erlang_c(1, 0.5), 0.5, 1e-12);      // M/M/1: rho
  EXPECT_NEAR(erlang_c(2, 1.0), 1.0 / 3, 1e-12);  // (1/2 * 2) / (1 + 1 + 1)
  EXPECT_NEAR(erlang_c(3, 2.0), 4.0 / 9, 1e-12);  // (8/6 * 3) / (1 + 2 + 2 + 4)
  EXPECT_DOUBLE_EQ(erlang_c(4, 0), 0);
  EXPECT_DOUBLE_EQ(erlang_c(2, 2), 1);  // unstable
  // Large c stays finite (no factorial overflow) and in (0, 1).
  const double big = erlang_c(400, 380);
  EXPECT_GT(big, 0);
  EXPECT_LT(big, 1);
}

TEST(PlannerQueueing, TextStageFollowsTheDocumentedFormulas) {
  const VariantProfile v = text_variant("v", 0.01, 0.002, 20, 1.5, kNaN);
  StageWorkload w;
  w.input_tokens = 60;
  w.output_tokens = 10;
  w.output_tokens_p99 = 25;
  const double rate = 5;  // one replica
  const StageEstimate e = estimate_stage(v, w, 2, 1, rate);
  auto s = [&](double b) { return 0.02 + 0.0005 * 60 + 10 * (0.01 + 0.002 * b); };
  // b = clamp(5 * S(b), 1, 2): 5 * S(1) = 0.6 -> 1.
  EXPECT_DOUBLE_EQ(e.mean_in_step, 1);
  EXPECT_NEAR(e.service_mean_s, s(1), 1e-12);
  const double a = rate * s(2);
  EXPECT_NEAR(e.utilisation, a / 2, 1e-12);
  const double c = erlang_c(2, a);
  EXPECT_NEAR(e.wait_mean_s, c * s(2) / (2 - a) / 2, 1e-12);
  EXPECT_NEAR(e.wait_p99_s, std::log(c / 0.01) * s(2) / (2 - a) / 2, 1e-12);
  EXPECT_NEAR(e.latency_mean_s, s(1) + e.wait_mean_s, 1e-12);
  EXPECT_NEAR(e.latency_p99_s, 0.05 + 25 * (0.01 + 0.004) + e.wait_p99_s, 1e-12);
  EXPECT_NEAR(e.joules_per_request, (20 + 1.5) * s(1) / 1, 1e-12);

  // Busier: the mean batch is the fixed point of b = rate * S(b).
  const StageEstimate busy = estimate_stage(v, w, 8, 1, 10);
  // S(b) = 0.15 + 0.02 b, so b = 1.5 + 0.2 b: b = 1.875.
  EXPECT_NEAR(busy.mean_in_step, 1.875, 1e-9);
  EXPECT_NEAR(busy.mean_in_step, 10 * s(busy.mean_in_step), 1e-9);
  EXPECT_GT(busy.mean_in_step, 1);
  EXPECT_LT(busy.mean_in_step, 8);
  EXPECT_NEAR(busy.joules_per_request,
              (20 + 1.5 * busy.mean_in_step) * s(busy.mean_in_step) / busy.mean_in_step, 1e-12);
  // Two replicas halve each replica's load.
  const StageEstimate two = estimate_stage(v, w, 8, 2, 10);
  EXPECT_NEAR(two.utilisation, busy.utilisation / 2, 1e-12);
}

TEST(PlannerQueueing, TensorStageServesBatchesOneAtATime) {
  VariantProfile v = text_variant("cnn", 0.004, 0.001, 12, 0.5, 0.9);
  v.kind = "tensor";
  StageWorkload w;
  w.items_per_request = 3;
  const StageEstimate e = estimate_stage(v, w, 4, 1, 10);
  auto t = [](double b) { return 0.004 + 0.001 * b; };
  // Items arrive at 30/s; b = clamp(30 t(b), 3, 4) = 3 (30 * t(3) = 0.21).
  EXPECT_DOUBLE_EQ(e.mean_in_step, 3);
  const double rho = 30 * t(4) / 4;
  EXPECT_NEAR(e.utilisation, rho, 1e-12);
  EXPECT_NEAR(e.wait_mean_s, rho * t(4) / (1 - rho) / 2, 1e-12);  // Erlang C(1, rho) = rho
  EXPECT_NEAR(e.latency_mean_s, t(3) + e.wait_mean_s, 1e-12);
  EXPECT_NEAR(e.latency_p99_s, t(4) + e.wait_p99_s, 1e-12);
  EXPECT_NEAR(e.joules_per_request, (12 + 0.5 * 3) * t(3) * 3 / 3, 1e-12);
  // More items than the batch: ceil(9 / 4) = 3 batches per request.
  w.items_per_request = 9;
  const StageEstimate many = estimate_stage(v, w, 4, 1, 1);
  EXPECT_DOUBLE_EQ(many.mean_in_step, 4);
  EXPECT_NEAR(many.service_mean_s, 3 * t(4), 1e-12);
}

// ---------------------------------------------------------------------------------------------
// Brute force: every combination of every stage's candidates, exactly as documented.

struct BruteCandidate {
  std::string variant;
  int batch = 0, replicas = 0, cores = 0;
  double cost = 0, p99 = 0, idle_w = 0;
};

struct BruteResult {
  bool found = false;
  double best = std::numeric_limits<double>::infinity();
  double second = std::numeric_limits<double>::infinity();  // best among different combinations
  std::vector<BruteCandidate> choice;
  std::vector<std::vector<BruteCandidate>> per_stage;
};

BruteResult brute_force(const Profiles& profiles, const PipelineSpec& spec) {
  std::vector<std::vector<BruteCandidate>> per_stage;
  for (const auto& st : spec.stages) {
    std::vector<BruteCandidate> cs;
    for (const auto& v : profiles.variants) {
      if (v.kind != st.kind) continue;
      if (std::find(st.variants.begin(), st.variants.end(), v.id) == st.variants.end()) continue;
      for (int b : st.batch_sizes) {
        for (int r = 1; r <= st.max_replicas; ++r) {
          const StageEstimate e = estimate_stage(v, st.workload, b, r, spec.rate_per_s);
          if (!(e.utilisation < spec.max_utilisation)) continue;
          if (v.threads * r > spec.cores) continue;
          const double q = std::isnan(v.quality) ? 0 : v.quality;
          cs.push_back({v.id, b, r, v.threads * r, e.joules_per_request - spec.accuracy_weight * q,
                        e.latency_p99_s, v.power.idle_w});
        }
      }
    }
    per_stage.push_back(cs);
  }
  BruteResult out;
  out.per_stage = per_stage;
  std::vector<size_t> idx(per_stage.size(), 0);
  for (const auto& cs : per_stage) {
    if (cs.empty()) return out;
  }
  while (true) {
    double cost = 0, p99 = 0, idle_w = 0;
    int cores = 0;
    for (size_t s = 0; s < idx.size(); ++s) {
      const auto& c = per_stage[s][idx[s]];
      cost += c.cost;
      p99 += c.p99;
      cores += c.cores;
      idle_w = std::max(idle_w, c.idle_w);
    }
    cost += idle_w / spec.rate_per_s;  // the machine's idle power, once: the chosen variants' max
    if (cores <= spec.cores && p99 <= spec.slo_p99_s) {
      if (cost < out.best) {
        out.second = out.best;
        out.best = cost;
        out.found = true;
        out.choice.clear();
        for (size_t s = 0; s < idx.size(); ++s) out.choice.push_back(per_stage[s][idx[s]]);
      } else if (cost < out.second) {
        out.second = cost;
      }
    }
    size_t s = 0;
    while (s < idx.size() && ++idx[s] == per_stage[s].size()) idx[s++] = 0;
    if (s == idx.size()) break;
  }
  return out;
}

TEST(Planner, IntegerProgramMatchesBruteForceOnRandomInstances) {
  int with_plan = 0, without_plan = 0, unique = 0;
  for (unsigned seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    Profiles profiles;
    profiles.cores = 4 + static_cast<int>(rng() % 5);
    PipelineSpec spec;
    spec.cores = profiles.cores;
    spec.rate_per_s = 0.5 + 4 * u(rng);
    spec.accuracy_weight = seed % 3 == 0 ? 5 * u(rng) : 0;
    const size_t stages = 2 + seed % 2;
    for (size_t s = 0; s < stages; ++s) {
      StageSpec st = text_stage("s" + std::to_string(s), {}, {1, 2, 4}, 3);
      const int n_variants = 2 + static_cast<int>(rng() % 3);
      for (int k = 0; k < n_variants; ++k) {
        const std::string id = "s" + std::to_string(s) + "-v" + std::to_string(k);
        profiles.variants.push_back(text_variant(
            id, 0.005 + 0.03 * u(rng), 0.0005 + 0.004 * u(rng), 5 + 40 * u(rng), 3 * u(rng),
            k == 0 ? kNaN : 0.3 + 0.7 * u(rng), 1 + static_cast<int>(rng() % 3)));
        profiles.variants.back().power.idle_w = 10 + u(rng);
        st.variants.push_back(id);
      }
      spec.stages.push_back(st);
    }
    spec.slo_p99_s = 0.8 * static_cast<double>(stages) * (0.3 + 1.5 * u(rng));

    const PlanResult r = plan(profiles, spec);
    const BruteResult b = brute_force(profiles, spec);
    ASSERT_EQ(r.best.has_value(), b.found) << "seed " << seed << ": " << r.reason;
    if (!b.found) {
      ++without_plan;
      EXPECT_FALSE(r.reason.empty());
      continue;
    }
    ++with_plan;
    const Plan& p = *r.best;
    EXPECT_NEAR(p.objective, b.best, 1e-9 * std::max(1.0, std::abs(b.best))) << "seed " << seed;
    EXPECT_NEAR(
        p.objective,
        p.joules_per_request - spec.accuracy_weight *
                                   [&] {
                                     double q = 0;
                                     for (const auto& s : p.stages)
                                       q += std::isnan(s.quality) ? 0 : s.quality;
                                     return q;
                                   }(),
        1e-9);
    EXPECT_LE(p.latency_p99_s, spec.slo_p99_s * (1 + 1e-9));
    int cores = 0;
    for (const auto& s : p.stages) cores += s.cores_per_replica * s.replicas;
    EXPECT_LE(cores, spec.cores);
    // The plan's choice, scored by the brute force's own candidates: feasible and optimal
    // (whether or not the optimum is unique).
    ASSERT_EQ(p.stages.size(), b.per_stage.size());
    double cost = 0, p99 = 0, idle_w = 0;
    int used = 0;
    for (size_t s = 0; s < p.stages.size(); ++s) {
      const auto& cs = b.per_stage[s];
      auto it = std::find_if(cs.begin(), cs.end(), [&](const BruteCandidate& c) {
        return c.variant == p.stages[s].variant && c.batch == p.stages[s].batch &&
               c.replicas == p.stages[s].replicas;
      });
      ASSERT_NE(it, cs.end()) << "seed " << seed << ": not a candidate";
      cost += it->cost;
      p99 += it->p99;
      used += it->cores;
      idle_w = std::max(idle_w, it->idle_w);
    }
    EXPECT_NEAR(cost + idle_w / spec.rate_per_s, b.best, 1e-9 * std::max(1.0, std::abs(b.best)));
    EXPECT_LE(p99, spec.slo_p99_s);
    EXPECT_LE(used, spec.cores);
    if (b.second - b.best > 1e-7) {  // a unique optimum: the same choice
      ++unique;
      ASSERT_EQ(p.stages.size(), b.choice.size());
      for (size_t s = 0; s < b.choice.size(); ++s) {
        EXPECT_EQ(p.stages[s].variant, b.choice[s].variant) << "seed " << seed;
        EXPECT_EQ(p.stages[s].batch, b.choice[s].batch) << "seed " << seed;
        EXPECT_EQ(p.stages[s].replicas, b.choice[s].replicas) << "seed " << seed;
      }
    }
    if (r.runner_up) {
      EXPECT_GE(r.runner_up->objective, p.objective - 1e-9);
    }
  }
  // The instances exercise both outcomes.
  EXPECT_GE(with_plan, 10);
  EXPECT_GE(without_plan, 1);
  EXPECT_GE(unique, 1);
}

// Two variants: "eco" is slow and frugal, "fast" quick and hungry.
Profiles eco_and_fast() {
  Profiles p;
  p.cores = 8;
  p.energy_source = "estimate";
  p.variants.push_back(text_variant("eco", 0.05, 0.002, 8, 0.5, 0.8));
  p.variants.push_back(text_variant("fast", 0.01, 0.001, 60, 2, 0.8));
  return p;
}

TEST(Planner, TighterSloGivesAFasterHungrierPlan) {
  const Profiles profiles = eco_and_fast();
  PipelineSpec spec;
  spec.stages = {text_stage("gen", {}, {1, 2, 4}, 2)};
  spec.rate_per_s = 1;
  spec.slo_p99_s = 5;
  const PlanResult loose = plan(profiles, spec);
  ASSERT_TRUE(loose.best) << loose.reason;
  EXPECT_EQ(loose.best->stages[0].variant, "eco");
  spec.slo_p99_s = 0.5;
  const PlanResult tight = plan(profiles, spec);
  ASSERT_TRUE(tight.best) << tight.reason;
  EXPECT_EQ(tight.best->stages[0].variant, "fast");
  EXPECT_LE(tight.best->latency_p99_s, 0.5);
  EXPECT_LT(tight.best->latency_p99_s, loose.best->latency_p99_s);
  EXPECT_GT(tight.best->joules_per_request, loose.best->joules_per_request);
}

TEST(Planner, NoPlanSaysTheLeastP99Achievable) {
  const Profiles profiles = eco_and_fast();
  PipelineSpec spec;
  spec.stages = {text_stage("gen", {}, {1, 2}, 2)};
  spec.rate_per_s = 1;
  spec.slo_p99_s = 0.05;  // below any prefill + 20 steps
  const PlanResult r = plan(profiles, spec);
  EXPECT_FALSE(r.best);
  EXPECT_FALSE(r.runner_up);
  EXPECT_THAT(r.reason, HasSubstr("least p99 achievable"));
  EXPECT_GT(r.least_p99_s, spec.slo_p99_s);
  // ... which is what the fastest candidate gives: with it as the SLO there is a plan.
  spec.slo_p99_s = r.least_p99_s * (1 + 1e-9);
  const PlanResult at = plan(profiles, spec);
  ASSERT_TRUE(at.best) << at.reason;
  EXPECT_NEAR(at.best->latency_p99_s, r.least_p99_s, 1e-9);

  // Load beyond every candidate's capacity: the utilisation bound is named.
  spec.rate_per_s = 1000;
  spec.slo_p99_s = 100;
  const PlanResult over = plan(profiles, spec);
  EXPECT_FALSE(over.best);
  EXPECT_THAT(over.reason, HasSubstr("utilisation"));
}

TEST(Planner, StagesShareTheCores) {
  Profiles profiles;
  profiles.cores = 6;
  // Per stage: "big" uses 4 of the 6 cores and is the cheapest; "small" uses 2. Both stages
  // want the big one; only one of them can have it.
  profiles.variants.push_back(text_variant("a-big", 0.01, 0.001, 10, 0.5, kNaN, 4));
  profiles.variants.push_back(text_variant("a-small", 0.02, 0.001, 14, 0.5, kNaN, 2));
  profiles.variants.push_back(text_variant("b-big", 0.01, 0.001, 10, 0.5, kNaN, 4));
  profiles.variants.push_back(text_variant("b-small", 0.02, 0.001, 16, 0.5, kNaN, 2));
  PipelineSpec spec;
  spec.rate_per_s = 0.5;
  spec.slo_p99_s = 10;
  spec.stages = {text_stage("a", {"a-big", "a-small"}, {1}, 1)};
  const PlanResult alone = plan(profiles, spec);
  ASSERT_TRUE(alone.best);
  EXPECT_EQ(alone.best->stages[0].variant, "a-big");

  spec.stages.push_back(text_stage("b", {"b-big", "b-small"}, {1}, 1));
  const PlanResult both = plan(profiles, spec);
  ASSERT_TRUE(both.best) << both.reason;
  int cores = 0;
  for (const auto& s : both.best->stages) cores += s.cores_per_replica * s.replicas;
  EXPECT_LE(cores, 6);
  // b-small costs more than a-small, so stage b keeps the big one.
  EXPECT_EQ(both.best->stages[0].variant, "a-small");
  EXPECT_EQ(both.best->stages[1].variant, "b-big");

  // With 3 cores no pair fits (2 + 2 > 3): no plan, and the reason says the cores.
  spec.cores = 3;
  const PlanResult tight = plan(profiles, spec);
  EXPECT_FALSE(tight.best);
  EXPECT_THAT(tight.reason, HasSubstr("3 cores"));
}

TEST(Planner, AccuracyWeightFlipsAtItsThreshold) {
  Profiles profiles;
  profiles.cores = 4;
  profiles.variants.push_back(text_variant("low", 0.01, 0.001, 10, 0.5, 0.6));
  profiles.variants.push_back(text_variant("high", 0.02, 0.001, 20, 0.5, 0.9));
  PipelineSpec spec;
  spec.rate_per_s = 1;
  spec.slo_p99_s = 10;
  spec.stages = {text_stage("gen", {}, {1}, 1)};
  // One candidate per variant: the choice flips where E_high - w 0.9 = E_low - w 0.6.
  const double e_low =
      estimate_stage(profiles.variants[0], spec.stages[0].workload, 1, 1, 1).joules_per_request;
  const double e_high =
      estimate_stage(profiles.variants[1], spec.stages[0].workload, 1, 1, 1).joules_per_request;
  ASSERT_GT(e_high, e_low);
  const double threshold = (e_high - e_low) / (0.9 - 0.6);
  spec.accuracy_weight = 0.95 * threshold;
  PlanResult r = plan(profiles, spec);
  ASSERT_TRUE(r.best);
  EXPECT_EQ(r.best->stages[0].variant, "low");
  spec.accuracy_weight = 1.05 * threshold;
  r = plan(profiles, spec);
  ASSERT_TRUE(r.best);
  EXPECT_EQ(r.best->stages[0].variant, "high");
  EXPECT_NEAR(r.best->quality, 0.9, 1e-12);
}

TEST(Planner, RunnerUpDiffersAndIsNoBetter) {
  const Profiles profiles = eco_and_fast();
  PipelineSpec spec;
  spec.stages = {text_stage("gen", {}, {1, 2, 4}, 3), text_stage("again", {"eco"}, {1, 2}, 2)};
  spec.rate_per_s = 2;
  spec.slo_p99_s = 4;
  const PlanResult r = plan(profiles, spec);
  ASSERT_TRUE(r.best) << r.reason;
  ASSERT_TRUE(r.runner_up);
  EXPECT_GE(r.runner_up->objective, r.best->objective);
  EXPECT_GE(r.runner_up->joules_per_request, r.best->joules_per_request);  // weight 0
  EXPECT_LE(r.runner_up->latency_p99_s, spec.slo_p99_s);
  bool differs = false;
  for (size_t s = 0; s < r.best->stages.size(); ++s) {
    const auto& a = r.best->stages[s];
    const auto& b = r.runner_up->stages[s];
    differs = differs || a.variant != b.variant || a.batch != b.batch || a.replicas != b.replicas;
  }
  EXPECT_TRUE(differs);
  EXPECT_GT(r.evaluated, r.candidates);
  EXPECT_GT(r.dominated, 0);
  // The JSON carries both plans.
  const auto j = nlohmann::json::parse(plan_result_to_json(r, spec));
  EXPECT_EQ(j["best"]["stages"].size(), 2u);
  EXPECT_EQ(j["runner_up"]["stages"][0]["stage"], "gen");
  EXPECT_TRUE(j["least_p99_s"].is_null());
}

TEST(Planner, RefusesSpecsWithoutUsableVariants) {
  const Profiles profiles = eco_and_fast();
  PipelineSpec spec;
  spec.stages = {text_stage("gen", {"nope"}, {1}, 1)};
  EXPECT_THAT([&] { plan(profiles, spec); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("'nope' matches no variant")));
  spec.stages[0].variants.clear();
  spec.stages[0].kind = "tensor";
  EXPECT_THAT([&] { plan(profiles, spec); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("no tensor variant")));
  spec.stages[0].kind = "text";
  spec.stages[0].min_quality = 0.9;
  EXPECT_THAT([&] { plan(profiles, spec); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("quality >= 0.9")));
  spec.stages[0].min_quality = 0;
  spec.rate_per_s = 0;
  EXPECT_THAT([&] { plan(profiles, spec); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("rate")));
}

TEST(Planner, MatchesVariantsByIdFamilyAndModelPrefix) {
  Profiles profiles = eco_and_fast();
  profiles.variants[0].model = "pycode-tiny";  // "pycode" matches it as a model prefix
  profiles.variants[1].model = "x-small";
  profiles.variants[1].family = "pycode";  // ... and this one by family
  PipelineSpec spec;
  spec.stages = {text_stage("gen", {"pycode"}, {1}, 1)};
  EXPECT_EQ(plan(profiles, spec).evaluated, 2);
  spec.stages[0].variants = {"pycode-tiny"};
  EXPECT_EQ(plan(profiles, spec).evaluated, 1);
  spec.stages[0].variants = {"fast"};  // the id
  EXPECT_EQ(plan(profiles, spec).evaluated, 1);
  spec.stages[0].variants = {"pyco"};  // a prefix only at a '-'
  EXPECT_THROW(plan(profiles, spec), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Pipeline TOML.

std::string write_toml(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() /
                 ("wattserve-pipeline-" + std::to_string(::getpid()) + "-" + name + ".toml");
  std::ofstream(p) << text;
  return p.string();
}

TEST(PipelineToml, ReadsEveryKey) {
  const auto path = write_toml("good", R"(name = "two"
slo_p99_s = 2.5
rate_per_s = 3
accuracy_weight = 0.5
cores = 6
gpus = 1
max_utilisation = 0.8
[[stage]]
name = "gen"
variants = ["pycode"]
batch_sizes = [1, 4]
max_replicas = 2
min_quality = 0.1
input_tokens = 64
output_tokens = 48
output_tokens_p99 = 128
[[stage]]
name = "cls"
kind = "tensor"
items_per_request = 5
)");
  const PipelineSpec s = load_pipeline(path);
  EXPECT_EQ(s.name, "two");
  EXPECT_DOUBLE_EQ(s.slo_p99_s, 2.5);
  EXPECT_DOUBLE_EQ(s.rate_per_s, 3);
  EXPECT_DOUBLE_EQ(s.accuracy_weight, 0.5);
  EXPECT_EQ(s.cores, 6);
  EXPECT_EQ(s.gpus, 1);
  EXPECT_DOUBLE_EQ(s.max_utilisation, 0.8);
  ASSERT_EQ(s.stages.size(), 2u);
  EXPECT_EQ(s.stages[0].variants, std::vector<std::string>{"pycode"});
  EXPECT_EQ(s.stages[0].batch_sizes, (std::vector<int>{1, 4}));
  EXPECT_EQ(s.stages[0].max_replicas, 2);
  EXPECT_DOUBLE_EQ(s.stages[0].min_quality, 0.1);
  EXPECT_DOUBLE_EQ(s.stages[0].workload.input_tokens, 64);
  EXPECT_DOUBLE_EQ(s.stages[0].workload.output_tokens, 48);
  EXPECT_DOUBLE_EQ(s.stages[0].workload.output_tokens_p99, 128);
  EXPECT_EQ(s.stages[1].kind, "tensor");
  EXPECT_DOUBLE_EQ(s.stages[1].workload.items_per_request, 5);
  std::filesystem::remove(path);
}

TEST(PipelineToml, ErrorsNameTheKey) {
  auto fails = [](const std::string& name, const std::string& text, const std::string& message) {
    const auto path = write_toml(name, text);
    EXPECT_THAT([&] { load_pipeline(path); },
                ThrowsMessage<std::invalid_argument>(HasSubstr(message)))
        << name;
    std::filesystem::remove(path);
  };
  fails("replicas", "[[stage]]\nname = \"a\"\nmax_replicas = 0\n",
        ":3:16: stage[0].max_replicas must be an integer in [1, 1024], not 0");
  fails("kind", "[[stage]]\nname = \"a\"\n[[stage]]\nname = \"b\"\nkind = \"audio\"\n",
        ":5:8: stage[1].kind must be text or tensor, not 'audio'");
  fails("slo", "slo_p99_s = \"1s\"\n[[stage]]\nname = \"a\"\n",
        ":1:13: slo_p99_s must be a number");
  fails("batches", "[[stage]]\nname = \"a\"\nbatch_sizes = [1, 2.5]\n",
        "stage[0].batch_sizes must be an integer");
  fails("unknown", "[[stage]]\nname = \"a\"\nreplicas = 2\n",
        ":3:1: unknown key 'replicas' in stage[0]");
  fails("nostage", "rate_per_s = 2\n", "no [[stage]]");
  fails("noname", "[[stage]]\nkind = \"text\"\n", "stage[0] needs name");
  fails("syntax", "rate_per_s = = 2\n", ":1:");
  EXPECT_THAT([] { load_pipeline("/nonexistent/pipeline.toml"); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("/nonexistent/pipeline.toml")));
}

TEST(PipelineToml, ExamplesLoad) {
  for (const char* name : {"text-generation", "classifier", "ocr"}) {
    const std::string path =
        std::string(WATTSERVE_SOURCE_DIR) + "/examples/pipelines/" + name + ".toml";
    const PipelineSpec s = load_pipeline(path);
    EXPECT_FALSE(s.stages.empty()) << path;
  }
  EXPECT_EQ(load_pipeline(std::string(WATTSERVE_SOURCE_DIR) + "/examples/pipelines/ocr.toml")
                .stages.size(),
            2u);
}

}  // namespace
}  // namespace wattserve::adapt
