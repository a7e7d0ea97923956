// Ordinary least squares for `wattserve report`'s sampling analysis (docs/report.md
// "Regression"): y on an intercept and the given columns, solved with Eigen's column-pivoting
// Householder QR; coefficients with standard errors, t, two-sided p and t-based intervals
// (Student's t from Boost.Math), R^2 and adjusted R^2.
#pragma once

#include <string>
#include <vector>

namespace wattserve::report::stats {

struct Coefficient {
  std::string name;  // "intercept" for the first
  double estimate = 0, se = 0, t = 0, p = 0, low = 0, high = 0;
};

struct Regression {
  bool valid = false;
  std::string note;     // why not valid (n <= k + 1, a constant or collinear column, ...)
  size_t n = 0, k = 0;  // observations, columns (without the intercept)
  double r2 = 0, adj_r2 = 0, residual_se = 0;
  std::vector<Coefficient> coefficients;  // intercept first, then the columns in order
};

// columns[j][i] is column j's value for observation i; every column as long as y.
Regression ols(const std::vector<std::vector<double>>& columns,
               const std::vector<std::string>& names, const std::vector<double>& y,
               double confidence = 0.95);

// (x - mean) / sd (sample sd); a constant column becomes all zeros.
std::vector<double> standardize(const std::vector<double>& x);

}  // namespace wattserve::report::stats
