// Bootstrap resampling and BCa intervals (bootstrap.h): the generic paths (any statistic) and
// the quantile paths, on the pieces of bootstrap_detail.cpp.
#include "report/stats/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "report/stats/bootstrap_detail.h"
#include "report/stats/detail.h"

namespace wattserve::report::stats {

using detail::kNaN;

namespace {

Interval invalid(std::string why, double estimate = kNaN) {
  Interval iv;
  iv.estimate = estimate;
  iv.low = iv.high = kNaN;
  iv.note = std::move(why);
  return iv;
}

}  // namespace

std::vector<double> bootstrap_distribution(const std::vector<double>& xs, const Statistic& stat,
                                           size_t resamples, uint64_t seed) {
  const size_t n = xs.size();
  if (n == 0 || n >= std::numeric_limits<uint32_t>::max()) return {};
  detail::IndexSampler sampler(seed);
  std::vector<double> theta_b(resamples), resample(n);
  for (double& theta : theta_b) {
    for (double& v : resample) v = xs[sampler.next(static_cast<uint32_t>(n))];
    theta = stat(resample);
  }
  return theta_b;
}

std::vector<double> bootstrap_quantile_distribution(const std::vector<double>& xs, double q,
                                                    size_t resamples, uint64_t seed) {
  if (xs.empty() || xs.size() >= std::numeric_limits<uint32_t>::max() || detail::has_nan(xs) ||
      !(q >= 0 && q <= 1)) {
    return {};
  }
  detail::QuantileResampler resampler(xs, q);
  detail::IndexSampler sampler(seed);
  std::vector<double> theta_b(resamples);
  for (double& theta : theta_b) theta = resampler.draw(sampler);
  return theta_b;
}

Interval bca_interval(const std::vector<double>& xs, const Statistic& stat,
                      const std::vector<double>& theta_b, double confidence) {
  if (auto why = detail::check_sample(xs); !why.empty()) return invalid(why);
  const std::vector<double> jk = detail::jackknife(xs, stat);
  return detail::bca_core(stat(xs), theta_b, {&jk}, confidence);
}

Interval bca_interval_quantile(const std::vector<double>& xs, double q,
                               const std::vector<double>& theta_b, double confidence) {
  if (auto why = detail::check_sample(xs); !why.empty()) return invalid(why);
  if (!(q >= 0 && q <= 1)) return invalid("q outside [0, 1]");
  const detail::QuantileResampler resampler(xs, q);
  const std::vector<double> jk = resampler.jackknife();
  return detail::bca_core(resampler.estimate(), theta_b, {&jk}, confidence);
}

Interval bootstrap_bca(const std::vector<double>& xs, const Statistic& stat,
                       const BootstrapOptions& options) {
  if (auto why = detail::check_sample(xs); !why.empty()) return invalid(why);
  return bca_interval(xs, stat, bootstrap_distribution(xs, stat, options.resamples, options.seed),
                      options.confidence);
}

Interval bootstrap_quantile(const std::vector<double>& xs, double q,
                            const BootstrapOptions& options) {
  if (auto why = detail::check_sample(xs); !why.empty()) return invalid(why);
  if (!(q >= 0 && q <= 1)) return invalid("q outside [0, 1]");
  return bca_interval_quantile(
      xs, q, bootstrap_quantile_distribution(xs, q, options.resamples, options.seed),
      options.confidence);
}

std::vector<double> bootstrap_ratio_distribution(const std::vector<double>& a,
                                                 const std::vector<double>& b,
                                                 const Statistic& stat, size_t resamples,
                                                 uint64_t seed) {
  constexpr size_t kMax = std::numeric_limits<uint32_t>::max();
  if (a.empty() || b.empty() || a.size() >= kMax || b.size() >= kMax) return {};
  detail::IndexSampler sampler(seed);
  std::vector<double> theta_b(resamples), ra(a.size()), rb(b.size());
  for (double& theta : theta_b) {
    for (double& v : ra) v = a[sampler.next(static_cast<uint32_t>(a.size()))];
    for (double& v : rb) v = b[sampler.next(static_cast<uint32_t>(b.size()))];
    theta = stat(rb) / stat(ra);
  }
  return theta_b;
}

Interval bca_ratio_interval(const std::vector<double>& a, const std::vector<double>& b,
                            const Statistic& stat, const std::vector<double>& theta_b,
                            double confidence) {
  if (auto why = detail::check_sample(a); !why.empty()) return invalid("a: " + why);
  if (auto why = detail::check_sample(b); !why.empty()) return invalid("b: " + why);
  const double sa = stat(a), sb = stat(b);
  std::vector<double> jka = detail::jackknife(a, stat), jkb = detail::jackknife(b, stat);
  for (double& v : jka) v = sb / v;
  for (double& v : jkb) v = v / sa;
  return detail::bca_core(sb / sa, theta_b, {&jka, &jkb}, confidence);
}

Interval bootstrap_ratio_bca(const std::vector<double>& a, const std::vector<double>& b,
                             const Statistic& stat, const BootstrapOptions& options) {
  return bca_ratio_interval(
      a, b, stat, bootstrap_ratio_distribution(a, b, stat, options.resamples, options.seed),
      options.confidence);
}

Interval bootstrap_ratio_quantile(const std::vector<double>& a, const std::vector<double>& b,
                                  double q, const BootstrapOptions& options) {
  if (auto why = detail::check_sample(a); !why.empty()) return invalid("a: " + why);
  if (auto why = detail::check_sample(b); !why.empty()) return invalid("b: " + why);
  if (!(q >= 0 && q <= 1)) return invalid("q outside [0, 1]");
  detail::QuantileResampler qa(a, q), qb(b, q);
  detail::IndexSampler sampler(options.seed);
  std::vector<double> theta_b(options.resamples);
  for (double& theta : theta_b) {
    const double da = qa.draw(sampler);
    theta = qb.draw(sampler) / da;
  }
  const double sa = qa.estimate(), sb = qb.estimate();
  std::vector<double> jka = qa.jackknife(), jkb = qb.jackknife();
  for (double& v : jka) v = sb / v;
  for (double& v : jkb) v = v / sa;
  return detail::bca_core(sb / sa, theta_b, {&jka, &jkb}, options.confidence);
}

}  // namespace wattserve::report::stats
