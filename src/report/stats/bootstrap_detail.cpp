// The shared pieces of the bootstrap (bootstrap_detail.h): SciPy's BCa interval from resampled
// and jackknife statistics, and the quantile resampler that selects among the draws near the
// wanted order statistic only.
#include "report/stats/bootstrap_detail.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace wattserve::report::stats {

using detail::kNaN;

namespace detail {

std::string check_sample(const std::vector<double>& xs) {
  if (xs.size() < 2) return "fewer than 2 values";
  if (xs.size() >= std::numeric_limits<uint32_t>::max()) return "too many values";
  if (!all_finite(xs)) return "non-finite value in the sample";
  return {};
}

std::vector<double> jackknife(const std::vector<double>& xs, const Statistic& stat) {
  const size_t n = xs.size();
  std::vector<double> out(n), rest(n > 0 ? n - 1 : 0);
  for (size_t i = 0; i < n; ++i) {
    std::copy(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(i), rest.begin());
    std::copy(xs.begin() + static_cast<std::ptrdiff_t>(i) + 1, xs.end(),
              rest.begin() + static_cast<std::ptrdiff_t>(i));
    out[i] = stat(rest);
  }
  return out;
}

Interval bca_core(double theta_hat, const std::vector<double>& theta_b,
                  const std::vector<const std::vector<double>*>& jackknives, double confidence) {
  Interval iv;
  iv.estimate = theta_hat;
  iv.low = iv.high = kNaN;
  const auto fail = [&](const char* why) {
    iv.note = why;
    return iv;
  };
  if (!(confidence > 0 && confidence < 1)) return fail("confidence outside (0, 1)");
  if (theta_b.empty()) return fail("no resamples");
  if (!std::isfinite(theta_hat)) return fail("the statistic of the sample is not finite");
  if (!all_finite(theta_b)) return fail("the statistic of a resample is not finite");
  std::vector<double> sorted = theta_b;
  std::sort(sorted.begin(), sorted.end());
  if (sorted.front() == sorted.back()) return fail("every resample gives the same value");

  // z0: SciPy's _percentile_of_score, the mean of the "strict" and "weak" shares.
  const auto below = std::lower_bound(sorted.begin(), sorted.end(), theta_hat) - sorted.begin();
  const auto at_most = std::upper_bound(sorted.begin(), sorted.end(), theta_hat) - sorted.begin();
  const double share =
      static_cast<double>(below + at_most) / (2 * static_cast<double>(sorted.size()));
  iv.z0 = normal_quantile(share);
  if (!std::isfinite(iv.z0)) return fail("the estimate lies outside the bootstrap distribution");

  // The acceleration from the jackknife: U_i = (n - 1)(mean - theta_(i)) per sample.
  double num = 0, den = 0;
  for (const auto* jk : jackknives) {
    const auto n = static_cast<double>(jk->size());
    double dot = 0;
    for (double v : *jk) dot += v;
    dot /= n;
    double s2 = 0, s3 = 0;
    for (double v : *jk) {
      const double u = (n - 1) * (dot - v);
      s2 += u * u;
      s3 += u * u * u;
    }
    num += s3 / (n * n * n);
    den += s2 / (n * n);
  }
  if (den > 0) {
    iv.acceleration = 1.0 / 6 * num / std::pow(den, 1.5);
  } else {
    iv.acceleration = 0;  // SciPy gives NaN here (0 / 0)
    iv.note = "acceleration taken as 0: the jackknife values are all equal";
  }
  if (!std::isfinite(iv.acceleration)) return fail("the acceleration is not finite");

  const double z_alpha = normal_quantile((1 - confidence) / 2);
  const double num1 = iv.z0 + z_alpha, num2 = iv.z0 - z_alpha;
  const double alpha1 = normal_cdf(iv.z0 + num1 / (1 - iv.acceleration * num1));
  const double alpha2 = normal_cdf(iv.z0 + num2 / (1 - iv.acceleration * num2));
  if (std::isnan(alpha1) || std::isnan(alpha2)) return fail("the adjusted levels are undefined");
  // np.percentile(theta_b, 100 alpha) divides by 100 again before interpolating.
  const auto at = [&](size_t k) { return sorted[k]; };
  iv.low = linear_quantile(sorted.size(), alpha1 * 100 / 100, at);
  iv.high = linear_quantile(sorted.size(), alpha2 * 100 / 100, at);
  iv.valid = true;
  return iv;
}

QuantileResampler::QuantileResampler(const std::vector<double>& xs, double q, double margin_sd)
    : n_(xs.size()), q_(q) {
  std::vector<uint32_t> order(n_);
  for (size_t i = 0; i < n_; ++i) order[i] = static_cast<uint32_t>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return xs[a] < xs[b]; });
  sorted_.resize(n_);
  position_.resize(n_);
  for (size_t k = 0; k < n_; ++k) {
    sorted_[k] = xs[order[k]];
    position_[order[k]] = static_cast<uint32_t>(k);
  }
  const double virtual_index = static_cast<double>(n_ - 1) * q;
  if (virtual_index >= static_cast<double>(n_ - 1)) {
    lo_ = n_ - 1;
  } else {
    const double previous = std::floor(virtual_index);
    lo_ = static_cast<size_t>(previous);
    gamma_ = virtual_index - previous;
    with_next_ = true;
  }
  // Positions below the threshold are only counted: the count is Binomial(n, threshold / n),
  // 8 standard deviations (plus 16) below lo_, so it almost never reaches lo_ (then the draws
  // are replayed in full).
  const double sd = std::sqrt(static_cast<double>(lo_) *
                              (1 - static_cast<double>(lo_) / static_cast<double>(n_)));
  const double margin = margin_sd > 0 ? margin_sd * sd + 16 : 0;
  threshold_ = static_cast<double>(lo_) > margin
                   ? static_cast<uint32_t>(static_cast<double>(lo_) - margin)
                   : 0;
  kept_.reserve(n_);
}

double QuantileResampler::draw(IndexSampler& sampler) {
  const auto n = static_cast<uint32_t>(n_);
  const IndexSampler replay = sampler;
  size_t below = 0;
  kept_.clear();
  for (size_t i = 0; i < n_; ++i) {
    const uint32_t pos = position_[sampler.next(n)];
    if (pos < threshold_) {
      ++below;
    } else {
      kept_.push_back(pos);
    }
  }
  if (below > lo_) {  // rare: select among all the draws
    IndexSampler again = replay;
    kept_.clear();
    for (size_t i = 0; i < n_; ++i) kept_.push_back(position_[again.next(n)]);
    below = 0;
  }
  const auto nth = kept_.begin() + static_cast<std::ptrdiff_t>(lo_ - below);
  std::nth_element(kept_.begin(), nth, kept_.end());
  const double a = sorted_[*nth];
  if (!with_next_) return a;
  return lerp(a, sorted_[*std::min_element(nth + 1, kept_.end())], gamma_);
}

double QuantileResampler::estimate() const {
  return linear_quantile(n_, q_, [&](size_t k) { return sorted_[k]; });
}

std::vector<double> QuantileResampler::jackknife() const {
  // Leaving out the value at sorted position i shifts the positions at and above i by one.
  std::vector<double> out(n_);
  for (size_t i = 0; i < n_; ++i) {
    out[i] = linear_quantile(n_ - 1, q_, [&](size_t k) { return sorted_[k < i ? k : k + 1]; });
  }
  return out;
}

}  // namespace detail

}  // namespace wattserve::report::stats
