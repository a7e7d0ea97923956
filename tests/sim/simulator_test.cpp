// The simulator: serve's real TextWorker in virtual time. Step times and energies are checked
// against hand-computed values from the profile's formulas; the schedules differ as they must;
// refusals and the controller's switches show in the results.
#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "sim/evaluate.h"

namespace wattserve::sim {
namespace {

// step(b, k) = 1 ms + 1 ms * b + 0.1 ms * k; idle 10 W, busy 20 W + 5 W per sequence.
adapt::VariantProfile profile(const std::string& id = "m/f32/llama/cpu/t2/p4", int parallel = 4) {
  adapt::VariantProfile v;
  v.id = id;
  v.model = "m";
  v.family = "m";
  v.kind = "text";
  v.parallel = parallel;
  v.context = 1000;
  v.step.base_s = 0.001;
  v.step.per_sequence_s = 0.001;
  v.step.per_prompt_token_s = 0.0001;
  v.prefill.base_s = 0.002;
  v.prefill.per_token_s = 0.0001;
  v.power.idle_w = 10;
  v.power.busy_w = 20;
  v.power.per_sequence_w = 5;
  return v;
}

SimPolicy static_policy(const adapt::VariantProfile& v,
                        serve::SchedulePolicy s = serve::SchedulePolicy::kFcfs) {
  SimPolicy p;
  p.name = "static";
  p.schedule = s;
  adapt::AdaptOption o;
  o.name = v.id;
  o.profile = v;
  o.parallel = v.parallel;
  p.options = {o};
  return p;
}

SimRequest req(double t, int in, int out) {
  return {t, in, out, 100};
}

TEST(Simulator, OneRequestTakesItsPromptStepThenOneStepPerToken) {
  SimOptions so;
  so.keep_requests = true;
  const auto r = simulate({req(0, 10, 5)}, static_policy(profile()), so);
  ASSERT_EQ(r.ok, 1u);
  // Prompt step: 1 + 1 + 0.1 * 10 = 3 ms, samples token 1; 4 more steps of 2 ms.
  EXPECT_NEAR(r.per_request[0].ttft_s, 0.003, 1e-9);
  EXPECT_NEAR(r.per_request[0].e2e_s, 0.003 + 4 * 0.002, 1e-9);
  EXPECT_EQ(r.per_request[0].output_tokens, 5);
  // Energy: idle 10 W throughout plus 25 W while stepping one sequence, 11 ms in all.
  EXPECT_NEAR(r.joules, 0.011 * (10 + 25), 1e-9);
  EXPECT_NEAR(r.per_request[0].joules, r.joules,
              1e-6);  // the meter charged it all to the one request
  EXPECT_DOUBLE_EQ(r.slo_attainment, 1.0);
}

TEST(Simulator, RequestsJoinAtTheNextStepAndIdleGapsCostIdlePower) {
  SimOptions so;
  so.keep_requests = true;
  // The first request's prompt step starts alone (3 ms, b = 1). The second, arriving during it,
  // joins the next step with its 10 prompt tokens: 1 + 2 + 0.1 * 10 = 4 ms (b = 2), then both
  // decode (3 ms); the first is done at 10 ms, the second decodes alone (2 ms) to 12 ms. The
  // third comes after an idle gap and runs alone (3 ms).
  const auto r =
      simulate({req(0, 10, 3), req(0.001, 10, 3), req(1.0, 10, 1)}, static_policy(profile()), so);
  ASSERT_EQ(r.ok, 3u);
  EXPECT_NEAR(r.per_request[0].e2e_s, 0.010, 1e-9);
  EXPECT_NEAR(r.per_request[1].ttft_s, 0.006, 1e-9);
  EXPECT_NEAR(r.per_request[1].e2e_s, 0.011, 1e-9);
  EXPECT_NEAR(r.per_request[2].e2e_s, 0.003, 1e-9);
  const double busy = 0.003 * 25 + 0.007 * 30 + 0.002 * 25 + 0.003 * 25;
  EXPECT_NEAR(r.joules, busy + 10 * 1.003, 1e-9);
  EXPECT_NEAR(r.duration_s, 1.003, 1e-9);
  // The requests' meter windows hold every joule but the idle gap's (0.988 s, charged to none).
  EXPECT_NEAR(r.per_request[0].joules + r.per_request[1].joules + r.per_request[2].joules,
              r.joules - 10 * 0.988, 1e-6);
}

TEST(Simulator, OneSlotRunsRequestsInTurnAndSjfUsesOnlyPredictions) {
  SimOptions so;
  so.keep_requests = true;
  auto v = profile("m/f32/llama/cpu/t2/p1", 1);
  // A long request first, then a short and a long one arrive while it runs.
  std::vector<SimRequest> t = {req(0, 5, 50), req(0.001, 5, 2), req(0.002, 5, 40)};
  const auto fcfs = simulate(t, static_policy(v), so);
  const auto oracle = simulate(t, static_policy(v, serve::SchedulePolicy::kOracle), so);
  // FCFS: the short one waits for the first only; oracle: the same here (it is next either way).
  EXPECT_LT(fcfs.per_request[1].e2e_s, fcfs.per_request[2].e2e_s);
  // Put the long one before the short one: FCFS keeps arrival order, the oracle swaps them.
  std::vector<SimRequest> t2 = {req(0, 5, 50), req(0.001, 5, 40), req(0.002, 5, 2)};
  const auto f2 = simulate(t2, static_policy(v), so);
  const auto o2 = simulate(t2, static_policy(v, serve::SchedulePolicy::kOracle), so);
  EXPECT_GT(f2.per_request[2].e2e_s, f2.per_request[1].e2e_s);
  EXPECT_LT(o2.per_request[2].e2e_s, o2.per_request[1].e2e_s);
  EXPECT_LT(o2.e2e_mean_s, f2.e2e_mean_s);
  // SJF has seen no finished request yet (its predictor is warming up): it predicts the cap
  // for both, so it cannot know the short one is short and keeps arrival order.
  const auto s2 = simulate(t2, static_policy(v, serve::SchedulePolicy::kSjf), so);
  EXPECT_DOUBLE_EQ(s2.per_request[2].e2e_s, f2.per_request[2].e2e_s);
}

TEST(Simulator, AFullQueueRefusesAndTheRefusalMissesTheSlo) {
  SimOptions so;
  so.max_queue = 1;
  auto v = profile("m/f32/llama/cpu/t2/p1", 1);
  const auto r = simulate({req(0, 5, 20), req(0, 5, 20), req(0, 5, 20)}, static_policy(v), so);
  EXPECT_EQ(r.refused, 1u);
  EXPECT_EQ(r.ok, 2u);
  EXPECT_NEAR(r.slo_attainment, 2.0 / 3.0, 1e-12);
}

TEST(Simulator, AParallelCapLimitsTheSequencesPerStep) {
  SimOptions so;
  so.keep_requests = true;
  auto p = static_policy(profile());
  p.options[0].parallel = 1;
  const auto r = simulate({req(0, 10, 3), req(0, 10, 3)}, p, so);
  // One at a time: the second starts after the first's 3 + 2 + 2 ms.
  EXPECT_NEAR(r.per_request[0].e2e_s, 0.007, 1e-9);
  EXPECT_NEAR(r.per_request[1].e2e_s, 0.014, 1e-9);
}

TEST(Simulator, TheControllerMovesToTheCheaperOptionWhenTheLoadAllows) {
  // Two variants: fast (1 ms steps, 40 W busy) and slow (3 ms steps, 8 W busy): at a low rate the
  // slow one costs less per request and still meets the SLO.
  auto fast = profile("fast", 4);
  fast.step.base_s = 0.0005;
  fast.step.per_sequence_s = 0.0005;
  fast.power.busy_w = 40;
  fast.power.per_sequence_w = 0;
  auto slow = profile("slow", 4);
  slow.step.base_s = 0.0015;
  slow.step.per_sequence_s = 0.0015;
  slow.power.busy_w = 8;
  slow.power.per_sequence_w = 0;
  SimPolicy p;
  p.name = "adaptive";
  p.period_s = 1;
  p.controller.shape = {10, 10, 10};
  for (const auto& v : {fast, slow}) p.options.push_back({v.id, v, 4});
  std::vector<SimRequest> t;
  for (int i = 0; i < 200; ++i) t.push_back(req(i * 0.05, 10, 10));  // 20 req/s for 10 s
  SimOptions so;
  so.slo_e2e_s = 0.5;
  const auto r = simulate(t, p, so);
  ASSERT_FALSE(r.decisions.empty());
  EXPECT_EQ(r.decisions.front().option, "slow");
  EXPECT_TRUE(r.decisions.front().changed);
  EXPECT_DOUBLE_EQ(r.slo_attainment, 1.0);
  const auto f = simulate(t, static_policy(fast), so);
  EXPECT_LT(r.joules_per_request, f.joules_per_request);
}

TEST(Simulator, RefusesBadInput) {
  SimOptions so;
  EXPECT_THROW(simulate({}, static_policy(profile()), so), std::invalid_argument);
  EXPECT_THROW(simulate({req(1, 1, 1), req(0, 1, 1)}, static_policy(profile()), so),
               std::invalid_argument);
  SimPolicy empty;
  EXPECT_THROW(simulate({req(0, 1, 1)}, empty, so), std::invalid_argument);
  // Beyond what the virtual clock holds, or more controller ticks than allowed: refused, not run.
  EXPECT_THROW(simulate({req(0, 1, 1), req(2e9, 1, 1)}, static_policy(profile()), so),
               std::invalid_argument);
  auto adaptive = static_policy(profile("a"));
  adaptive.options.push_back(static_policy(profile("b")).options[0]);
  adaptive.period_s = 1e-6;
  EXPECT_THROW(simulate({req(0, 1, 1), req(100, 1, 1)}, adaptive, so), std::invalid_argument);
  // A profile whose step time is not a number cannot drive the engine.
  auto bad = profile();
  bad.step.base_s = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(simulate({req(0, 1, 1)}, static_policy(bad), so), std::invalid_argument);
}

TEST(Simulator, IdleStretchesCostOneControllerDecision) {
  auto p = static_policy(profile("a"));
  p.options.push_back(static_policy(profile("b")).options[0]);
  p.period_s = 1;
  SimOptions so;
  // Two requests 1,000 s apart: a decision per period while work is in flight, one for the gap.
  const auto r = simulate({req(0, 5, 5), req(1000, 5, 5)}, p, so);
  EXPECT_EQ(r.ok, 2u);
  EXPECT_LT(r.decisions.size(), 5u);
}

TEST(Evaluate, OptionsMatchByModelFamilyOrIdAndApplyCaps) {
  adapt::Profiles ps;
  ps.variants = {profile("m/f32/llama/cpu/t2/p4", 4), profile("m/q8_0/llama/cpu/t2/p4", 4)};
  EXPECT_EQ(options_for(ps, "m", {}).size(), 2u);
  EXPECT_EQ(options_for(ps, "m/q8_0/llama/cpu/t2/p4", {1, 2, 8}).size(), 2u);  // 8 > 4 slots
  EXPECT_THROW(options_for(ps, "other", {}), std::invalid_argument);
}

}  // namespace
}  // namespace wattserve::sim
