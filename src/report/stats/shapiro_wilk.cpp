// Shapiro-Wilk W test (tests.h) by Royston's algorithm AS R94 (1995), the algorithm behind
// scipy.stats.shapiro, in double precision with Boost.Math's normal quantile and tail (SciPy
// 1.10 runs the original single-precision Fortran with AS 111 and AS 66 for those).
#include <algorithm>
#include <cmath>
#include <numbers>

#include "report/stats/descriptive.h"
#include "report/stats/detail.h"
#include "report/stats/tests.h"

namespace wattserve::report::stats {

namespace {

// c[0] + c[1] x + c[2] x^2 + ...
template <size_t N>
double poly(const double (&c)[N], double x) {
  double p = 0;
  for (size_t i = N; i-- > 0;) p = p * x + c[i];
  return p;
}

constexpr double kC1[] = {0.0, 0.221157, -0.147981, -2.071190, 4.434685, -2.706056};
constexpr double kC2[] = {0.0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633};
constexpr double kC3[] = {0.5440, -0.39978, 0.025054, -6.714e-4};
constexpr double kC4[] = {1.3822, -0.77857, 0.062767, -0.0020322};
constexpr double kC5[] = {-1.5861, -0.31082, -0.083751, 0.0038915};
constexpr double kC6[] = {-0.4803, -0.082676, 0.0030302};
constexpr double kG[] = {-2.273, 0.459};
constexpr double kSmall = 1e-19;

// The n/2 coefficients a_1 >= a_2 >= ... > 0 of the lower half (AS R94's A array).
std::vector<double> coefficients(size_t n) {
  const size_t half = n / 2;
  std::vector<double> a(half);
  if (n == 3) {
    a[0] = std::numbers::sqrt2 / 2;
    return a;
  }
  const double an = static_cast<double>(n);
  std::vector<double> m(half);
  double summ2 = 0;
  for (size_t i = 0; i < half; ++i) {
    m[i] = detail::normal_quantile((static_cast<double>(i + 1) - 0.375) / (an + 0.25));
    summ2 += m[i] * m[i];
  }
  summ2 *= 2;
  const double ssumm2 = std::sqrt(summ2);
  const double rsn = 1 / std::sqrt(an);
  const double a1 = poly(kC1, rsn) - m[0] / ssumm2;
  size_t first = 1;
  double fac = 0;
  if (n > 5) {
    first = 2;
    const double a2 = -m[1] / ssumm2 + poly(kC2, rsn);
    fac = std::sqrt((summ2 - 2 * m[0] * m[0] - 2 * m[1] * m[1]) / (1 - 2 * a1 * a1 - 2 * a2 * a2));
    a[1] = a2;
  } else {
    fac = std::sqrt((summ2 - 2 * m[0] * m[0]) / (1 - 2 * a1 * a1));
  }
  a[0] = a1;
  for (size_t i = first; i < half; ++i) a[i] = -m[i] / fac;
  return a;
}

}  // namespace

TestResult shapiro_wilk(const std::vector<double>& xs) {
  TestResult r;
  r.statistic = r.p = detail::kNaN;
  const size_t n = xs.size();
  if (n < 3) {
    r.method = "fewer than 3 values";
    return r;
  }
  if (!detail::all_finite(xs)) {
    r.method = "non-finite value in the data";
    return r;
  }
  // Centred on the median as SciPy does (W does not change; the sums keep their precision).
  const double centre = median(xs);
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = xs[i] - centre;
  std::sort(x.begin(), x.end());
  const double range = x.back() - x.front();
  if (range < kSmall) {
    r.statistic = r.p = 1;  // what SciPy returns, with a warning
    r.method = "zero range";
    return r;
  }
  // W is the squared correlation of the sorted data with the antisymmetric coefficients;
  // w1 = 1 - W is computed directly for precision near 1.
  const std::vector<double> half = coefficients(n);
  std::vector<double> a(n, 0.0);
  for (size_t i = 0; i < half.size(); ++i) {
    a[i] = -half[i];
    a[n - 1 - i] = half[i];
  }
  double sa = 0, sx = 0;
  for (size_t i = 0; i < n; ++i) {
    sa += a[i];
    sx += x[i] / range;
  }
  sa /= static_cast<double>(n);
  sx /= static_cast<double>(n);
  double ssa = 0, ssx = 0, sax = 0;
  for (size_t i = 0; i < n; ++i) {
    const double da = a[i] - sa, dx = x[i] / range - sx;
    ssa += da * da;
    ssx += dx * dx;
    sax += da * dx;
  }
  const double ssassx = std::sqrt(ssa * ssx);
  const double w1 = (ssassx - sax) * (ssassx + sax) / (ssa * ssx);
  const double w = 1 - w1;
  r.statistic = w;
  r.valid = n <= 5000;
  r.method = n <= 5000 ? "Royston AS R94" : "n > 5000: the p-value is not accurate";
  if (n == 3) {  // exact
    r.p = std::clamp(6 / std::numbers::pi * (std::asin(std::sqrt(w)) - std::numbers::pi / 3), 0.0,
                     1.0);
    return r;
  }
  const double an = static_cast<double>(n);
  double y = std::log(w1);
  double m = 0, s = 1;
  if (n <= 11) {
    const double gamma = poly(kG, an);
    if (y >= gamma) {
      r.p = kSmall;
      return r;
    }
    y = -std::log(gamma - y);
    m = poly(kC3, an);
    s = std::exp(poly(kC4, an));
  } else {
    const double ln = std::log(an);
    m = poly(kC5, ln);
    s = std::exp(poly(kC6, ln));
  }
  r.p = detail::normal_sf((y - m) / s);
  return r;
}

}  // namespace wattserve::report::stats
