// Run against run (analysis.h, docs/report.md "Run against run"): configurations with the same
// factor levels in two datasets, each metric's ratio of medians with its BCa interval and a
// Mann-Whitney p, as benchstat does for two runs of a benchmark.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "report/analysis.h"
#include "report/metrics.h"

namespace wattserve::report {

Comparison compare(const DatasetAnalysis& base, const DatasetAnalysis& other,
                   const ReportOptions& options) {
  Comparison out;
  out.base = base.data.label;
  out.other = other.data.label;
  std::map<std::string, size_t> base_keys;
  for (size_t c = 0; c < base.data.configs.size(); ++c) base_keys[base.data.configs[c].key] = c;
  std::vector<std::string> metrics;
  for (const auto& m :
       {base.energy_metric, std::string("joules_per_request"), std::string("avg_watts"),
        std::string("e2e_p50"), std::string("ttft_p50"), base.throughput_metric}) {
    if (!m.empty() && std::find(metrics.begin(), metrics.end(), m) == metrics.end()) {
      metrics.push_back(m);
    }
  }
  std::vector<bool> matched(base.data.configs.size(), false);
  for (size_t c = 0; c < other.data.configs.size(); ++c) {
    const auto& oc = other.data.configs[c];
    const auto it = base_keys.find(oc.key);
    if (it == base_keys.end()) {
      out.unmatched.push_back(fmt::format("{} (only in {})", oc.label, out.other));
      continue;
    }
    matched[it->second] = true;
    for (const auto& m : metrics) {
      const auto a = config_values(base.data, it->second, m);
      const auto b = config_values(other.data, c, m);
      if (a.empty() || b.empty()) continue;
      ComparisonRow row;
      row.config = oc.label;
      row.metric = m;
      row.n_base = a.size();
      row.n_new = b.size();
      row.median_base = stats::median(a);
      row.median_new = stats::median(b);
      stats::BootstrapOptions boot{options.resamples, options.confidence, options.seed + c};
      row.ratio = stats::bootstrap_ratio_quantile(a, b, 0.5, boot);
      row.ratio.estimate = row.median_new / row.median_base;
      row.mann_whitney = stats::mann_whitney_u(b, a);
      out.rows.push_back(std::move(row));
    }
  }
  for (const auto& row : out.rows) {
    if (row.metric != base.energy_metric) continue;
    const auto& def = metric(row.metric);
    const double r = row.ratio.estimate;
    const bool sure = row.mann_whitney.valid && row.mann_whitney.p < options.alpha &&
                      row.ratio.valid && (row.ratio.high < 1 || row.ratio.low > 1);
    out.findings.push_back(fmt::format(
        "{}: {} in {} is {:.3f}x that in {} ({}{}; Mann-Whitney p = {}; {} vs {} runs): {}.",
        row.config, def.label, out.other, r, out.base,
        row.ratio.valid ? fmt::format("{:.0f}% CI {:.3f} to {:.3f}", options.confidence * 100,
                                      row.ratio.low, row.ratio.high)
                        : "no interval",
        "", row.mann_whitney.valid ? format_value(row.mann_whitney.p) : "n/a", row.n_new,
        row.n_base,
        sure ? (r < 1 ? fmt::format("{:.1f}% less, a real change", (1 - r) * 100)
                      : fmt::format("{:.1f}% more, a real change", (r - 1) * 100))
             : "no evidence of a change"));
  }
  for (size_t c = 0; c < matched.size(); ++c) {
    if (!matched[c]) {
      out.unmatched.push_back(fmt::format("{} (only in {})", base.data.configs[c].label, out.base));
    }
  }
  return out;
}

}  // namespace wattserve::report
