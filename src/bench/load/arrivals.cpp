// Open-loop arrival schedules (constant, Poisson, gamma): see arrivals.h.
#include "bench/load/arrivals.h"

#include <fmt/format.h>

#include <cmath>
#include <random>
#include <stdexcept>

namespace wattserve::bench::load {
namespace {

void check(const ArrivalSpec& spec) {
  if (!std::isfinite(spec.rate) || spec.rate <= 0) {
    throw std::invalid_argument(
        fmt::format("arrival rate {} requests/s: expected a finite number > 0", spec.rate));
  }
  if (!std::isfinite(spec.cv) || spec.cv <= 0) {
    throw std::invalid_argument(
        fmt::format("arrival cv {}: expected a finite number > 0 (1 = Poisson)", spec.cv));
  }
}

// Produces the schedule one time at a time; stops when keep(time, count) says so.
template <typename Keep>
std::vector<double> generate(const ArrivalSpec& spec, Keep keep) {
  check(spec);
  std::vector<double> times;
  if (spec.kind == ArrivalKind::kConstant) {
    for (std::size_t i = 0;; ++i) {
      const double t = static_cast<double>(i) / spec.rate;  // no drift from summing gaps
      if (!keep(t, times.size())) break;
      times.push_back(t);
    }
    return times;
  }
  std::mt19937_64 rng(spec.seed);
  std::exponential_distribution<double> exponential(spec.rate);
  const double shape = 1 / (spec.cv * spec.cv);
  std::gamma_distribution<double> gamma(shape, 1 / (spec.rate * shape));
  double t = 0;
  while (keep(t, times.size())) {
    times.push_back(t);
    t += spec.kind == ArrivalKind::kPoisson ? exponential(rng) : gamma(rng);
  }
  return times;
}

}  // namespace

ArrivalKind parse_arrival_kind(std::string_view name) {
  if (name == "constant") return ArrivalKind::kConstant;
  if (name == "poisson") return ArrivalKind::kPoisson;
  if (name == "gamma") return ArrivalKind::kGamma;
  throw std::invalid_argument(
      fmt::format("unknown arrival kind \"{}\" (expected constant, poisson or gamma)", name));
}

std::vector<double> arrival_times(const ArrivalSpec& spec, std::size_t n) {
  return generate(spec, [n](double, std::size_t count) { return count < n; });
}

std::vector<double> arrival_times_for(const ArrivalSpec& spec, double duration_s,
                                      std::size_t max_n) {
  if (!std::isfinite(duration_s) || duration_s < 0) {
    throw std::invalid_argument(
        fmt::format("arrival duration {} s: expected a finite number >= 0", duration_s));
  }
  return generate(spec,
                  [&](double t, std::size_t count) { return count < max_n && t < duration_s; });
}

}  // namespace wattserve::bench::load
