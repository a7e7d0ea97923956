// Bootstrap confidence intervals for `wattserve report` (docs/report.md "Bootstrap"): resamples
// from a seeded generator and the bias-corrected and accelerated (BCa) interval of Efron (1987),
// computed as SciPy's scipy.stats.bootstrap(method="BCa") does from the same resampled
// statistics, with the jackknife for the acceleration (an O(n) shortcut for quantiles).
// Samples must hold finite values (a NaN or infinity gives an invalid Interval) and fewer than
// 2^32 of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace wattserve::report::stats {

using Statistic = std::function<double(const std::vector<double>&)>;

struct BootstrapOptions {
  size_t resamples = 9999;  // SciPy's default
  double confidence = 0.95;
  uint64_t seed = 1;
};

struct Interval {
  double estimate = 0;  // the statistic on the sample
  double low = 0, high = 0;
  bool valid = false;  // false when no interval can be given (n < 2, every resample equal...)
  std::string note;    // why not, when !valid; when valid, a remark (acceleration taken as 0)
  // The bias correction z0 and the acceleration a of the BCa interval (NaN when not reached).
  // a is 0 with a note when every jackknife value is the same (SciPy gives NaN there).
  double z0 = std::numeric_limits<double>::quiet_NaN();
  double acceleration = std::numeric_limits<double>::quiet_NaN();
};

// `resamples` statistics, each of a resample with replacement of xs (same size), drawn from a
// std::mt19937_64 seeded with `seed`: reproducible for a given seed, on every platform (each
// 64-bit output gives two 32-bit words, low half first, mapped to [0, n) by Lemire's
// multiply-and-reject method). Empty when xs is empty.
std::vector<double> bootstrap_distribution(const std::vector<double>& xs, const Statistic& stat,
                                           size_t resamples, uint64_t seed);
// The same for the q-quantile, bit for bit what bootstrap_distribution() gives with
// [q](auto& v) { return quantile(v, q); }, in about the time of drawing the indices: no values
// are copied and the selection runs only on the draws near the wanted order statistic. Empty
// when xs is empty, holds a NaN or q is outside [0, 1].
std::vector<double> bootstrap_quantile_distribution(const std::vector<double>& xs, double q,
                                                    size_t resamples, uint64_t seed);

// The BCa interval from given resampled statistics theta_b (SciPy's _bca_interval with the
// jackknife acceleration; percentiles of theta_b by numpy's linear rule).
Interval bca_interval(const std::vector<double>& xs, const Statistic& stat,
                      const std::vector<double>& theta_b, double confidence);
// The same with the jackknife of the q-quantile computed in O(n log n) in all.
Interval bca_interval_quantile(const std::vector<double>& xs, double q,
                               const std::vector<double>& theta_b, double confidence);

// bootstrap_distribution() then bca_interval(): the BCa interval of stat on xs.
Interval bootstrap_bca(const std::vector<double>& xs, const Statistic& stat,
                       const BootstrapOptions& options);
// BCa interval of the q-quantile (the median is q = 0.5, p99 is q = 0.99).
Interval bootstrap_quantile(const std::vector<double>& xs, double q,
                            const BootstrapOptions& options);

// Two independent samples: the BCa interval of stat_b(b) / stat_a(a) (for run-against-run
// ratios), resampling each sample independently, acceleration from the jackknife over both
// samples as SciPy computes it for a two-sample statistic.
Interval bootstrap_ratio_bca(const std::vector<double>& a, const std::vector<double>& b,
                             const Statistic& stat, const BootstrapOptions& options);
// Its two steps: the resampled ratios (each resample draws a's indices, then b's, from one
// generator) and the BCa interval from given ratios theta_b (SciPy's _bca_interval on the two
// samples: the jackknife of each sample with the other one whole).
std::vector<double> bootstrap_ratio_distribution(const std::vector<double>& a,
                                                 const std::vector<double>& b,
                                                 const Statistic& stat, size_t resamples,
                                                 uint64_t seed);
Interval bca_ratio_interval(const std::vector<double>& a, const std::vector<double>& b,
                            const Statistic& stat, const std::vector<double>& theta_b,
                            double confidence);
// bootstrap_ratio_bca() for the ratio of q-quantiles, quantile(b, q) / quantile(a, q), by the
// quantile path (same resamples, so the same interval, much faster on large samples).
Interval bootstrap_ratio_quantile(const std::vector<double>& a, const std::vector<double>& b,
                                  double q, const BootstrapOptions& options);

}  // namespace wattserve::report::stats
