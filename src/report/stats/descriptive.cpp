// Descriptive statistics (descriptive.h): numpy-compatible linear quantiles, mean, sample
// standard deviation, coefficient of variation and Tukey's fences. A NaN in the sample gives NaN
// results (it is never sorted).
#include "report/stats/descriptive.h"

#include <algorithm>
#include <cmath>

#include "report/stats/detail.h"

namespace wattserve::report::stats {

using detail::kNaN;

double quantile(std::vector<double> xs, double q) {
  if (xs.empty() || !(q >= 0 && q <= 1) || detail::has_nan(xs)) return kNaN;
  const size_t n = xs.size();
  const double virtual_index = static_cast<double>(n - 1) * q;
  if (virtual_index >= static_cast<double>(n - 1)) return *std::max_element(xs.begin(), xs.end());
  const double previous = std::floor(virtual_index);
  const auto lo = static_cast<size_t>(previous);
  const auto nth = xs.begin() + static_cast<std::ptrdiff_t>(lo);
  std::nth_element(xs.begin(), nth, xs.end());
  const double next = *std::min_element(nth + 1, xs.end());
  return detail::lerp(*nth, next, virtual_index - previous);
}

double quantile_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty() || !(q >= 0 && q <= 1)) return kNaN;
  return detail::linear_quantile(sorted.size(), q, [&](size_t k) { return sorted[k]; });
}

double median(std::vector<double> xs) {
  return quantile(std::move(xs), 0.5);
}

double mean(const std::vector<double>& xs) {
  if (xs.empty()) return kNaN;
  double sum = 0;
  for (double x : xs) sum += x;
  return sum / static_cast<double>(xs.size());
}

double stdev(const std::vector<double>& xs) {
  if (xs.size() < 2) return kNaN;
  const double m = mean(xs);
  double ss = 0;
  for (double x : xs) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(xs.size() - 1));
}

Summary summarize(const std::vector<double>& xs) {
  Summary s;
  s.n = xs.size();
  if (xs.empty() || detail::has_nan(xs)) {
    s.mean = s.sd = s.cv = s.min = s.q1 = s.median = s.q3 = s.max = s.iqr = kNaN;
    return s;
  }
  std::vector<double> sorted = xs;
  std::sort(sorted.begin(), sorted.end());
  s.mean = mean(xs);
  s.sd = stdev(xs);
  s.cv = (xs.size() < 2 || s.mean == 0) ? kNaN : s.sd / std::fabs(s.mean);
  s.min = sorted.front();
  s.max = sorted.back();
  s.q1 = quantile_sorted(sorted, 0.25);
  s.median = quantile_sorted(sorted, 0.5);
  s.q3 = quantile_sorted(sorted, 0.75);
  s.iqr = s.q3 - s.q1;
  const double low = s.q1 - 1.5 * s.iqr, high = s.q3 + 1.5 * s.iqr;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (xs[i] < low || xs[i] > high) s.outliers.push_back(i);
  }
  return s;
}

}  // namespace wattserve::report::stats
