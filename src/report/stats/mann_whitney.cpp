// Two-sided Mann-Whitney U test (tests.h) as scipy.stats.mannwhitneyu(method="auto") in SciPy
// 1.10: the exact null distribution when the smaller sample has at most 8 values and there are
// no ties, else the normal approximation with the tie-corrected variance and a continuity
// correction of 0.5.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "report/stats/detail.h"
#include "report/stats/ranks.h"
#include "report/stats/tests.h"

namespace wattserve::report::stats {

namespace {

__extension__ typedef unsigned __int128 Count;

// binom(m + n, m) in long double.
long double arrangements(size_t m, size_t n) {
  long double c = 1;
  for (size_t j = 1; j <= m; ++j) {
    c = c * static_cast<long double>(n + j) / static_cast<long double>(j);
  }
  return c;
}

// P(U <= k) under the null for samples of sizes m and n. The counts of arrangements with U = u
// are the coefficients of the Gaussian binomial [m + n choose m](q), built as the product over
// j = 1..m of (1 - q^(n + j)) / (1 - q^j), truncated to degree k. The arithmetic is modulo
// 2^128: exact for every count below 2^128 (binom(m + n, m) is checked first), so no rounding
// happens before the final division.
double exact_cdf(size_t m, size_t n, uint64_t k) {
  if (m > n) std::swap(m, n);
  const size_t top = static_cast<size_t>(std::min<uint64_t>(k, uint64_t{m} * n));
  std::vector<Count> f(top + 1, 0);
  f[0] = 1;
  for (size_t j = 1; j <= m; ++j) {
    for (size_t d = top + 1; d-- > n + j;) f[d] -= f[d - (n + j)];  // times (1 - q^(n + j))
    for (size_t d = j; d <= top; ++d) f[d] += f[d - j];             // divided by (1 - q^j)
  }
  Count below = 0;
  for (const Count c : f) below += c;
  return static_cast<double>(static_cast<long double>(below) / arrangements(m, n));
}

}  // namespace

TestResult mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y) {
  TestResult r;
  r.statistic = r.p = detail::kNaN;
  if (x.empty() || y.empty()) {
    r.method = "empty sample";
    return r;
  }
  std::vector<double> xy = x;
  xy.insert(xy.end(), y.begin(), y.end());
  if (detail::has_nan(xy)) {
    r.method = "NaN in the data";
    return r;
  }
  const detail::Ranks ranked = detail::rank_with_ties(xy);
  const size_t n1 = x.size(), n2 = y.size();
  double r1 = 0;
  for (size_t i = 0; i < n1; ++i) r1 += ranked.ranks[i];
  const auto d1 = static_cast<double>(n1), d2 = static_cast<double>(n2);
  const double u1 = r1 - d1 * (d1 + 1) / 2;
  const double u = std::max(u1, d1 * d2 - u1);
  r.statistic = u1;
  // binom(m + n, m) must stay below 2^128 for the exact counts (n up to about 240,000 at m = 8).
  const bool exact = std::min(n1, n2) <= 8 && ranked.tie_term == 0 &&
                     arrangements(std::min(n1, n2), std::max(n1, n2)) < 1.0e38L;
  if (exact) {
    const auto k = static_cast<uint64_t>(std::llround(d1 * d2 - u));
    r.p = std::clamp(2 * exact_cdf(n1, n2, k), 0.0, 1.0);
    r.method = "exact";
    r.valid = true;
    return r;
  }
  const double n = d1 + d2;
  const double s = std::sqrt(d1 * d2 / 12 * ((n + 1) - ranked.tie_term / (n * (n - 1))));
  if (!(s > 0)) {
    r.p = 1;
    r.method = "all values are equal";
    return r;
  }
  const double z = (u - d1 * d2 / 2 - 0.5) / s;
  r.p = std::clamp(2 * detail::normal_sf(z), 0.0, 1.0);
  r.method = "asymptotic";
  r.valid = true;
  return r;
}

}  // namespace wattserve::report::stats
