// wattserve_stats' least squares: a simple regression against its closed form, an exact fit,
// the intervals and R^2s, the invalid designs, and standardize().
#include "report/stats/regression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace stats = wattserve::report::stats;

namespace {

TEST(StatsOls, SimpleRegressionMatchesClosedForm) {
  const std::vector<double> x = {1, 2, 3, 4, 5, 6};
  const std::vector<double> y = {1.1, 2.3, 2.9, 4.2, 4.8, 6.1};
  const stats::Regression r = stats::ols({x}, {"x"}, y);
  ASSERT_TRUE(r.valid) << r.note;
  EXPECT_EQ(r.n, 6u);
  EXPECT_EQ(r.k, 1u);
  ASSERT_EQ(r.coefficients.size(), 2u);
  EXPECT_EQ(r.coefficients[0].name, "intercept");
  EXPECT_EQ(r.coefficients[1].name, "x");
  // slope = Sxy / Sxx = 16.9 / 17.5, intercept = ybar - slope xbar.
  const double slope = 16.9 / 17.5;
  EXPECT_NEAR(r.coefficients[1].estimate, slope, 1e-12);
  EXPECT_NEAR(r.coefficients[0].estimate, 21.4 / 6 - slope * 3.5, 1e-12);
  // numpy.linalg.lstsq + scipy.stats.t (t.ppf polished; see stats_scipy_test.py).
  EXPECT_NEAR(r.r2, 0.9907267156154247, 1e-12);
  EXPECT_NEAR(r.adj_r2, 1 - (1 - r.r2) * 5 / 4, 1e-15);
  EXPECT_NEAR(r.coefficients[1].se, 0.04671523226068844, 1e-12);
  EXPECT_NEAR(r.coefficients[1].p, 3.2347880045762725e-05, 1e-15);
  EXPECT_NEAR(r.coefficients[0].p, 0.362867471608983, 1e-10);
  for (const auto& c : r.coefficients) {
    EXPECT_NEAR(c.t, c.estimate / c.se, 1e-12);
    EXPECT_LT(c.low, c.estimate);
    EXPECT_GT(c.high, c.estimate);
    // t(0.975, 4) = 2.7764451051977987
    EXPECT_NEAR((c.high - c.low) / (2 * c.se), 2.7764451051977987, 1e-9);
  }
}

TEST(StatsOls, ExactFitRecoversCoefficients) {
  const std::vector<double> a = {1, 2, 3, 4, 5, 6, 7};
  const std::vector<double> b = {2, 0, 1, 3, 5, 4, 1};
  std::vector<double> y;
  for (size_t i = 0; i < a.size(); ++i) y.push_back(3 + 2 * a[i] - b[i]);
  const stats::Regression r = stats::ols({a, b}, {"a", "b"}, y, 0.9);
  ASSERT_TRUE(r.valid) << r.note;
  EXPECT_NEAR(r.coefficients[0].estimate, 3, 1e-10);
  EXPECT_NEAR(r.coefficients[1].estimate, 2, 1e-10);
  EXPECT_NEAR(r.coefficients[2].estimate, -1, 1e-10);
  EXPECT_NEAR(r.r2, 1, 1e-12);
  EXPECT_LT(r.residual_se, 1e-10);
}

TEST(StatsOls, InterceptOnly) {
  const stats::Regression r = stats::ols({}, {}, {1, 2, 4, 3});
  ASSERT_TRUE(r.valid) << r.note;
  EXPECT_DOUBLE_EQ(r.coefficients[0].estimate, 2.5);
  EXPECT_NEAR(r.coefficients[0].se, std::sqrt(5.0 / 3 / 4), 1e-12);  // sd / sqrt(n)
  EXPECT_NEAR(r.r2, 0, 1e-15);
}

TEST(StatsOls, InvalidDesigns) {
  const std::vector<double> y = {1, 3, 2, 5, 4};
  EXPECT_FALSE(stats::ols({{1, 2, 3, 4, 5}, {2, 4, 6, 8, 10}}, {"a", "b"}, y).valid);  // collinear
  EXPECT_FALSE(stats::ols({{3, 3, 3, 3, 3}}, {"c"}, y).valid);          // constant: the intercept's
  EXPECT_FALSE(stats::ols({{1, 2}}, {"x"}, {1, 2}).valid);              // n <= k + 1
  EXPECT_FALSE(stats::ols({{1, 2, 3, 4}}, {"x"}, {2, 2, 2, 2}).valid);  // constant y
  EXPECT_FALSE(stats::ols({{1, 2, 3, 4, 5}}, {}, y).valid);             // names
  EXPECT_FALSE(stats::ols({{1, 2, 3}}, {"x"}, y).valid);                // length
  EXPECT_FALSE(stats::ols({{1, 2, 3, std::nan(""), 5}}, {"x"}, y).valid);
  EXPECT_FALSE(stats::ols({{1, 2, 3, 4, 5}}, {"x"}, y, 1.0).valid);  // confidence
  const stats::Regression empty = stats::ols({}, {}, {});
  EXPECT_FALSE(empty.valid);
  EXPECT_FALSE(empty.note.empty());
}

TEST(StatsStandardize, MeanZeroSdOne) {
  const std::vector<double> z = stats::standardize({2, 4, 4, 4, 5, 5, 7, 9});
  double sum = 0, ss = 0;
  for (double v : z) {
    sum += v;
    ss += v * v;
  }
  EXPECT_NEAR(sum, 0, 1e-12);
  EXPECT_NEAR(ss / 7, 1, 1e-12);
  EXPECT_NEAR(z[0], (2 - 5) / std::sqrt(32.0 / 7), 1e-12);
}

TEST(StatsStandardize, DegenerateInputs) {
  EXPECT_EQ(stats::standardize({3, 3, 3}), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(stats::standardize({3}), (std::vector<double>{0}));
  EXPECT_TRUE(stats::standardize({}).empty());
  const std::vector<double> with_nan = stats::standardize({1, std::nan(""), 3});
  EXPECT_TRUE(std::isnan(with_nan[0]));
}

}  // namespace
