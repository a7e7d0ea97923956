// report_markdown() and write_csv_tables() (report_outputs.h).
#include <fmt/format.h>

#include <filesystem>

#include "bench/dataset.h"
#include "bench/stats.h"
#include "energy/core/atomic_file.h"
#include "report/metrics.h"
#include "report/report_outputs.h"
#include "report/report_tables.h"

namespace wattserve::report {

namespace {

std::string md_cell(std::string s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|')
      out += "\\|";
    else if (ch == '\n')
      out += ' ';
    else
      out += ch;
  }
  return out;
}

std::string markdown_table(const TextTable& t) {
  if (t.rows.empty()) return "(none)\n";
  std::string out = "|";
  for (const auto& h : t.header) out += " " + md_cell(h) + " |";
  out += "\n|";
  for (size_t i = 0; i < t.header.size(); ++i) {
    out += i < t.numeric.size() && t.numeric[i] ? "---:|" : "---|";
  }
  out += "\n";
  for (const auto& row : t.rows) {
    out += "|";
    for (const auto& c : row) out += " " + md_cell(c) + " |";
    out += "\n";
  }
  return out;
}

// A CSV cell: the number, or empty when not finite.
constexpr auto cell = bench::num;

}  // namespace

std::string report_markdown(const Report& r) {
  std::string out = "# wattserve report\n\n";
  for (const auto& a : r.datasets) {
    out += fmt::format("## {} (study {})\n\n", a.data.label, a.data.study_name);
    for (const auto& f : a.findings) out += "- " + md_cell(f) + "\n";
    out += "\n### Configurations\n\n" + markdown_table(summary_table(a, r.options.confidence));
    out += "\n### Factors (energy)\n\n" +
           markdown_table(factor_table(a, headline_energy_metrics(a))) + "\n";
  }
  for (const auto& c : r.comparisons) {
    out += fmt::format("## {} against {}\n\n", c.other, c.base);
    for (const auto& f : c.findings) out += "- " + md_cell(f) + "\n";
    out += "\n" + markdown_table(comparison_table(c)) + "\n";
  }
  return out;
}

std::vector<std::string> write_csv_tables(const Report& r, const std::string& dir) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  std::vector<std::string> written;
  auto write = [&](const std::string& name, const bench::CsvTable& t) {
    const auto path = (fs::path(dir) / name).string();
    energy::write_file_atomic(path, t.text());
    written.push_back(path);
  };
  bench::CsvTable configs, tests, sampling, pareto, prop, comparison;
  configs.header = {"dataset",    "configuration", "metric",  "unit",   "n",  "mean", "sd",
                    "cv",         "min",           "q1",      "median", "q3", "max",  "iqr",
                    "median_low", "median_high",   "outliers"};
  tests.header = {"dataset",
                  "factor",
                  "stratum",
                  "metric",
                  "kruskal_h",
                  "kruskal_p",
                  "a",
                  "b",
                  "n_a",
                  "n_b",
                  "median_a",
                  "median_b",
                  "ratio_b_a",
                  "mann_whitney_u",
                  "mann_whitney_method",
                  "p",
                  "p_holm",
                  "cliffs_delta",
                  "magnitude",
                  "a12"};
  sampling.header = {"dataset", "metric", "term", "estimate",     "se",         "t",
                     "p",       "low",    "high", "spearman_rho", "spearman_p", "r2"};
  pareto.header = {"dataset", "configuration", "objective_x",         "objective_y", "x",
                   "y",       "on_front",      "probability_on_front"};
  prop.header = {"dataset",   "factor",     "stratum",    "x",    "energy_per_item", "low",  "high",
                 "avg_watts", "throughput", "idle_watts", "knee", "idle_share",      "index"};
  comparison.header = {"base",   "new",       "configuration", "metric",
                       "n_base", "n_new",     "median_base",   "median_new",
                       "ratio",  "ratio_low", "ratio_high",    "mann_whitney_p"};
  for (const auto& a : r.datasets) {
    const auto& ds = a.data.label;
    for (const auto& c : a.configs) {
      for (const auto& m : c.metrics) {
        const auto& s = m.summary;
        configs.add({ds, a.data.configs[c.config].label, m.metric, metric(m.metric).unit, s.n,
                     cell(s.mean), cell(s.sd), cell(s.cv), cell(s.min), cell(s.q1), cell(s.median),
                     cell(s.q3), cell(s.max), cell(s.iqr),
                     m.median_ci.valid ? cell(m.median_ci.low) : nullptr,
                     m.median_ci.valid ? cell(m.median_ci.high) : nullptr,
                     fmt::format("{}", fmt::join(m.outlier_runs, " "))});
      }
    }
    for (const auto& f : a.factor_tests) {
      for (const auto& p : f.pairs) {
        tests.add({ds,
                   f.factor,
                   f.stratum,
                   f.metric,
                   cell(f.kruskal.statistic),
                   cell(f.kruskal.p),
                   p.a,
                   p.b,
                   p.na,
                   p.nb,
                   cell(p.median_a),
                   cell(p.median_b),
                   cell(p.ratio),
                   cell(p.mann_whitney.statistic),
                   p.mann_whitney.method,
                   cell(p.mann_whitney.p),
                   cell(p.p_holm),
                   cell(p.cliffs_delta),
                   p.magnitude,
                   cell(p.a12)});
      }
    }
    for (const auto& s : a.sampling) {
      for (const auto& c : s.regression.coefficients) {
        const FactorCorrelation* corr = nullptr;
        for (const auto& fc : s.correlations) {
          if (fc.factor == c.name) corr = &fc;
        }
        sampling.add({ds, s.metric, c.name, cell(c.estimate), cell(c.se), cell(c.t), cell(c.p),
                      cell(c.low), cell(c.high), corr ? cell(corr->spearman.statistic) : nullptr,
                      corr ? cell(corr->spearman.p) : nullptr, cell(s.regression.r2)});
      }
    }
    const auto& p = a.pareto;
    for (const auto& f : p.fronts) {
      for (size_t i = 0; i < p.points.size(); ++i) {
        const bool on = std::find(f.front.begin(), f.front.end(), i) != f.front.end();
        pareto.add({ds, a.data.configs[p.points[i].config].label, p.objectives[f.x].metric,
                    p.objectives[f.y].metric, cell(p.points[i].value[f.x]),
                    cell(p.points[i].value[f.y]), on, cell(f.probability[i])});
      }
    }
    for (const auto& pr : a.proportionality) {
      for (const auto& l : pr.levels) {
        prop.add({ds, pr.factor, pr.stratum, cell(l.x), cell(l.energy_per_item.estimate),
                  l.energy_per_item.valid ? cell(l.energy_per_item.low) : nullptr,
                  l.energy_per_item.valid ? cell(l.energy_per_item.high) : nullptr,
                  cell(l.avg_watts), cell(l.throughput), cell(l.idle_watts), cell(pr.knee_x),
                  cell(pr.idle_share), cell(pr.index)});
      }
    }
  }
  for (const auto& c : r.comparisons) {
    for (const auto& row : c.rows) {
      comparison.add({c.base, c.other, row.config, row.metric, row.n_base, row.n_new,
                      cell(row.median_base), cell(row.median_new), cell(row.ratio.estimate),
                      row.ratio.valid ? cell(row.ratio.low) : nullptr,
                      row.ratio.valid ? cell(row.ratio.high) : nullptr, cell(row.mann_whitney.p)});
    }
  }
  write("configs.csv", configs);
  write("factor_tests.csv", tests);
  write("sampling.csv", sampling);
  write("pareto.csv", pareto);
  write("proportionality.csv", prop);
  if (!r.comparisons.empty()) write("comparison.csv", comparison);
  return written;
}

}  // namespace wattserve::report
