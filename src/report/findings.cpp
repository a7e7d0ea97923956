// The statistics in words (analysis.h, docs/report.md "Findings"): what differs, by how much and
// how sure we are, one sentence per finding.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/analysis.h"
#include "report/metrics.h"

namespace wattserve::report {

namespace {

std::string pval(double p) {
  if (!std::isfinite(p)) return "p n/a";
  if (p < 1e-4) return "p < 0.0001";
  return fmt::format("p = {:.2g}", p);
}

std::string with_ci(const stats::Interval& i, double estimate, const std::string& unit,
                    double confidence) {
  if (!i.valid) return fmt::format("{} {}", format_value(estimate), unit);
  return fmt::format("{} {} ({:.0f}% CI {} to {})", format_value(estimate), unit, confidence * 100,
                     format_value(i.low), format_value(i.high));
}

std::string plural(size_t n, const char* word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string percent_change(double ratio) {
  if (!std::isfinite(ratio)) return "n/a";
  return ratio < 1 ? fmt::format("{:.1f}% less", (1 - ratio) * 100)
                   : fmt::format("{:.1f}% more", (ratio - 1) * 100);
}

void energy_extremes(const DatasetAnalysis& a, const ReportOptions& o,
                     std::vector<std::string>& out) {
  const auto& def = metric(a.energy_metric);
  size_t lo = SIZE_MAX, hi = SIZE_MAX;
  for (size_t c = 0; c < a.configs.size(); ++c) {
    const auto* m = a.configs[c].find(def.id);
    if (!m) continue;
    if (lo == SIZE_MAX || m->summary.median < a.configs[lo].find(def.id)->summary.median) lo = c;
    if (hi == SIZE_MAX || m->summary.median > a.configs[hi].find(def.id)->summary.median) hi = c;
  }
  if (lo == SIZE_MAX || lo == hi) return;
  const auto* ml = a.configs[lo].find(def.id);
  const auto* mh = a.configs[hi].find(def.id);
  if (!(ml->summary.median > 0)) {
    out.push_back(
        fmt::format("Some {} medians are zero or negative ({}): not an energy a run can "
                    "use; check the records.",
                    def.label, a.data.configs[lo].label));
    return;
  }
  out.push_back(fmt::format("Least {}: {}, median {} over {}; most: {}, {} ({} times the least).",
                            def.label, a.data.configs[lo].label,
                            with_ci(ml->median_ci, ml->summary.median, def.unit, o.confidence),
                            plural(ml->summary.n, "run"), a.data.configs[hi].label,
                            with_ci(mh->median_ci, mh->summary.median, def.unit, o.confidence),
                            format_value(mh->summary.median / ml->summary.median)));
}

void factor_findings(const DatasetAnalysis& a, const ReportOptions& o,
                     std::vector<std::string>& out) {
  // The primary energy metric first, then J per item (classifiers beside text models).
  std::vector<const FactorTest*> tests;
  for (const auto& t : a.factor_tests) {
    if (t.metric == a.energy_metric) tests.push_back(&t);
  }
  for (const auto& t : a.factor_tests) {
    if (t.metric == "joules_per_item" && a.energy_metric == "joules_per_output_token") {
      tests.push_back(&t);
    }
  }
  // Then the latency that the Pareto plane and the deadline query use.
  for (const auto& t : a.factor_tests) {
    if (!a.latency_metric.empty() && t.metric == a.latency_metric) tests.push_back(&t);
  }
  for (const auto* tp : tests) {
    const auto& t = *tp;
    const auto& def = metric(t.metric);
    const std::string where = t.stratum.empty() ? "" : fmt::format("With {}, ", t.stratum);
    if (!t.kruskal.valid) continue;
    if (t.kruskal.p >= o.alpha) {
      out.push_back(
          fmt::format("{}o evidence that {} changes {} (Kruskal-Wallis H = {:.3g}, {}; "
                      "{} levels, {} runs).",
                      where.empty() ? "N" : where + "n", t.factor, def.label, t.kruskal.statistic,
                      pval(t.kruskal.p), t.groups.size(), [&] {
                        size_t n = 0;
                        for (const auto& g : t.groups) n += g.n;
                        return n;
                      }()));
      continue;
    }
    // The best level against every other one.
    const auto best =
        std::min_element(t.groups.begin(), t.groups.end(),
                         [](const auto& x, const auto& y) { return x.median < y.median; });
    // Kruskal-Wallis says the levels differ somewhere; the pairs say where, and may all be
    // unsure with few runs a level (docs/report.md "Per factor").
    const bool any_sure = std::any_of(t.pairs.begin(), t.pairs.end(),
                                      [&](const PairTest& p) { return p.p_holm < o.alpha; });
    std::string s = fmt::format(
        "{}{} differs across the levels of {} (Kruskal-Wallis H = {:.3g}, {}{}). {}={} has the "
        "least ({} median):",
        where, def.label, t.factor, t.kruskal.statistic, pval(t.kruskal.p),
        any_sure ? "" : "; no pair of levels is sure after Holm's correction", t.factor,
        best->level, format_value(best->median));
    for (const auto& p : t.pairs) {
      if (p.a != best->level && p.b != best->level) continue;
      const bool best_is_a = p.a == best->level;
      const auto& other = best_is_a ? p.b : p.a;
      const double ratio = best_is_a ? 1 / p.ratio : p.ratio;             // best / other
      const double delta = best_is_a ? p.cliffs_delta : -p.cliffs_delta;  // other vs best
      s += fmt::format(
          " {} than {} ({}; Holm-adjusted Mann-Whitney {}; Cliff's delta {:.2f}, {}{})"
          ";",
          percent_change(ratio), other, p.p_holm < o.alpha ? "sure" : "not sure", pval(p.p_holm),
          delta, p.magnitude, std::fabs(delta) == 1.0 ? ": no overlap between the runs" : "");
    }
    s.back() = '.';
    out.push_back(s);
  }
}

void sampling_findings(const DatasetAnalysis& a, const ReportOptions& o,
                       std::vector<std::string>& out) {
  for (const auto& s : a.sampling) {
    const auto& def = metric(s.metric);
    if (!s.regression.valid) {
      out.push_back(fmt::format("The regression of log {} could not be fitted: {}.", def.label,
                                s.regression.note));
      continue;
    }
    // Numeric factors (per standard deviation) and categorical levels (0/1 columns, against the
    // first level), each in order of effect size.
    std::vector<const stats::Coefficient*> coefs, levels;
    for (size_t j = 1; j < s.regression.coefficients.size(); ++j) {
      const auto* c = &s.regression.coefficients[j];
      (c->name.find(" (against ") == std::string::npos ? coefs : levels).push_back(c);
    }
    const auto by_size = [](const auto* x, const auto* y) {
      return std::fabs(x->estimate) > std::fabs(y->estimate);
    };
    std::sort(coefs.begin(), coefs.end(), by_size);
    std::sort(levels.begin(), levels.end(), by_size);
    const double ci = o.confidence * 100;
    std::string txt = fmt::format(
        "{} {} most: one standard deviation more multiplies it by {:.3f} ({:.0f}% CI {:.3f} to "
        "{:.3f}).",
        coefs.size() > 1
            ? fmt::format("Of the {} sampled factors, {} moves", coefs.size(), s.strongest)
            : fmt::format("{} moves", s.strongest),
        def.label, std::exp(coefs[0]->estimate), ci, std::exp(coefs[0]->low),
        std::exp(coefs[0]->high));
    txt += fmt::format(" Regression of log {} on the standardised factors: R^2 = {:.3f} (n = {}).",
                       def.label, s.regression.r2, s.regression.n);
    for (size_t j = 1; j < coefs.size(); ++j) {
      txt += fmt::format(" {}: x{:.3f} per SD (CI {:.3f} to {:.3f}, {}).", coefs[j]->name,
                         std::exp(coefs[j]->estimate), std::exp(coefs[j]->low),
                         std::exp(coefs[j]->high), pval(coefs[j]->p));
    }
    for (const auto* c : levels) {
      txt += fmt::format(" {}: x{:.3f} (CI {:.3f} to {:.3f}, {}).", c->name, std::exp(c->estimate),
                         std::exp(c->low), std::exp(c->high), pval(c->p));
    }
    for (const auto& c : s.correlations) {
      if (c.spearman.valid) {
        txt += fmt::format(" Spearman {} rho = {:.3f} ({}).", c.factor, c.spearman.statistic,
                           pval(c.spearman.p));
      }
    }
    out.push_back(txt);
  }
}

void pareto_findings(const DatasetAnalysis& a, const ReportOptions& o,
                     std::vector<std::string>& out) {
  const auto& p = a.pareto;
  for (const auto& f : p.fronts) {
    if (f.front.empty()) continue;
    std::string s =
        fmt::format("Pareto front of {} and {}:", metric(p.objectives[f.x].metric).label,
                    metric(p.objectives[f.y].metric).label);
    for (size_t i : f.front) {
      const auto& conf = a.data.configs[p.points[i].config];
      s +=
          conf.runs.size() < 2 || o.front_resamples == 0
              ? fmt::format(" {} ({}: no resampling);", conf.label, plural(conf.runs.size(), "run"))
              : fmt::format(" {} (on the front in {:.0f}% of resamples);", conf.label,
                            f.probability[i] * 100);
    }
    s.back() = '.';
    out.push_back(s);
  }
  const auto& q = p.query;
  if (!q.asked) return;
  std::string cond;
  if (!q.latency_metric.empty()) {
    cond = fmt::format("{} <= {} s", metric(q.latency_metric).label, format_value(q.deadline_s));
  }
  if (!q.quality_metric.empty()) {
    const bool up = metric(q.quality_metric).better == Better::kHigher;
    cond += fmt::format("{}{} {} {}", cond.empty() ? "" : " and ", metric(q.quality_metric).label,
                        up ? ">=" : "<=", format_value(q.quality_floor));
  }
  if (cond.empty()) cond = "no condition that applies";
  if (!q.found) {
    out.push_back(fmt::format("Least energy with {}: none ({}).", cond, q.note));
    return;
  }
  const auto& def = metric(q.energy_metric);
  const auto& answer = a.data.configs[q.config];
  out.push_back(fmt::format(
      "Least energy with {}: {}, {} ({}; {} of {} configurations meet the conditions{}){}.", cond,
      answer.label, with_ci(q.energy, q.energy.estimate, def.unit, o.confidence),
      answer.runs.size() < 2 || o.front_resamples == 0
          ? plural(answer.runs.size(), "run") + ": no resampling"
          : fmt::format("the answer in {:.0f}% of resamples", q.probability_best * 100),
      q.feasible, a.configs.size(), q.runner_up.empty() ? "" : "; runner-up " + q.runner_up,
      q.note.empty() ? "" : " (" + q.note + ")"));
}

void proportionality_findings(const DatasetAnalysis& a, std::vector<std::string>& out) {
  for (const auto& p : a.proportionality) {
    const auto& def = metric(p.energy_metric);
    const auto& first = p.levels.front();
    const auto& last = p.levels.back();
    out.push_back(fmt::format(
        "{}{}: {} goes from {} at {} = {} to {} at {} ({:.2f}x){}; idle power is {} of the power "
        "at the highest throughput; proportionality index {}.",
        p.stratum.empty() ? "" : "With " + p.stratum + ", ", p.factor, def.label,
        format_value(first.energy_per_item.estimate), p.factor, level_text(first.x),
        format_value(last.energy_per_item.estimate), level_text(last.x),
        last.energy_per_item.estimate / first.energy_per_item.estimate,
        std::isfinite(p.knee_x) ? fmt::format(", knee at {}", level_text(p.knee_x)) : "",
        std::isfinite(p.idle_share) ? fmt::format("{:.0f}%", p.idle_share * 100) : "unknown",
        std::isfinite(p.index) ? fmt::format("{:.2f}", p.index) : "n/a"));
  }
}

}  // namespace

std::vector<std::string> findings(const DatasetAnalysis& a, const ReportOptions& options) {
  std::vector<std::string> out;
  const auto& d = a.data;
  const bool estimate = std::find(d.energy_sources.begin(), d.energy_sources.end(), "estimate") !=
                        d.energy_sources.end();
  out.push_back(fmt::format(
      "{} measured {} of {}{}. Energy source: {}.{}", d.runs.size(),
      d.runs.size() == 1 ? "run" : "runs", plural(d.configs.size(), "configuration"),
      d.factors.empty() ? "" : fmt::format(" (factors: {})", fmt::join(d.factors, ", ")),
      d.energy_sources.empty() ? "unknown" : fmt::format("{}", fmt::join(d.energy_sources, ", ")),
      estimate ? " These energies are an estimate (CPU utilisation x TDP model, RAM from installed "
                 "memory; docs/measurement.md), not a measurement: they follow time and load."
               : ""));
  energy_extremes(a, options, out);
  factor_findings(a, options, out);
  sampling_findings(a, options, out);
  pareto_findings(a, options, out);
  proportionality_findings(a, out);
  size_t outliers = 0;
  for (const auto& c : a.configs) {
    const auto* m = c.find(a.energy_metric);
    if (m) outliers += m->outlier_runs.size();
  }
  if (outliers > 0) {
    out.push_back(
        fmt::format("{} outside Tukey's fences for {} (listed per configuration in the JSON "
                    "and the tables).",
                    outliers == 1 ? "1 run lies" : fmt::format("{} runs lie", outliers),
                    metric(a.energy_metric).label));
  }
  return out;
}

}  // namespace wattserve::report
