// Emissions of a simulated run with and without carbon-aware deferral (carbon_eval.h).
#include "sim/carbon_eval.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace wattserve::sim {

bool is_deferrable(std::size_t i, double fraction) {
  const auto d = static_cast<double>(i);
  return std::floor((d + 1) * fraction) > std::floor(d * fraction);
}

CarbonEval evaluate_carbon(const std::vector<SimRequestResult>& per_request,
                           const std::vector<adapt::IntensityPoint>& series,
                           const CarbonEvalOptions& o) {
  if (!(o.deferrable_fraction >= 0 && o.deferrable_fraction <= 1)) {
    throw std::invalid_argument(
        fmt::format("the deferrable fraction must be in [0, 1], not {}", o.deferrable_fraction));
  }
  if (!(o.defer_deadline_s >= 0) || !std::isfinite(o.defer_deadline_s)) {
    throw std::invalid_argument(
        fmt::format("the deferral deadline must be >= 0 s, not {}", o.defer_deadline_s));
  }
  if (!(o.pue >= 1)) throw std::invalid_argument(fmt::format("PUE must be >= 1, not {}", o.pue));
  if (series.empty() || o.trace_start_s < series.front().t_s) {
    throw std::invalid_argument(
        fmt::format("the intensity series starts at {} (Unix s), after the trace's start {}",
                    series.empty() ? 0 : series.front().t_s, o.trace_start_s));
  }
  CarbonEval e;
  const double g_per_joule_kwh = o.pue / 3.6e6;  // g = J * this * gCO2e/kWh
  for (std::size_t i = 0; i < per_request.size(); ++i) {
    const auto& r = per_request[i];
    ++e.requests;
    const double j = std::isfinite(r.joules) && r.joules > 0 ? r.joules : 0;
    e.joules += j;
    const double send = std::max(0.0, r.send_s);
    const int64_t start = o.trace_start_s + static_cast<int64_t>(std::floor(send));
    const int64_t duration =
        std::max<int64_t>(1, static_cast<int64_t>(std::ceil(std::max(0.0, r.e2e_s))));
    const double now_g = adapt::mean_intensity(series, start, duration);
    double with_g = now_g;
    if (is_deferrable(i, o.deferrable_fraction)) {
      ++e.deferrable;
      const int64_t deadline =
          o.trace_start_s + static_cast<int64_t>(std::floor(send + o.defer_deadline_s));
      const auto c = adapt::best_start(series, start, duration, deadline);
      with_g = c.mean_g_per_kwh;
      if (c.start_s > start) ++e.deferred;
    }
    e.g_without += j * g_per_joule_kwh * now_g;
    e.g_with += j * g_per_joule_kwh * with_g;
  }
  e.g_saved = std::max(0.0, e.g_without - e.g_with);
  e.saved_fraction = e.g_without > 0 ? e.g_saved / e.g_without : 0;
  return e;
}

}  // namespace wattserve::sim
