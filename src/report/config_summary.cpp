// Per-configuration summaries (analysis.h, docs/report.md "Per configuration").
#include <algorithm>

#include "report/analysis.h"
#include "report/metrics.h"

namespace wattserve::report {

const MetricSummary* ConfigSummary::find(const std::string& metric) const {
  for (const auto& m : metrics) {
    if (m.metric == metric) return &m;
  }
  return nullptr;
}

std::vector<double> config_values(const LoadedDataset& d, size_t config, const std::string& id,
                                  std::vector<std::string>* run_ids) {
  const auto& def = metric(id);
  std::vector<double> out;
  for (size_t r : d.configs.at(config).runs) {
    if (auto v = metric_value(d.runs[r].record, def)) {
      out.push_back(*v);
      if (run_ids) run_ids->push_back(d.runs[r].id);
    }
  }
  return out;
}

ConfigSummary summarize_config(const LoadedDataset& d, size_t config,
                               const ReportOptions& options) {
  ConfigSummary out;
  out.config = config;
  stats::BootstrapOptions boot{options.resamples, options.confidence, options.seed + config};
  // The request columns behind the latency metrics, each run's requests CSV read once.
  std::vector<std::string> columns;
  for (const auto& def : metric_catalogue()) {
    if (!def.request_column.empty()) columns.push_back(def.request_column);
  }
  std::vector<std::vector<double>> pooled(columns.size());
  for (size_t r : d.configs[config].runs) {
    auto cols = request_columns(d.runs[r], columns);
    for (size_t c = 0; c < columns.size(); ++c) {
      pooled[c].insert(pooled[c].end(), cols[c].begin(), cols[c].end());
    }
  }
  for (const auto& def : metric_catalogue()) {
    std::vector<std::string> ids;
    const auto values = config_values(d, config, def.id, &ids);
    if (values.empty()) continue;
    MetricSummary m;
    m.metric = def.id;
    m.summary = stats::summarize(values);
    m.median_ci = stats::bootstrap_quantile(values, 0.5, boot);
    for (size_t i : m.summary.outliers) m.outlier_runs.push_back(ids[i]);
    out.metrics.push_back(std::move(m));
    if (def.request_column.empty()) continue;
    const auto c = static_cast<size_t>(
        std::find(columns.begin(), columns.end(), def.request_column) - columns.begin());
    if (pooled[c].empty()) continue;
    RequestLatency rl;
    rl.column = def.request_column;
    rl.n = pooled[c].size();
    rl.p50 = stats::quantile(pooled[c], 0.5);
    rl.p99 = stats::bootstrap_quantile(pooled[c], 0.99, boot);
    out.requests.push_back(std::move(rl));
  }
  return out;
}

}  // namespace wattserve::report
