// The metric table of `wattserve report` (metrics.h).
#include "report/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace wattserve::report {

namespace {

MetricDef def(std::string id, std::string label, std::string unit, std::string path,
              std::string group, Better better = Better::kLower, std::string column = "") {
  return MetricDef{std::move(id),    std::move(label), std::move(unit),  std::move(path),
                   std::move(group), better,           std::move(column)};
}

bool has(const std::vector<std::string>& present, const char* id) {
  return std::find(present.begin(), present.end(), id) != present.end();
}

}  // namespace

const std::vector<MetricDef>& metric_catalogue() {
  static const std::vector<MetricDef> table = {
      def("joules_per_output_token", "J per output token", "J/token",
          "/metrics/joules_per_output_token", "energy"),
      def("joules_per_token", "J per token (input + output)", "J/token",
          "/metrics/joules_per_token", "energy"),
      def("joules_per_item", "J per item", "J/item", "/metrics/joules_per_item", "energy"),
      def("joules_per_request", "J per request", "J/request", "/metrics/joules_per_request",
          "energy"),
      def("dynamic_joules_per_output_token", "dynamic J per output token", "J/token",
          "/metrics/dynamic_joules_per_output_token", "energy"),
      def("dynamic_joules", "dynamic J (above idle)", "J", "/metrics/dynamic_joules", "energy"),
      def("avg_watts", "average power", "W", "/metrics/avg_watts", "energy"),
      def("ttft_p50", "TTFT p50", "s", "/timings/ttft_s/p50", "latency"),
      def("ttft_p99", "TTFT p99", "s", "/timings/ttft_s/p99", "latency", Better::kLower, "ttft_s"),
      def("tpot_p50", "TPOT p50", "s", "/timings/tpot_s/p50", "latency"),
      def("tpot_p99", "TPOT p99", "s", "/timings/tpot_s/p99", "latency", Better::kLower, "tpot_s"),
      def("e2e_p50", "E2E latency p50", "s", "/timings/e2e_s/p50", "latency"),
      def("e2e_p99", "E2E latency p99", "s", "/timings/e2e_s/p99", "latency", Better::kLower,
          "e2e_s"),
      def("slo_attainment", "SLO attainment", "fraction", "/metrics/slo_attainment", "latency",
          Better::kHigher),
      def("output_tokens_per_s", "output tokens per second", "tokens/s",
          "/metrics/output_tokens_per_s", "throughput", Better::kHigher),
      def("items_per_s", "items per second", "items/s", "/metrics/items_per_s", "throughput",
          Better::kHigher),
      def("requests_per_s", "requests per second", "requests/s", "/metrics/requests_per_s",
          "throughput", Better::kHigher),
      def("accuracy", "accuracy", "fraction", "/metrics/accuracy", "quality", Better::kHigher),
      def("reference_perplexity", "reference perplexity", "", "/metrics/reference_perplexity",
          "quality"),
  };
  return table;
}

const MetricDef& metric(const std::string& id) {
  std::string known;
  for (const auto& m : metric_catalogue()) {
    if (m.id == id) return m;
    known += (known.empty() ? "" : ", ") + m.id;
  }
  throw std::invalid_argument(fmt::format("unknown metric '{}' (known: {})", id, known));
}

std::optional<double> metric_value(const nlohmann::json& record, const MetricDef& d) {
  const nlohmann::json::json_pointer ptr(d.path);
  if (!record.contains(ptr)) return std::nullopt;
  const auto& v = record.at(ptr);
  if (!v.is_number()) return std::nullopt;
  const double x = v.get<double>();
  if (!std::isfinite(x)) return std::nullopt;
  return x;
}

std::string primary_energy_metric(const std::vector<std::string>& present) {
  for (const char* id : {"joules_per_output_token", "joules_per_item", "joules_per_request"}) {
    if (has(present, id)) return id;
  }
  return "avg_watts";
}

std::string primary_latency_metric(const std::vector<std::string>& present) {
  for (const char* id : {"e2e_p99", "ttft_p99"}) {
    if (has(present, id)) return id;
  }
  return "";
}

std::string primary_quality_metric(const std::vector<std::string>& present) {
  for (const char* id : {"accuracy", "reference_perplexity"}) {
    if (has(present, id)) return id;
  }
  return "";
}

std::string format_value(double v) {
  if (!std::isfinite(v)) return "n/a";
  const double a = std::fabs(v);
  if (a != 0 && (a < 1e-3 || a >= 1e6)) return fmt::format("{:.3e}", v);
  return fmt::format("{:.4g}", v);
}

}  // namespace wattserve::report
