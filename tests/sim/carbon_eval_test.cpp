// What carbon-aware deferral saves on a simulated run: which requests are deferrable, each
// request's gCO2e at the intensity when it ran and at its best start within the deadline.
#include "sim/carbon_eval.h"

#include <gtest/gtest.h>

namespace wattserve::sim {
namespace {

constexpr int64_t kT0 = 1700000000;
// 400 gCO2e/kWh for an hour, 100 for an hour, then 300.
const std::vector<adapt::IntensityPoint> kSeries = {
    {kT0, 400}, {kT0 + 3600, 100}, {kT0 + 7200, 300}};

SimRequestResult req(double send_s, double e2e_s, double joules) {
  SimRequestResult r;
  r.send_s = send_s;
  r.e2e_s = e2e_s;
  r.joules = joules;
  r.ok = true;
  return r;
}

TEST(CarbonEval, DeferrableRequestsAreEvenlySpread) {
  std::vector<std::size_t> marked;
  for (std::size_t i = 0; i < 12; ++i) {
    if (is_deferrable(i, 0.25)) marked.push_back(i);
  }
  EXPECT_EQ(marked, (std::vector<std::size_t>{3, 7, 11}));
  std::size_t n = 0;
  for (std::size_t i = 0; i < 1000; ++i) n += is_deferrable(i, 0.3);
  EXPECT_EQ(n, 300u);
  EXPECT_FALSE(is_deferrable(0, 0));
  EXPECT_TRUE(is_deferrable(0, 1));
}

TEST(CarbonEval, PricesEachRequestWhenItRanAndAtItsBestStart) {
  // 1 kWh each; request 0 at t = 10 s, request 1 at t = 20 s (both in the 400 g hour).
  const std::vector<SimRequestResult> rs = {req(10, 2, 3.6e6), req(20, 2.5, 3.6e6)};
  CarbonEvalOptions o;
  o.trace_start_s = kT0;
  o.deferrable_fraction = 0.5;  // request 1
  o.defer_deadline_s = 4000;    // it may end by t = 4020: it moves to the 100 g hour
  auto e = evaluate_carbon(rs, kSeries, o);
  EXPECT_EQ(e.requests, 2u);
  EXPECT_EQ(e.deferrable, 1u);
  EXPECT_EQ(e.deferred, 1u);
  EXPECT_DOUBLE_EQ(e.joules, 7.2e6);
  EXPECT_DOUBLE_EQ(e.g_without, 800);
  EXPECT_DOUBLE_EQ(e.g_with, 400 + 100);
  EXPECT_DOUBLE_EQ(e.g_saved, 300);
  EXPECT_DOUBLE_EQ(e.saved_fraction, 300.0 / 800);

  // A deadline that the clean hour cannot meet: nothing moves.
  o.defer_deadline_s = 600;
  e = evaluate_carbon(rs, kSeries, o);
  EXPECT_EQ(e.deferred, 0u);
  EXPECT_DOUBLE_EQ(e.g_saved, 0);

  // PUE scales every gram; no deferrable request: with == without.
  o.pue = 1.5;
  o.deferrable_fraction = 0;
  e = evaluate_carbon(rs, kSeries, o);
  EXPECT_EQ(e.deferrable, 0u);
  EXPECT_DOUBLE_EQ(e.g_without, 1200);
  EXPECT_DOUBLE_EQ(e.g_with, 1200);
}

TEST(CarbonEval, ARequestAcrossAStepPaysTheTimeWeightedMean) {
  // 1 kWh from t = 3590 s for 20 s: 10 s at 400, 10 s at 100.
  const std::vector<SimRequestResult> rs = {req(3590, 20, 3.6e6)};
  CarbonEvalOptions o;
  o.trace_start_s = kT0;
  EXPECT_DOUBLE_EQ(evaluate_carbon(rs, kSeries, o).g_without, 250);
}

TEST(CarbonEval, RefusesBadOptions) {
  const std::vector<SimRequestResult> rs = {req(0, 1, 1)};
  CarbonEvalOptions o;
  o.trace_start_s = kT0 - 1;  // before the series
  EXPECT_THROW(evaluate_carbon(rs, kSeries, o), std::invalid_argument);
  o.trace_start_s = kT0;
  o.deferrable_fraction = 1.5;
  EXPECT_THROW(evaluate_carbon(rs, kSeries, o), std::invalid_argument);
  o.deferrable_fraction = 0.5;
  o.defer_deadline_s = -1;
  EXPECT_THROW(evaluate_carbon(rs, kSeries, o), std::invalid_argument);
  o.defer_deadline_s = 0;
  o.pue = 0.5;
  EXPECT_THROW(evaluate_carbon(rs, kSeries, o), std::invalid_argument);
}

}  // namespace
}  // namespace wattserve::sim
