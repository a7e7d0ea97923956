// Small descriptive statistics shared by bench's runners and the load generator's metrics
// (the formulas are in docs/bench.md "What a run measures"), in bench's percent convention over
// the report's statistics library (report/stats/descriptive.h).
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

namespace wattserve::bench {

// The percentile p (0-100) of xs by linear interpolation between closest ranks (numpy's
// default, "linear"); NaN for an empty vector.
double percentile(std::vector<double> xs, double p);
// The arithmetic mean; NaN for an empty vector.
double mean(const std::vector<double>& xs);
// A JSON number, or null when x is not finite.
nlohmann::json num(double x);

}  // namespace wattserve::bench
