// wattserve_stats' tests and effect sizes (tests.h): values SciPy 1.10 gives on small data sets,
// closed forms (the exact Mann-Whitney distribution for one value against many), the choice of
// exact or asymptotic, and what makes each test invalid.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "report/stats/tests.h"

namespace stats = wattserve::report::stats;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(StatsRankdata, AverageRanksForTies) {
  EXPECT_EQ(stats::rankdata({10, 20, 20, 30}), (std::vector<double>{1, 2.5, 2.5, 4}));
  EXPECT_EQ(stats::rankdata({3, 1, 3, 3}), (std::vector<double>{3, 1, 3, 3}));
  EXPECT_EQ(stats::rankdata({5}), (std::vector<double>{1}));
  EXPECT_TRUE(stats::rankdata({}).empty());
  const std::vector<double> with_nan = stats::rankdata({1, kNaN, 2});
  ASSERT_EQ(with_nan.size(), 3u);
  EXPECT_TRUE(std::isnan(with_nan[0]) && std::isnan(with_nan[2]));
}

TEST(StatsShapiroWilk, MatchesScipy) {
  // scipy.stats.shapiro (single precision inside: W to ~1e-7, p to ~1e-5 here).
  const stats::TestResult a =
      stats::shapiro_wilk({148, 154, 158, 160, 161, 162, 166, 170, 182, 195, 236});
  EXPECT_TRUE(a.valid);
  EXPECT_NEAR(a.statistic, 0.7888147830963135, 1e-6);
  EXPECT_NEAR(a.p, 0.006703833118081093, 1e-7);
  const stats::TestResult b =
      stats::shapiro_wilk({2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8, 3.9, 4.1, 3.0, 2.2, 6.1});
  EXPECT_NEAR(b.statistic, 0.9384464621543884, 1e-6);
  EXPECT_NEAR(b.p, 0.4782123267650604, 1e-5);
}

TEST(StatsShapiroWilk, ThreeValuesIsExact) {
  const stats::TestResult even = stats::shapiro_wilk({1, 2, 3});  // equally spaced: W = 1
  EXPECT_NEAR(even.statistic, 1, 1e-12);
  EXPECT_NEAR(even.p, 1, 1e-6);
  const stats::TestResult r = stats::shapiro_wilk({1, 2, 4});
  EXPECT_NEAR(r.statistic, 0.9642857313156128, 1e-7);  // 27/28
  EXPECT_NEAR(r.p, 0.6368856430053711, 1e-5);
  EXPECT_NEAR(r.p,
              6 / std::numbers::pi * (std::asin(std::sqrt(r.statistic)) - std::numbers::pi / 3),
              1e-12);
}

TEST(StatsShapiroWilk, InvalidCases) {
  EXPECT_FALSE(stats::shapiro_wilk({}).valid);
  EXPECT_FALSE(stats::shapiro_wilk({1, 2}).valid);
  const stats::TestResult constant = stats::shapiro_wilk({4, 4, 4, 4, 4});
  EXPECT_FALSE(constant.valid);
  EXPECT_EQ(constant.statistic, 1);  // as SciPy, which warns
  EXPECT_EQ(constant.p, 1);
  EXPECT_FALSE(stats::shapiro_wilk({1, 2, kNaN, 4}).valid);
  EXPECT_FALSE(stats::shapiro_wilk({1, 2, kInf, 4}).valid);
  std::vector<double> big;
  for (int i = 0; i < 5001; ++i) big.push_back(std::sin(i * 0.7));
  const stats::TestResult large = stats::shapiro_wilk(big);
  EXPECT_FALSE(large.valid);  // beyond AS R94's range, though W and p are still given
  EXPECT_GT(large.statistic, 0);
  EXPECT_LE(large.statistic, 1);
}

TEST(StatsShapiroWilk, SkewedDataRejected) {
  std::vector<double> x;
  for (int i = 1; i <= 40; ++i) x.push_back(std::exp(i / 4.0));
  const stats::TestResult r = stats::shapiro_wilk(x);
  EXPECT_TRUE(r.valid);
  EXPECT_LT(r.p, 1e-4);
  EXPECT_LT(r.statistic, 0.8);
}

TEST(StatsKruskalWallis, ScipyExamples) {
  const stats::TestResult a = stats::kruskal_wallis({{1, 3, 5, 7, 9}, {2, 4, 6, 8, 10}});
  EXPECT_TRUE(a.valid);
  EXPECT_NEAR(a.statistic, 0.2727272727272734, 1e-12);
  EXPECT_NEAR(a.p, 0.6015081344405895, 1e-12);
  // Heavy ties: the tie correction turns H = 5.0 into 7.0.
  const stats::TestResult b = stats::kruskal_wallis({{1, 1, 1}, {2, 2, 2}, {2, 2}});
  EXPECT_NEAR(b.statistic, 7.0, 1e-12);
  EXPECT_NEAR(b.p, 0.0301973834223185, 1e-12);
}

TEST(StatsKruskalWallis, GroupsAndInvalidCases) {
  // An empty group is dropped (SciPy would return NaN).
  const stats::TestResult dropped = stats::kruskal_wallis({{1, 3, 5, 7, 9}, {}, {2, 4, 6, 8, 10}});
  EXPECT_NEAR(dropped.statistic, 0.2727272727272734, 1e-12);
  EXPECT_FALSE(stats::kruskal_wallis({}).valid);
  EXPECT_FALSE(stats::kruskal_wallis({{1, 2, 3}}).valid);
  EXPECT_FALSE(stats::kruskal_wallis({{1, 2, 3}, {}}).valid);
  EXPECT_FALSE(stats::kruskal_wallis({{2, 2}, {2, 2, 2}}).valid);  // all equal
  EXPECT_FALSE(stats::kruskal_wallis({{1, kNaN}, {2, 3}}).valid);
  // Single values per group are fine.
  const stats::TestResult singles = stats::kruskal_wallis({{1}, {2}, {3}});
  EXPECT_TRUE(singles.valid);
  EXPECT_NEAR(singles.statistic, 2.0, 1e-12);
}

TEST(StatsMannWhitney, ExactSmallSamples) {
  const stats::TestResult a = stats::mann_whitney_u({1, 2, 3, 4}, {5, 6, 7, 8, 9});
  EXPECT_EQ(a.method, "exact");
  EXPECT_EQ(a.statistic, 0);
  EXPECT_NEAR(a.p, 2.0 / 126, 1e-15);  // 2 / binom(9, 4)
  const stats::TestResult b = stats::mann_whitney_u({0.5, 1.2, 3.4}, {2.2, 4.4, 5.1, 6.0});
  EXPECT_EQ(b.statistic, 1);
  EXPECT_NEAR(b.p, 0.11428571428571428, 1e-15);
  const stats::TestResult one = stats::mann_whitney_u({1}, {2});
  EXPECT_EQ(one.method, "exact");
  EXPECT_EQ(one.p, 1);
}

TEST(StatsMannWhitney, ExactOneAgainstManyIsUniform) {
  // With m = 1, U is uniform on 0..n: P(U <= k) = (k + 1) / (n + 1). 100,000 values on the other
  // side exercise the 128-bit counts.
  for (size_t n : {10u, 1000u, 100000u}) {
    std::vector<double> y;
    for (size_t i = 1; i <= n; ++i) y.push_back(static_cast<double>(i));
    const stats::TestResult r = stats::mann_whitney_u({2.5}, y);
    EXPECT_EQ(r.method, "exact");
    EXPECT_EQ(r.statistic, 2);
    const double expected = std::min(1.0, 2 * 3.0 / static_cast<double>(n + 1));
    EXPECT_NEAR(r.p, expected, 1e-14 * expected) << n;
  }
}

TEST(StatsMannWhitney, ExactEightAgainstLarger) {
  // Exact while the smaller sample has <= 8 values, whatever the larger.
  std::vector<double> x, y;
  for (int i = 0; i < 8; ++i) x.push_back(i * 3.1 + 0.05);
  for (int i = 0; i < 30; ++i) y.push_back(i * 0.9 + 0.01);
  const stats::TestResult r = stats::mann_whitney_u(x, y);
  EXPECT_EQ(r.method, "exact");
  const stats::TestResult swapped = stats::mann_whitney_u(y, x);
  EXPECT_EQ(swapped.statistic, 8 * 30 - r.statistic);
  EXPECT_NEAR(swapped.p, r.p, 1e-15);
  EXPECT_GT(r.p, 0);
  EXPECT_LE(r.p, 1);
}

TEST(StatsMannWhitney, AsymptoticWithTiesOrLargeSamples) {
  const stats::TestResult ties = stats::mann_whitney_u({1, 2, 2, 3}, {2, 3, 3, 4, 5});
  EXPECT_EQ(ties.method, "asymptotic");
  EXPECT_EQ(ties.statistic, 3);
  EXPECT_NEAR(ties.p, 0.09934224785346528, 1e-12);  // scipy.stats.mannwhitneyu
  std::vector<double> x, y;
  for (int i = 0; i < 9; ++i) {
    x.push_back(i);
    y.push_back(i + 0.5);
  }
  EXPECT_EQ(stats::mann_whitney_u(x, y).method, "asymptotic");  // both > 8
}

TEST(StatsMannWhitney, InvalidCases) {
  EXPECT_FALSE(stats::mann_whitney_u({}, {1, 2}).valid);
  EXPECT_FALSE(stats::mann_whitney_u({1, 2}, {}).valid);
  EXPECT_FALSE(stats::mann_whitney_u({1, kNaN}, {1, 2}).valid);
  const stats::TestResult equal = stats::mann_whitney_u({3, 3}, {3, 3, 3});
  EXPECT_FALSE(equal.valid);
  EXPECT_EQ(equal.p, 1);
  EXPECT_EQ(equal.statistic, 3);
}

TEST(StatsHolm, AdjustsInInputOrder) {
  const std::vector<double> adjusted = stats::holm({0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(adjusted.size(), 4u);
  EXPECT_DOUBLE_EQ(adjusted[0], 0.03);
  EXPECT_DOUBLE_EQ(adjusted[1], 0.06);  // monotone: max(0.04 * 1, 0.03 * 2)
  EXPECT_DOUBLE_EQ(adjusted[2], 0.06);
  EXPECT_DOUBLE_EQ(adjusted[3], 0.02);
}

TEST(StatsHolm, CapsTiesNaNAndEmpty) {
  const std::vector<double> capped = stats::holm({0.3, 0.6, 0.9});
  EXPECT_DOUBLE_EQ(capped[0], 0.9);
  EXPECT_EQ(capped[1], 1);
  EXPECT_EQ(capped[2], 1);
  EXPECT_TRUE(stats::holm({}).empty());
  EXPECT_EQ(stats::holm({0.04}), (std::vector<double>{0.04}));
  const std::vector<double> ties = stats::holm({0.02, 0.02, 0.5});
  EXPECT_DOUBLE_EQ(ties[0], 0.06);
  EXPECT_DOUBLE_EQ(ties[1], 0.06);
  EXPECT_DOUBLE_EQ(ties[2], 0.5);
  // NaN stays NaN and is not counted: a family of two.
  const std::vector<double> with_nan = stats::holm({0.01, kNaN, 0.02});
  EXPECT_DOUBLE_EQ(with_nan[0], 0.02);
  EXPECT_TRUE(std::isnan(with_nan[1]));
  EXPECT_DOUBLE_EQ(with_nan[2], 0.02);
}

TEST(StatsEffectSizes, CliffsDeltaAndA12) {
  EXPECT_EQ(stats::cliffs_delta({5, 6}, {1, 2, 3}), 1);
  EXPECT_EQ(stats::cliffs_delta({1, 2}, {5, 6, 7}), -1);
  EXPECT_EQ(stats::cliffs_delta({1, 2, 3}, {1, 2, 3}), 0);
  // Pairs of {1, 2} x {2, 3}: three below, one tie.
  EXPECT_DOUBLE_EQ(stats::cliffs_delta({1, 2}, {2, 3}), -0.75);
  EXPECT_DOUBLE_EQ(stats::vargha_delaney_a12({1, 2}, {2, 3}), 0.125);
  EXPECT_DOUBLE_EQ(stats::vargha_delaney_a12({4, 4}, {4}), 0.5);
  EXPECT_TRUE(std::isnan(stats::cliffs_delta({}, {1})));
  EXPECT_TRUE(std::isnan(stats::vargha_delaney_a12({1}, {})));
  EXPECT_TRUE(std::isnan(stats::cliffs_delta({kNaN}, {1})));
}

TEST(StatsEffectSizes, CliffsLabels) {
  EXPECT_EQ(stats::cliffs_label(0.0), "negligible");
  EXPECT_EQ(stats::cliffs_label(0.1469), "negligible");
  EXPECT_EQ(stats::cliffs_label(0.147), "small");
  EXPECT_EQ(stats::cliffs_label(-0.2), "small");
  EXPECT_EQ(stats::cliffs_label(0.33), "medium");
  EXPECT_EQ(stats::cliffs_label(0.4739), "medium");
  EXPECT_EQ(stats::cliffs_label(0.474), "large");
  EXPECT_EQ(stats::cliffs_label(-1), "large");
  EXPECT_EQ(stats::cliffs_label(kNaN), "undefined");
}

TEST(StatsSpearman, MatchesScipy) {
  const stats::TestResult r = stats::spearman({1, 2, 3, 4, 5}, {5, 6, 7, 8, 7});
  EXPECT_TRUE(r.valid);
  EXPECT_NEAR(r.statistic, 0.8207826816681233, 1e-14);
  EXPECT_NEAR(r.p, 0.08858700531354381, 1e-12);
  const stats::TestResult ties = stats::spearman({1, 2, 2, 4}, {3, 3, 1, 0});
  EXPECT_TRUE(ties.valid);
  EXPECT_LT(ties.statistic, 0);
}

TEST(StatsSpearman, PerfectAndInvalid) {
  const stats::TestResult up = stats::spearman({1, 2, 3}, {10, 20, 30});
  EXPECT_EQ(up.statistic, 1);
  EXPECT_EQ(up.p, 0);
  const stats::TestResult down = stats::spearman({1, 2, 3, 4}, {4, 3, 2, 1});
  EXPECT_EQ(down.statistic, -1);
  EXPECT_EQ(down.p, 0);
  EXPECT_FALSE(stats::spearman({1, 2}, {2, 1}).valid);
  EXPECT_FALSE(stats::spearman({1, 2, 3}, {1, 2}).valid);
  EXPECT_FALSE(stats::spearman({1, 1, 1}, {1, 2, 3}).valid);
  EXPECT_FALSE(stats::spearman({1, 2, 3}, {kNaN, 2, 3}).valid);
}

}  // namespace
