// report_document(): the HTML report's sections, tables and plots (report_outputs.h,
// docs/report.md "The HTML file").
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "report/html/vega_specs.h"
#include "report/metrics.h"
#include "report/report_outputs.h"
#include "report/report_tables.h"

namespace wattserve::report {

namespace {

HtmlTable html_table(const TextTable& t, std::string caption) {
  return HtmlTable{std::move(caption), t.header, t.rows, t.numeric};
}

std::string axis_title(const std::string& id) {
  const auto& m = metric(id);
  return m.unit.empty() ? m.label : fmt::format("{} ({})", m.label, m.unit);
}

void factor_plots(const DatasetAnalysis& a, const std::string& metric_id, const std::string& prefix,
                  HtmlSection& s) {
  const auto& d = a.data;
  const auto& def = metric(metric_id);
  // Every configuration.
  std::vector<vega::GroupValue> all;
  for (const auto& run : d.runs) {
    if (auto v = metric_value(run.record, def)) all.push_back({d.configs[run.config].label, *v});
  }
  s.blocks.push_back(HtmlPlot{prefix + "box-" + metric_id + "-configs",
                              def.label + " by configuration",
                              "One point per run; boxes: quartiles, whiskers at 1.5 IQR "
                              "(docs/report.md \"Per configuration\").",
                              vega::box_plot(all, "configuration", axis_title(def.id))});
  for (const auto& f : d.factors) {
    if (is_sampled_factor(d, f)) continue;  // see the partial dependence
    const auto strata = stratum_labels(d, f);
    std::vector<vega::GroupValue> values;
    for (const auto& run : d.runs) {
      const auto& fac = d.configs[run.config].factors;
      if (!fac.contains(f)) continue;
      const auto v = metric_value(run.record, def);
      if (!v) continue;
      const auto& stratum = strata[run.config];
      values.push_back(
          {(stratum.empty() ? "" : stratum + " | ") + f + "=" + level_text(fac.at(f)), *v});
    }
    if (values.empty()) continue;
    std::sort(values.begin(), values.end(),
              [](const auto& x, const auto& y) { return x.group < y.group; });
    std::string id = f;
    std::replace_if(
        id.begin(), id.end(), [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)); },
        '-');
    s.blocks.push_back(HtmlPlot{prefix + "box-" + metric_id + "-" + id, def.label + " by " + f,
                                "Levels of " + f +
                                    " side by side within each combination of "
                                    "the other factors (the groups the tests compare).",
                                vega::box_plot(values, f, axis_title(def.id))});
  }
}

void statistics_section(const DatasetAnalysis& a, double conf, const std::string& prefix,
                        HtmlSection& s) {
  HtmlList words;
  for (const auto& f : a.findings) words.items.push_back(f);
  s.blocks.push_back(words);
  const auto energy = headline_energy_metrics(a);
  if (!a.factor_tests.empty()) {
    std::set<std::string> notes;
    for (const auto& t : a.factor_tests) {
      if (std::find(energy.begin(), energy.end(), t.metric) == energy.end()) continue;
      notes.insert(fmt::format("{} ({}{}): {}.", t.factor, t.metric,
                               t.stratum.empty() ? "" : ", " + t.stratum, t.which_tests));
    }
    HtmlList normal;
    size_t shown = 0;
    for (const auto& n : notes) {
      if (shown++ < 20) normal.items.push_back(n);
    }
    s.blocks.push_back(
        HtmlParagraph{"Normality (Shapiro-Wilk per level) and the tests it allows:"});
    s.blocks.push_back(normal);
    s.blocks.push_back(html_table(
        factor_table(a, energy),
        "Pairwise two-sided Mann-Whitney U with Holm's correction, Cliff's delta (B against A) "
        "and Vargha-Delaney A12 = P(B > A), on energy; every metric's tests are in the JSON "
        "(--json) and CSV (--csv) outputs."));
  }
  for (const auto& sa : a.sampling) {
    if (!sa.regression.valid) continue;
    std::vector<vega::BarValue> bars;
    for (size_t j = 1; j < sa.regression.coefficients.size(); ++j) {
      const auto& c = sa.regression.coefficients[j];
      bars.push_back({c.name, c.estimate, c.low, c.high});
    }
    s.blocks.push_back(HtmlPlot{
        prefix + "coef-" + sa.metric,
        fmt::format("log {}: standardised coefficients (R^2 = {:.3f})", metric(sa.metric).label,
                    sa.regression.r2),
        fmt::format(
            "Change in log energy per standard deviation of each sampled factor (and for each "
            "level of a set factor against its first), with its {:.0f}% t interval; "
            "exp(coefficient) is the factor by which energy is multiplied.",
            conf * 100),
        vega::interval_bars(bars, "coefficient (log scale units)", 0.0)});
    for (const auto& pd : sa.partial_dependence) {
      std::vector<vega::SeriesPoint> pts;
      for (size_t i = 0; i < pd.x.size(); ++i) {
        pts.push_back({"partial dependence", pd.x[i], pd.y[i], NAN, NAN});
      }
      for (size_t i = 0; i < pd.observed_x.size(); ++i) {
        pts.push_back({"runs", pd.observed_x[i], pd.observed_y[i], NAN, NAN, true});
      }
      std::string id = pd.factor;
      std::replace_if(
          id.begin(), id.end(),
          [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)); }, '-');
      s.blocks.push_back(HtmlPlot{
          prefix + "pd-" + sa.metric + "-" + id,
          fmt::format("Partial dependence of {} on {}", metric(sa.metric).label, pd.factor),
          "The regression's mean prediction with this factor set to x and the others as "
          "observed (docs/report.md \"Sampling studies\"), over the runs' values.",
          vega::line_chart(pts, pd.factor, axis_title(sa.metric))});
    }
  }
}

void pareto_section(const DatasetAnalysis& a, double conf, const std::string& prefix,
                    HtmlSection& s) {
  const auto& p = a.pareto;
  for (const auto& f : p.fronts) {
    std::vector<vega::ScatterPoint> pts;
    for (size_t i = 0; i < p.points.size(); ++i) {
      const auto& pt = p.points[i];
      if (!std::isfinite(pt.value[f.x]) || !std::isfinite(pt.value[f.y])) continue;
      vega::ScatterPoint sp;
      sp.label = a.data.configs[pt.config].label;
      sp.x = pt.value[f.x];
      sp.y = pt.value[f.y];
      sp.x_low = pt.interval[f.x].valid ? pt.interval[f.x].low : NAN;
      sp.x_high = pt.interval[f.x].valid ? pt.interval[f.x].high : NAN;
      sp.y_low = pt.interval[f.y].valid ? pt.interval[f.y].low : NAN;
      sp.y_high = pt.interval[f.y].valid ? pt.interval[f.y].high : NAN;
      sp.on_front = std::find(f.front.begin(), f.front.end(), i) != f.front.end();
      sp.front_probability = f.probability[i];
      pts.push_back(sp);
    }
    if (pts.size() < 2) continue;
    // The plot shows both as minimised or maximised as the objective says.
    s.blocks.push_back(HtmlPlot{
        fmt::format("{}pareto-{}-{}", prefix, f.x, f.y),
        fmt::format("{} against {}", metric(p.objectives[f.x].metric).label,
                    metric(p.objectives[f.y].metric).label),
        fmt::format("Medians over runs with {:.0f}% BCa intervals; the line joins the Pareto "
                    "front; point size: the share of bootstrap resamples in which the "
                    "configuration is on the front.",
                    conf * 100),
        vega::pareto_scatter(pts, axis_title(p.objectives[f.x].metric),
                             axis_title(p.objectives[f.y].metric))});
  }
  HtmlList front;
  for (size_t i : p.front_all) {
    std::string vals;
    for (size_t j = 0; j < p.objectives.size(); ++j) {
      vals += fmt::format("{}{} {}", j ? ", " : "", metric(p.objectives[j].metric).label,
                          format_value(p.points[i].value[j]));
    }
    front.items.push_back(fmt::format("{}: {} (on the front in {:.0f}% of resamples)",
                                      a.data.configs[p.points[i].config].label, vals,
                                      p.probability_all[i] * 100));
  }
  if (p.objectives.size() > 2) {
    s.blocks.push_back(HtmlParagraph{"The front of all objectives together:"});
    s.blocks.push_back(front);
  }
}

void proportionality_section(const DatasetAnalysis& a, double conf, const std::string& prefix,
                             HtmlSection& s) {
  // One plot per factor, one series per stratum (e.g. each server against streams); the knee
  // rule is drawn when there is one curve, the knees of all are in the caption and the table.
  std::vector<std::string> factors;
  for (const auto& pr : a.proportionality) {
    if (std::find(factors.begin(), factors.end(), pr.factor) == factors.end()) {
      factors.push_back(pr.factor);
    }
  }
  size_t k = 0;
  for (const auto& factor : factors) {
    std::vector<vega::SeriesPoint> pts;
    std::vector<std::string> notes;
    const Proportionality* only = nullptr;
    size_t curves = 0;
    for (const auto& pr : a.proportionality) {
      if (pr.factor != factor) continue;
      only = &pr;
      ++curves;
      const auto series = pr.stratum.empty() ? pr.factor : pr.stratum;
      for (const auto& l : pr.levels) {
        pts.push_back({series, l.x, l.energy_per_item.estimate,
                       l.energy_per_item.valid ? l.energy_per_item.low : NAN,
                       l.energy_per_item.valid ? l.energy_per_item.high : NAN});
      }
      notes.push_back(fmt::format(
          "{}: knee at {}, idle power {} of the power at the highest throughput, "
          "proportionality index {}",
          series, std::isfinite(pr.knee_x) ? level_text(pr.knee_x) : "none",
          std::isfinite(pr.idle_share) ? fmt::format("{:.0f}%", pr.idle_share * 100) : "unknown",
          std::isfinite(pr.index) ? fmt::format("{:.2f}", pr.index) : "n/a"));
    }
    const double knee = curves == 1 ? only->knee_x : NAN;
    s.blocks.push_back(HtmlPlot{
        fmt::format("{}prop-{}", prefix, k++),
        fmt::format("{} against {}", metric(only->energy_metric).label, factor),
        fmt::format("Median over runs with its {:.0f}% BCa band{} (docs/report.md \"Energy "
                    "proportionality\"). {}.",
                    conf * 100, curves == 1 ? "; the rule marks Kneedle's knee" : "",
                    fmt::join(notes, "; ")),
        vega::line_chart(pts, factor, axis_title(only->energy_metric), knee, "knee")});
  }
}

void timeline_section(const DatasetAnalysis& a, const ReportOptions& o, const std::string& prefix,
                      HtmlSection& s) {
  const auto& d = a.data;
  std::vector<size_t> chosen;
  if (!o.timeline_runs.empty()) {
    for (size_t r = 0; r < d.runs.size(); ++r) {
      if (std::find(o.timeline_runs.begin(), o.timeline_runs.end(), d.runs[r].id) !=
          o.timeline_runs.end()) {
        chosen.push_back(r);
      }
    }
    std::vector<std::string> missing;
    for (const auto& id : o.timeline_runs) {
      if (std::none_of(d.runs.begin(), d.runs.end(),
                       [&](const Run& run) { return run.id == id; })) {
        missing.push_back(id);
      }
    }
    if (!missing.empty()) {
      s.blocks.push_back(HtmlParagraph{fmt::format(
          "Not measured runs of this dataset (--timeline): {}.", fmt::join(missing, ", "))});
    }
  } else {
    // The run nearest its configuration's median energy, for the first configurations.
    for (size_t c = 0; c < d.configs.size() && chosen.size() < o.max_timelines; ++c) {
      const auto* m = a.configs[c].find(a.energy_metric);
      if (!m) continue;
      size_t best = SIZE_MAX;
      double gap = INFINITY;
      for (size_t r : d.configs[c].runs) {
        const auto v = metric_value(d.runs[r].record, metric(a.energy_metric));
        if (v && std::fabs(*v - m->summary.median) < gap && !d.runs[r].timeline_csv.empty()) {
          gap = std::fabs(*v - m->summary.median);
          best = r;
        }
      }
      if (best != SIZE_MAX) chosen.push_back(best);
    }
  }
  std::vector<vega::SeriesPoint> pts;
  for (size_t r : chosen) {
    const auto series = d.configs[d.runs[r].config].label + " (" + d.runs[r].id.substr(0, 8) + ")";
    for (const auto& p : power_timeline(d.runs[r]))
      pts.push_back({series, p.t_s, p.watts, NAN, NAN});
  }
  if (pts.empty()) {
    s.blocks.push_back(HtmlParagraph{"No power timeline was recorded for these runs."});
    return;
  }
  s.blocks.push_back(HtmlPlot{prefix + "power", "Power during chosen runs",
                              "Total power (sum of the meter's domains) against seconds since "
                              "the run's start; choose runs with --timeline RUN_ID.",
                              vega::timeline_chart(pts, "power (W)")});
}

}  // namespace

HtmlDocument report_document(const Report& r) {
  HtmlDocument doc;
  doc.title = "wattserve report";
  for (const auto& a : r.datasets) {
    doc.meta.push_back(fmt::format(
        "{}: study {} ({}), {} runs of {} configurations, energy "
        "source {}",
        a.data.dir, a.data.study_name, a.data.study_hash.substr(0, 12), a.data.runs.size(),
        a.data.configs.size(),
        a.data.energy_sources.empty() ? "unknown"
                                      : fmt::format("{}", fmt::join(a.data.energy_sources, ", "))));
  }
  doc.meta.push_back(
      fmt::format("{:.0f}% intervals from {} bootstrap resamples (BCa), seed {}; "
                  "formulas in docs/report.md",
                  r.options.confidence * 100, r.options.resamples, r.options.seed));
  for (size_t i = 0; i < r.datasets.size(); ++i) {
    const auto& a = r.datasets[i];
    const auto prefix = fmt::format("d{}-", i + 1);
    const auto name = r.datasets.size() > 1 ? a.data.label + ": " : std::string();
    HtmlSection summary{prefix + "summary", name + "Summary", {}};
    summary.blocks.push_back(HtmlParagraph{a.findings.empty() ? "" : a.findings.front()});
    summary.blocks.push_back(html_table(summary_table(a, r.options.confidence),
                                        "One row per configuration; medians over its runs."));
    for (const auto& m : headline_energy_metrics(a)) factor_plots(a, m, prefix, summary);
    doc.sections.push_back(std::move(summary));
    HtmlSection st{prefix + "statistics", name + "Statistics", {}};
    statistics_section(a, r.options.confidence, prefix, st);
    doc.sections.push_back(std::move(st));
    HtmlSection pa{prefix + "pareto", name + "Pareto fronts", {}};
    pareto_section(a, r.options.confidence, prefix, pa);
    if (!pa.blocks.empty()) doc.sections.push_back(std::move(pa));
    if (!a.proportionality.empty()) {
      HtmlSection pr{prefix + "proportionality", name + "Energy proportionality", {}};
      proportionality_section(a, r.options.confidence, prefix, pr);
      doc.sections.push_back(std::move(pr));
    }
    HtmlSection tl{prefix + "timelines", name + "Power timelines", {}};
    timeline_section(a, r.options, prefix, tl);
    doc.sections.push_back(std::move(tl));
  }
  for (size_t i = 0; i < r.comparisons.size(); ++i) {
    const auto& c = r.comparisons[i];
    HtmlSection s{fmt::format("cmp{}", i + 1), fmt::format("{} against {}", c.other, c.base), {}};
    HtmlList words;
    words.items = c.findings;
    for (const auto& u : c.unmatched) words.items.push_back("Unmatched: " + u);
    s.blocks.push_back(words);
    std::vector<vega::BarValue> bars;
    const auto& energy = r.datasets[0].energy_metric;
    for (const auto& row : c.rows) {
      if (row.metric != energy) continue;
      bars.push_back({row.config, row.ratio.estimate, row.ratio.valid ? row.ratio.low : NAN,
                      row.ratio.valid ? row.ratio.high : NAN});
    }
    if (!bars.empty()) {
      s.blocks.push_back(HtmlPlot{fmt::format("cmp{}-ratios", i + 1),
                                  fmt::format("{}: {} / {}", metric(energy).label, c.other, c.base),
                                  fmt::format("Ratio of medians with its {:.0f}% BCa interval; 1 = "
                                              "no change.",
                                              r.options.confidence * 100),
                                  vega::interval_bars(bars, "ratio", 1.0)});
    }
    s.blocks.push_back(html_table(comparison_table(c), "Every matching configuration and metric."));
    doc.sections.push_back(std::move(s));
  }
  return doc;
}

}  // namespace wattserve::report
