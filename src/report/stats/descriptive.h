// Descriptive statistics of one sample for `wattserve report` (docs/report.md "Per
// configuration"): numpy-style linear quantiles, median and IQR, mean, standard deviation and
// coefficient of variation, and Tukey's outlier fences. Callers pass finite values: a NaN in
// the sample gives NaN results (never a crash; the sample is then not sorted).
#pragma once

#include <cstddef>
#include <vector>

namespace wattserve::report::stats {

// The q-quantile (0 <= q <= 1) by linear interpolation between closest ranks, as numpy's
// default method ("linear", Hyndman & Fan type 7), with numpy's interpolation formula so the
// result is bit for bit numpy's. NaN for an empty sample or q outside [0, 1].
double quantile(std::vector<double> xs, double q);
// quantile() of a sample already sorted ascending (no copy).
double quantile_sorted(const std::vector<double>& sorted, double q);
// quantile(xs, 0.5) (numpy's median averages the middle two: the same up to one ulp).
double median(std::vector<double> xs);
double mean(const std::vector<double>& xs);
// Sample standard deviation (n - 1 in the denominator); NaN for n < 2.
double stdev(const std::vector<double>& xs);

struct Summary {
  size_t n = 0;
  double mean = 0, sd = 0, cv = 0;  // cv = sd / |mean| (NaN when mean == 0 or n < 2)
  double min = 0, q1 = 0, median = 0, q3 = 0, max = 0, iqr = 0;
  // Indices of the values outside Tukey's fences [q1 - 1.5 IQR, q3 + 1.5 IQR].
  std::vector<size_t> outliers;
};

// All of the above for one sample; every field NaN (n = 0) for an empty one.
Summary summarize(const std::vector<double>& xs);

}  // namespace wattserve::report::stats
