// Internal to wattserve_stats: the pieces of bootstrap.cpp shared by its generic and quantile
// paths (the BCa interval from resampled and jackknife statistics, the O(n) quantile resampler).
#pragma once

#include <string>
#include <vector>

#include "report/stats/bootstrap.h"
#include "report/stats/detail.h"

namespace wattserve::report::stats::detail {

// Why xs cannot be bootstrapped (n < 2, n >= 2^32, a non-finite value), or "".
std::string check_sample(const std::vector<double>& xs);

// stat on each leave-one-out sample, in the order of xs (n calls of stat on n - 1 values).
std::vector<double> jackknife(const std::vector<double>& xs, const Statistic& stat);

// SciPy's _bca_interval and percentile step: the statistic of the sample, its resampled values
// and one vector of jackknife values per sample.
Interval bca_core(double theta_hat, const std::vector<double>& theta_b,
                  const std::vector<const std::vector<double>*>& jackknives, double confidence);

// The q-quantile of resamples of xs, drawing the same indices as bootstrap_distribution() and
// giving bit for bit what quantile() gives on the resample, without copying values or
// selecting among all n: each drawn index is mapped to its position in sorted order, positions
// well below the wanted order statistic are only counted, and nth_element runs on the rest.
class QuantileResampler {
 public:
  // xs: n >= 1, no NaN. The threshold sits margin_sd standard deviations (plus 16) below the
  // wanted position; tests pass 0 to exercise the replay.
  QuantileResampler(const std::vector<double>& xs, double q, double margin_sd = 8);
  double draw(IndexSampler& sampler);     // one resample's quantile (consumes n indices)
  double estimate() const;                // the quantile of xs
  std::vector<double> jackknife() const;  // leave-one-out quantiles, in sorted order; O(n)

 private:
  size_t n_;
  double q_;
  std::vector<double> sorted_;
  std::vector<uint32_t> position_;  // position_[i]: where xs[i] sits in sorted_
  size_t lo_ = 0;                   // the lower order statistic interpolated from
  double gamma_ = 0;
  bool with_next_ = false;  // interpolate towards order statistic lo_ + 1
  uint32_t threshold_ = 0;
  std::vector<uint32_t> kept_;
};

}  // namespace wattserve::report::stats::detail
