// Ordinary least squares (regression.h): Eigen's column-pivoting Householder QR for the
// coefficients and for (X'X)^-1 = P R^-1 R^-T P', Student's t (Boost.Math) for the p-values and
// intervals, R^2 and adjusted R^2.
#include "report/stats/regression.h"

#include <Eigen/Dense>
#include <cmath>

#include "report/stats/descriptive.h"
#include "report/stats/detail.h"

namespace wattserve::report::stats {

using detail::kNaN;

Regression ols(const std::vector<std::vector<double>>& columns,
               const std::vector<std::string>& names, const std::vector<double>& y,
               double confidence) {
  Regression r;
  r.n = y.size();
  r.k = columns.size();
  r.r2 = r.adj_r2 = r.residual_se = kNaN;
  const auto fail = [&](std::string why) {
    r.note = std::move(why);
    return r;
  };
  if (names.size() != columns.size()) return fail("as many names as columns are needed");
  if (!(confidence > 0 && confidence < 1)) return fail("confidence outside (0, 1)");
  if (r.n <= r.k + 1) return fail("too few observations: n <= k + 1");
  if (!detail::all_finite(y)) return fail("non-finite value in y");
  for (size_t j = 0; j < r.k; ++j) {
    if (columns[j].size() != r.n) return fail("column " + names[j] + " is not as long as y");
    if (!detail::all_finite(columns[j])) return fail("non-finite value in " + names[j]);
  }
  const auto n = static_cast<Eigen::Index>(r.n), p = static_cast<Eigen::Index>(r.k + 1);
  Eigen::MatrixXd x(n, p);
  Eigen::VectorXd yv(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    x(i, 0) = 1;
    yv(i) = y[static_cast<size_t>(i)];
    for (Eigen::Index j = 1; j < p; ++j) {
      x(i, j) = columns[static_cast<size_t>(j - 1)][static_cast<size_t>(i)];
    }
  }
  const double ybar = mean(y);
  double tss = 0;
  for (double v : y) tss += (v - ybar) * (v - ybar);
  if (!(tss > 0)) return fail("y is constant");
  const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(x);
  if (qr.rank() < p) return fail("a constant or collinear column");
  const Eigen::VectorXd beta = qr.solve(yv);
  const Eigen::VectorXd residuals = yv - x * beta;
  const double rss = residuals.squaredNorm();
  const double df = static_cast<double>(n - p);
  const double s2 = rss / df;
  const Eigen::MatrixXd r_inv =
      qr.matrixR().topLeftCorner(p, p).triangularView<Eigen::Upper>().solve(
          Eigen::MatrixXd::Identity(p, p));
  const Eigen::MatrixXd unscaled =
      qr.colsPermutation() * (r_inv * r_inv.transpose()) * qr.colsPermutation().transpose();
  const double t_crit = detail::t_quantile((1 + confidence) / 2, df);
  for (Eigen::Index j = 0; j < p; ++j) {
    Coefficient c;
    c.name = j == 0 ? "intercept" : names[static_cast<size_t>(j - 1)];
    c.estimate = beta(j);
    c.se = std::sqrt(s2 * unscaled(j, j));
    c.t = c.estimate / c.se;  // +-inf for a perfect fit, NaN for 0 / 0
    c.p = std::isnan(c.t) ? kNaN : 2 * detail::t_sf(std::fabs(c.t), df);
    c.low = c.estimate - t_crit * c.se;
    c.high = c.estimate + t_crit * c.se;
    r.coefficients.push_back(c);
  }
  r.r2 = 1 - rss / tss;
  r.adj_r2 = 1 - (1 - r.r2) * static_cast<double>(n - 1) / df;
  r.residual_se = std::sqrt(s2);
  r.valid = true;
  return r;
}

std::vector<double> standardize(const std::vector<double>& x) {
  if (detail::has_nan(x)) return std::vector<double>(x.size(), kNaN);
  const double m = mean(x), sd = stdev(x);
  std::vector<double> z(x.size(), 0.0);
  if (!(sd > 0)) return z;  // constant (or a single value)
  for (size_t i = 0; i < x.size(); ++i) z[i] = (x[i] - m) / sd;
  return z;
}

}  // namespace wattserve::report::stats
