// Open-loop arrival schedules for `wattserve bench`'s load generator: when each request is sent,
// independent of when earlier ones finish (constant rate, Poisson, or gamma-distributed gaps for
// bursty traffic, as vllm's benchmark_serving --burstiness).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace wattserve::bench::load {

enum class ArrivalKind { kConstant, kPoisson, kGamma };

// "constant" | "poisson" | "gamma"; std::invalid_argument otherwise.
ArrivalKind parse_arrival_kind(std::string_view name);

struct ArrivalSpec {
  ArrivalKind kind = ArrivalKind::kPoisson;
  double rate = 1;  // requests per second, > 0
  // gamma: the coefficient of variation (stddev / mean) of the gaps, > 0; 1 = Poisson, > 1
  // burstier, < 1 more regular. vllm's --burstiness b is cv = 1 / sqrt(b).
  double cv = 1;
  std::uint64_t seed = 1;
};

// The send times in seconds of n requests: the first at 0, then gaps of
//   constant  1 / rate                   (times i / rate)
//   poisson   Exp(rate)                  (mean 1 / rate, CV 1)
//   gamma     Gamma(k = 1 / cv^2, theta = 1 / (rate k))   (mean 1 / rate, CV cv)
// Deterministic for a seed (std::mt19937_64 with std::exponential_distribution /
// std::gamma_distribution; the same standard library gives the same times). Throws
// std::invalid_argument when rate <= 0, cv <= 0 or either is not finite.
std::vector<double> arrival_times(const ArrivalSpec& spec, std::size_t n);

// The times of arrival_times (the same sequence for the same spec) that fall in [0, duration_s),
// at most max_n of them. Throws std::invalid_argument as arrival_times, and when duration_s is
// negative or not finite.
std::vector<double> arrival_times_for(const ArrivalSpec& spec, double duration_s,
                                      std::size_t max_n);

}  // namespace wattserve::bench::load
