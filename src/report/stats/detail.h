// Internal helpers of wattserve_stats, not part of its API: NaN checks, numpy's linear
// interpolation, the Boost.Math distributions with non-throwing guards, and the bootstrap's
// index sampler.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace wattserve::report::stats::detail {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// True when some value is NaN (sorting such a vector with operator< would be undefined).
bool has_nan(const std::vector<double>& xs);
bool all_finite(const std::vector<double>& xs);

// numpy's _lerp(a, b, t): a + (b - a) t, or b - (b - a)(1 - t) when t >= 0.5.
inline double lerp(double a, double b, double t) {
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

// The q-quantile of sorted values by numpy's "linear" method, given element access
// at(k) for k in [0, n).
template <typename At>
double linear_quantile(size_t n, double q, At at) {
  const double virtual_index = static_cast<double>(n - 1) * q;
  if (virtual_index >= static_cast<double>(n - 1)) return at(n - 1);
  const double previous = std::floor(virtual_index);
  const auto lo = static_cast<size_t>(previous);
  return lerp(at(lo), at(lo + 1), virtual_index - previous);
}

// Standard normal cdf, upper tail and quantile; Student's t upper tail and quantile; chi-square
// upper tail. Boost.Math underneath; infinities and out-of-domain arguments are answered here
// (limits, or NaN) instead of throwing.
double normal_cdf(double z);
double normal_sf(double z);
double normal_quantile(double p);
double t_sf(double t, double df);
double t_quantile(double p, double df);
double chi2_sf(double x, double df);

// Uniform indices in [0, n) (n < 2^32) from a std::mt19937_64: each 64-bit output gives two
// 32-bit words (low half first), mapped by Lemire's multiply-and-reject method, so a seed gives
// the same indices on every platform (unlike std::uniform_int_distribution).
class IndexSampler {
 public:
  explicit IndexSampler(uint64_t seed) : rng_(seed) {}
  uint32_t next(uint32_t n) {
    uint64_t m = uint64_t{word()} * n;
    auto low = static_cast<uint32_t>(m);
    if (low < n) {
      const uint32_t threshold = static_cast<uint32_t>(0u - n) % n;
      while (low < threshold) {
        m = uint64_t{word()} * n;
        low = static_cast<uint32_t>(m);
      }
    }
    return static_cast<uint32_t>(m >> 32);
  }

 private:
  uint32_t word() {
    if (have_high_) {
      have_high_ = false;
      return high_;
    }
    const uint64_t r = rng_();
    high_ = static_cast<uint32_t>(r >> 32);
    have_high_ = true;
    return static_cast<uint32_t>(r);
  }
  std::mt19937_64 rng_;
  uint32_t high_ = 0;
  bool have_high_ = false;
};

}  // namespace wattserve::report::stats::detail
