// The shared tables (report_tables.h).
#include "report/report_tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/metrics.h"

namespace wattserve::report {

namespace {

std::string median_of(const ConfigSummary& c, const std::string& id) {
  const auto* m = c.find(id);
  return m ? format_value(m->summary.median) : "";
}

std::string pooled_p99(const ConfigSummary& c) {
  for (const auto& r : c.requests) {
    if (r.column == "e2e_s") return value_with_interval(r.p99, r.p99.estimate);
  }
  return "";
}

std::string p_text(double p) {
  return std::isfinite(p) ? (p < 1e-4 ? "<0.0001" : fmt::format("{:.3g}", p)) : "n/a";
}

}  // namespace

std::string value_with_interval(const stats::Interval& i, double estimate) {
  if (!i.valid) return format_value(estimate);
  return fmt::format("{} [{}, {}]", format_value(estimate), format_value(i.low),
                     format_value(i.high));
}

TextTable summary_table(const DatasetAnalysis& a, double confidence) {
  TextTable t;
  const auto& e = metric(a.energy_metric);
  t.header = {"configuration",
              "runs",
              fmt::format("{} ({}), median [{:.0f}% CI]", e.label, e.unit, confidence * 100),
              "CV",
              "outliers",
              "J/request",
              "W",
              "E2E p50 (s)",
              "E2E p99 (s)",
              "pooled E2E p99 (s) [CI]"};
  const auto energy = headline_energy_metrics(a);
  const bool per_item = energy.size() > 1;
  if (per_item) t.header.insert(t.header.begin() + 3, "J per item, median [CI]");
  if (!a.throughput_metric.empty()) t.header.push_back(metric(a.throughput_metric).label);
  if (!a.quality_metric.empty()) t.header.push_back(metric(a.quality_metric).label);
  t.numeric.assign(t.header.size(), true);
  t.numeric[0] = false;
  for (const auto& c : a.configs) {
    const auto* m = c.find(e.id);
    std::vector<std::string> row = {
        a.data.configs[c.config].label,
        std::to_string(a.data.configs[c.config].runs.size()),
        m ? value_with_interval(m->median_ci, m->summary.median) : "",
        m && std::isfinite(m->summary.cv) ? fmt::format("{:.1f}%", m->summary.cv * 100) : "",
        m ? std::to_string(m->outlier_runs.size()) : "",
        median_of(c, "joules_per_request"),
        median_of(c, "avg_watts"),
        median_of(c, "e2e_p50"),
        median_of(c, "e2e_p99"),
        pooled_p99(c)};
    if (per_item) {
      const auto* item = c.find("joules_per_item");
      row.insert(row.begin() + 3,
                 item ? value_with_interval(item->median_ci, item->summary.median) : "");
    }
    if (!a.throughput_metric.empty()) row.push_back(median_of(c, a.throughput_metric));
    if (!a.quality_metric.empty()) row.push_back(median_of(c, a.quality_metric));
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::vector<std::string> headline_energy_metrics(const DatasetAnalysis& a) {
  std::vector<std::string> out = {a.energy_metric};
  const auto present = a.data.present_metrics();
  if (a.energy_metric != "joules_per_item" &&
      std::find(present.begin(), present.end(), "joules_per_item") != present.end()) {
    out.push_back("joules_per_item");
  }
  return out;
}

TextTable factor_table(const DatasetAnalysis& a, const std::vector<std::string>& metrics) {
  TextTable t;
  t.header = {"factor",
              "within",
              "metric",
              "Kruskal-Wallis H",
              "p",
              "A",
              "B",
              "median A",
              "median B",
              "B/A",
              "Mann-Whitney U",
              "p (Holm)",
              "Cliff's delta",
              "magnitude",
              "A12"};
  t.numeric = {false, false, false, true, true, false, false, true,
               true,  true,  true,  true, true, false, true};
  for (const auto& f : a.factor_tests) {
    if (!metrics.empty() && std::find(metrics.begin(), metrics.end(), f.metric) == metrics.end()) {
      continue;
    }
    for (const auto& p : f.pairs) {
      t.rows.push_back(
          {f.factor, f.stratum, f.metric,
           f.kruskal.valid ? fmt::format("{:.4g}", f.kruskal.statistic) : "n/a",
           p_text(f.kruskal.valid ? f.kruskal.p : NAN), p.a, p.b, format_value(p.median_a),
           format_value(p.median_b), fmt::format("{:.3f}", p.ratio),
           p.mann_whitney.valid ? fmt::format("{:.4g}", p.mann_whitney.statistic) : "n/a",
           p_text(p.p_holm), fmt::format("{:.3f}", p.cliffs_delta), p.magnitude,
           fmt::format("{:.3f}", p.a12)});
    }
  }
  return t;
}

TextTable comparison_table(const Comparison& c) {
  TextTable t;
  t.header = {"configuration", "metric",           "n " + c.base,
              "n " + c.other,  "median " + c.base, "median " + c.other,
              "ratio [CI]",    "Mann-Whitney p"};
  t.numeric = {false, false, true, true, true, true, true, true};
  for (const auto& r : c.rows) {
    t.rows.push_back({r.config, r.metric, std::to_string(r.n_base), std::to_string(r.n_new),
                      format_value(r.median_base), format_value(r.median_new),
                      r.ratio.valid ? fmt::format("{:.3f} [{:.3f}, {:.3f}]", r.ratio.estimate,
                                                  r.ratio.low, r.ratio.high)
                                    : fmt::format("{:.3f}", r.ratio.estimate),
                      p_text(r.mann_whitney.valid ? r.mann_whitney.p : NAN)});
  }
  return t;
}

}  // namespace wattserve::report
