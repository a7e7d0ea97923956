// Descriptive statistics (stats.h).
#include "bench/stats.h"

#include <algorithm>
#include <cmath>

#include "report/stats/descriptive.h"

namespace wattserve::bench {

double percentile(std::vector<double> xs, double p) {
  return report::stats::quantile(std::move(xs), std::clamp(p, 0.0, 100.0) / 100.0);
}

double mean(const std::vector<double>& xs) {
  return report::stats::mean(xs);
}

nlohmann::json num(double x) {
  return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);
}

}  // namespace wattserve::bench
