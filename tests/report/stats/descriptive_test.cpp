// wattserve_stats' descriptive statistics: numpy's linear quantiles on small, tied and
// degenerate samples, mean and sd, the summary with Tukey's fences, and the NaN policy.
#include "report/stats/descriptive.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace stats = wattserve::report::stats;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(StatsQuantile, MatchesNumpyLinearOnSmallSamples) {
  const std::vector<double> x = {4, 1, 3, 2};  // sorted 1 2 3 4; h = 3 q
  EXPECT_DOUBLE_EQ(stats::quantile(x, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(stats::quantile(x, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(stats::quantile(x, 0.9), 3.7);
  EXPECT_EQ(stats::quantile(x, 0.0), 1);
  EXPECT_EQ(stats::quantile(x, 1.0), 4);
  std::vector<double> ten;
  for (int i = 1; i <= 10; ++i) ten.push_back(i);
  EXPECT_DOUBLE_EQ(stats::quantile(ten, 0.99), 9.91);  // numpy.percentile(range(1, 11), 99)
  EXPECT_DOUBLE_EQ(stats::quantile(ten, 0.1), 1.9);
}

TEST(StatsQuantile, EdgeCases) {
  EXPECT_TRUE(std::isnan(stats::quantile({}, 0.5)));
  EXPECT_EQ(stats::quantile({7}, 0.0), 7);
  EXPECT_EQ(stats::quantile({7}, 0.99), 7);
  EXPECT_DOUBLE_EQ(stats::quantile({1, 3}, 0.5), 2);
  EXPECT_TRUE(std::isnan(stats::quantile({1, 2}, -0.1)));
  EXPECT_TRUE(std::isnan(stats::quantile({1, 2}, 1.5)));
  EXPECT_TRUE(std::isnan(stats::quantile({1, 2}, kNaN)));
  EXPECT_EQ(stats::quantile({5, 5, 5, 5}, 0.3), 5);
  EXPECT_EQ(stats::quantile({2, 2, 2, 9}, 0.5), 2);  // ties
  EXPECT_DOUBLE_EQ(stats::quantile({2, 2, 2, 9}, 0.9), 6.9);
}

TEST(StatsQuantile, NaNGivesNaNWithoutSorting) {
  EXPECT_TRUE(std::isnan(stats::quantile({1, kNaN, 3, 2, 8, 0, 4}, 0.5)));
  EXPECT_TRUE(std::isnan(stats::median({kNaN})));
}

TEST(StatsQuantile, SortedVariantAgrees) {
  const std::vector<double> sorted = {-3, -1, 0, 0, 2, 5, 5, 11};
  for (double q : {0.0, 0.05, 0.25, 0.5, 0.77, 0.99, 1.0}) {
    EXPECT_EQ(stats::quantile_sorted(sorted, q), stats::quantile(sorted, q)) << q;
  }
  EXPECT_TRUE(std::isnan(stats::quantile_sorted({}, 0.5)));
}

TEST(StatsMedian, OddEvenAndSmall) {
  EXPECT_EQ(stats::median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(stats::median({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(stats::median({9}), 9);
  EXPECT_TRUE(std::isnan(stats::median({})));
}

TEST(StatsMeanAndSd, Values) {
  const std::vector<double> x = {2, 4, 4, 4, 5, 5, 7, 9};
  EXPECT_DOUBLE_EQ(stats::mean(x), 5);
  EXPECT_DOUBLE_EQ(stats::stdev(x), std::sqrt(32.0 / 7));  // n - 1 in the denominator
  EXPECT_DOUBLE_EQ(stats::stdev({1, 3}), std::sqrt(2.0));
  EXPECT_TRUE(std::isnan(stats::stdev({1})));
  EXPECT_TRUE(std::isnan(stats::stdev({})));
  EXPECT_TRUE(std::isnan(stats::mean({})));
  EXPECT_EQ(stats::stdev({3, 3, 3}), 0);
  EXPECT_TRUE(std::isnan(stats::mean({1, kNaN})));
}

TEST(StatsSummary, FieldsAndTukeyFences) {
  const std::vector<double> x = {10, 11, 12, 11, 10, 13, 11, 12, 45, -20, 11};
  const stats::Summary s = stats::summarize(x);
  EXPECT_EQ(s.n, 11u);
  EXPECT_EQ(s.min, -20);
  EXPECT_EQ(s.max, 45);
  EXPECT_DOUBLE_EQ(s.q1, 10.5);
  EXPECT_DOUBLE_EQ(s.median, 11);
  EXPECT_DOUBLE_EQ(s.q3, 12);
  EXPECT_DOUBLE_EQ(s.iqr, 1.5);
  EXPECT_DOUBLE_EQ(s.mean, stats::mean(x));
  EXPECT_DOUBLE_EQ(s.cv, s.sd / std::fabs(s.mean));
  // Fences [8.25, 14.25]: 45 (index 8) and -20 (index 9) are outside.
  EXPECT_EQ(s.outliers, (std::vector<size_t>{8, 9}));
}

TEST(StatsSummary, ValuesOnTheFenceAreNotOutliers) {
  // q1 = 1.75, q3 = 3.25, IQR = 1.5: fences at exactly -0.5 and 5.5.
  const stats::Summary s = stats::summarize({1, 2, 3, 4, 5.5, -0.5, 2, 3});
  EXPECT_DOUBLE_EQ(s.q3 + 1.5 * s.iqr, 5.5);
  EXPECT_DOUBLE_EQ(s.q1 - 1.5 * s.iqr, -0.5);
  EXPECT_TRUE(s.outliers.empty());
}

TEST(StatsSummary, DegenerateSamples) {
  const stats::Summary empty = stats::summarize({});
  EXPECT_EQ(empty.n, 0u);
  EXPECT_TRUE(std::isnan(empty.mean) && std::isnan(empty.median) && std::isnan(empty.iqr));
  EXPECT_TRUE(empty.outliers.empty());

  const stats::Summary one = stats::summarize({4});
  EXPECT_EQ(one.median, 4);
  EXPECT_EQ(one.iqr, 0);
  EXPECT_TRUE(std::isnan(one.sd));
  EXPECT_TRUE(std::isnan(one.cv));
  EXPECT_TRUE(one.outliers.empty());

  const stats::Summary constant = stats::summarize({3, 3, 3, 3});
  EXPECT_EQ(constant.sd, 0);
  EXPECT_EQ(constant.cv, 0);
  EXPECT_EQ(constant.iqr, 0);
  EXPECT_TRUE(constant.outliers.empty());

  // IQR 0 with one different value: it is outside the (zero-width) fences.
  EXPECT_EQ(stats::summarize({2, 2, 2, 2, 2, 9}).outliers, (std::vector<size_t>{5}));

  EXPECT_TRUE(std::isnan(stats::summarize({-1, 1}).cv));  // mean 0

  const stats::Summary with_nan = stats::summarize({1, kNaN, 2});
  EXPECT_EQ(with_nan.n, 3u);
  EXPECT_TRUE(std::isnan(with_nan.median) && std::isnan(with_nan.mean));
}

}  // namespace
