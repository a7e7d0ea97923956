// The options of `wattserve report`, with their defaults in one place (docs/report.md).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace wattserve::report {

struct ReportOptions {
  double confidence = 0.95;       // of every interval
  size_t resamples = 9999;        // bootstrap resamples per interval (SciPy's default)
  size_t front_resamples = 1000;  // bootstrap rounds behind each Pareto-front probability
  uint64_t seed = 1;              // of every resampling: the same input gives the same report
  double alpha = 0.05;            // significance level the words use ("differs" / "no evidence")
  // The deadline query: the least-energy configuration whose latency metric (median over its
  // runs) is <= deadline_s and whose quality is >= quality_floor (NaN: no such condition).
  double deadline_s = NAN;
  std::string deadline_metric;  // "" = the dataset's primary latency metric (E2E p99)
  double quality_floor = NAN;
  // Runs whose power timeline the HTML shows; empty = the run nearest the median energy of each
  // of the first max_timelines configurations.
  std::vector<std::string> timeline_runs;
  size_t max_timelines = 6;
};

}  // namespace wattserve::report
