// Hypothesis tests and effect sizes for `wattserve report` (docs/report.md "Tests"), each
// matching SciPy 1.10: Shapiro-Wilk (Royston's AS R94), Kruskal-Wallis H with the tie
// correction, two-sided Mann-Whitney U (exact for small samples without ties, else the normal
// approximation with tie and continuity corrections), Holm's step-down correction, Cliff's delta
// with its magnitude label, Vargha-Delaney A12 and Spearman's rank correlation. p-values come
// from Boost.Math's distributions. A NaN in the data makes a test invalid (statistic and p NaN);
// callers pass finite values.
#pragma once

#include <string>
#include <vector>

namespace wattserve::report::stats {

struct TestResult {
  double statistic = 0;
  double p = 0;
  bool valid = false;  // false when the test does not apply (too few values, all equal...)
  std::string method;  // e.g. "exact", "asymptotic"; or why not valid
};

// Average ranks (1-based) with ties given the mean of their ranks (scipy.stats.rankdata); all
// NaN when xs holds a NaN.
std::vector<double> rankdata(const std::vector<double>& xs);

// W and its p-value; valid for 3 <= n <= 5000 with a non-zero range (W and p are still given
// for n > 5000, as SciPy does, and are 1 for a zero range). Computed in double precision;
// SciPy 1.10 computes in single precision (docs/report.md).
TestResult shapiro_wilk(const std::vector<double>& xs);

// H with the tie correction, p from chi-square with k - 1 degrees of freedom (groups with no
// values are dropped; needs >= 2 groups and not all values equal).
TestResult kruskal_wallis(const std::vector<std::vector<double>>& groups);

// Two-sided Mann-Whitney U; statistic = U of x (U1 = R1 - n1(n1+1)/2). method "exact" when
// the smaller sample has <= 8 values and there are no ties (scipy 1.10's method="auto": exact
// unless both sizes exceed 8 or there are ties; here also only while binom(n1 + n2, min) <
// 10^38, i.e. the larger sample up to about 240,000 values), else "asymptotic" (normal,
// tie-corrected variance, continuity correction 0.5). Invalid (p = 1) when all values are
// equal, invalid (NaN) for an empty sample.
TestResult mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y);

// Holm's step-down adjusted p-values, in the input's order, each capped at 1 and made
// monotone. NaN entries (tests that did not apply) stay NaN and are not counted in the family.
std::vector<double> holm(const std::vector<double>& p);

// Cliff's delta: (#{x > y} - #{x < y}) / (n1 n2), in [-1, 1]; = 2 A12 - 1, from the rank sum
// in O(n log n). NaN for an empty sample.
double cliffs_delta(const std::vector<double>& x, const std::vector<double>& y);
// "negligible" |d| < 0.147, "small" < 0.33, "medium" < 0.474, else "large" (Romano et al.);
// "undefined" for NaN.
std::string cliffs_label(double delta);
// Vargha-Delaney A12 = P(X > Y) + 0.5 P(X = Y) = U1 / (n1 n2).
double vargha_delaney_a12(const std::vector<double>& x, const std::vector<double>& y);

// Spearman's rho (Pearson's r of the average ranks) and its two-sided p from Student's t with
// n - 2 degrees of freedom (scipy.stats.spearmanr); invalid for n < 3 or a constant input.
TestResult spearman(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace wattserve::report::stats
