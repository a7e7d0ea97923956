// Pareto fronts, Kneedle's knee and the proportionality index on hand-checked inputs.
#include <gtest/gtest.h>

#include <cmath>

#include "report/analysis.h"

namespace wattserve::report {
namespace {

TEST(ParetoFront, KeepsExactlyTheNonDominatedRows) {
  // (energy, latency), both minimised: (3,3) is dominated by (2,2); (1,5) and (5,1) trade off.
  const std::vector<std::vector<double>> v = {{1, 5}, {2, 2}, {3, 3}, {5, 1}, {2, 2}};
  EXPECT_EQ(pareto_front(v, {false, false}), (std::vector<size_t>{0, 1, 3, 4}));
}

TEST(ParetoFront, MaximisedObjectiveAndMissingValues) {
  // (energy min, accuracy max): (1, 0.5) and (2, 0.9) trade off; (2, 0.8) is dominated; a NaN
  // row is never on the front and dominates nothing.
  const std::vector<std::vector<double>> v = {{1, 0.5}, {2, 0.9}, {2, 0.8}, {NAN, 1.0}, {0.5, NAN}};
  EXPECT_EQ(pareto_front(v, {false, true}), (std::vector<size_t>{0, 1}));
}

TEST(Kneedle, FindsTheBendOfADecreasingCurve) {
  // J per item against batch: steep to 8, flat after.
  const std::vector<double> x = {1, 2, 4, 8, 16, 32, 64};
  const std::vector<double> y = {10, 5.2, 2.8, 1.6, 1.4, 1.3, 1.25};
  EXPECT_EQ(kneedle(x, y), 8);
  EXPECT_TRUE(std::isnan(kneedle({1, 2}, {2, 1})));
  EXPECT_TRUE(std::isnan(kneedle({1, 2, 3}, {3, 2, 1})));  // a straight line has no knee
}

TEST(ProportionalityIndex, IsOneForProportionalPowerAndZeroForConstantPower) {
  EXPECT_NEAR(proportionality_index({10, 20, 40}, {25, 50, 100}, 0.0), 1.0, 1e-12);
  EXPECT_NEAR(proportionality_index({10, 20, 40}, {100, 100, 100}, 100.0), 0.0, 1e-12);
  // Idle 50 W, linear to 100 W at full load: area 75 against the ideal 50 -> 1 - 25/50.
  EXPECT_NEAR(proportionality_index({20, 40}, {75, 100}, 50.0), 0.5, 1e-12);
  EXPECT_TRUE(std::isnan(proportionality_index({10}, {50}, NAN)));
}

}  // namespace
}  // namespace wattserve::report
