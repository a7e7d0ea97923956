// The metrics `wattserve report` analyses, in one table (docs/report.md "Metrics"): where each
// is read in a run record, its unit, its group (energy, latency, throughput, quality) and which
// direction is better. Also which energy metric leads a dataset's analysis.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace wattserve::report {

enum class Better { kLower, kHigher };

struct MetricDef {
  std::string id;     // e.g. "joules_per_output_token"
  std::string label;  // e.g. "J per output token"
  std::string unit;   // e.g. "J/token"
  std::string path;   // JSON pointer into the record, e.g. "/metrics/joules_per_output_token"
  std::string group;  // "energy", "latency", "throughput", "quality"
  Better better = Better::kLower;
  // For latency metrics: the column of the run's requests CSV whose pooled p99 gets a bootstrap
  // interval ("" for others).
  std::string request_column;
};

// Every metric, in display order.
const std::vector<MetricDef>& metric_catalogue();
// The metric with this id; throws std::invalid_argument naming the known ids otherwise.
const MetricDef& metric(const std::string& id);
// Its value in a record when present, numeric and finite.
std::optional<double> metric_value(const nlohmann::json& record, const MetricDef& def);

// The energy metric that leads a dataset's analysis: J per output token when the runs generate
// text, else J per item (classifiers), else J per request. `present` holds the ids of the
// metrics some run of the dataset has.
std::string primary_energy_metric(const std::vector<std::string>& present);
// The latency metric of the Pareto plane and the deadline query: E2E p99 when present, else
// TTFT p99, else "" (a dataset without request latencies).
std::string primary_latency_metric(const std::vector<std::string>& present);
// The quality metric: accuracy when present, else the reference perplexity; "" when none.
std::string primary_quality_metric(const std::vector<std::string>& present);

// "1.23e-05", "0.0153", "123.4": 4 significant digits for people.
std::string format_value(double v);

}  // namespace wattserve::report
