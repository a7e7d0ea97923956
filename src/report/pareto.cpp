// Pareto fronts and the deadline query (analysis.h, docs/report.md "Pareto fronts").
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "report/analysis.h"
#include "report/metrics.h"

namespace wattserve::report {

namespace {

bool dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<bool>& maximise) {
  bool better = false;
  for (size_t j = 0; j < a.size(); ++j) {
    const double x = maximise[j] ? -a[j] : a[j];
    const double y = maximise[j] ? -b[j] : b[j];
    if (x > y) return false;
    if (x < y) better = true;
  }
  return better;
}

std::vector<double> pick(const std::vector<double>& row, const std::vector<size_t>& cols) {
  std::vector<double> out;
  for (size_t c : cols) out.push_back(row[c]);
  return out;
}

std::vector<bool> pick(const std::vector<bool>& row, const std::vector<size_t>& cols) {
  std::vector<bool> out;
  for (size_t c : cols) out.push_back(row[c]);
  return out;
}

double median_of(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  return v.empty() ? NAN : stats::median(std::move(v));
}

struct Feasibility {
  size_t lat = SIZE_MAX, qual = SIZE_MAX;
  double deadline = NAN, floor = NAN;
  bool qual_max = true;
  bool ok(const std::vector<double>& v) const {
    if (lat != SIZE_MAX && !(v[lat] <= deadline)) return false;
    if (qual != SIZE_MAX && !(qual_max ? v[qual] >= floor : v[qual] <= floor)) return false;
    return true;
  }
};

// The feasible point of least energy (objective 0); SIZE_MAX when none.
size_t least_energy(const std::vector<std::vector<double>>& values, const Feasibility& f,
                    size_t skip = SIZE_MAX) {
  size_t best = SIZE_MAX;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i == skip || !std::isfinite(values[i][0]) || !f.ok(values[i])) continue;
    if (best == SIZE_MAX || values[i][0] < values[best][0]) best = i;
  }
  return best;
}

size_t objective_index(std::vector<ParetoObjective>& objs, const std::string& metric_id,
                       bool maximise) {
  for (size_t i = 0; i < objs.size(); ++i) {
    if (objs[i].metric == metric_id) return i;
  }
  objs.push_back({metric_id, maximise});
  return objs.size() - 1;
}

}  // namespace

std::vector<size_t> pareto_front(const std::vector<std::vector<double>>& values,
                                 const std::vector<bool>& maximise) {
  std::vector<size_t> out;
  for (size_t i = 0; i < values.size(); ++i) {
    const auto& a = values[i];
    if (std::any_of(a.begin(), a.end(), [](double x) { return !std::isfinite(x); })) continue;
    bool dominated = false;
    for (size_t j = 0; j < values.size() && !dominated; ++j) {
      const auto& b = values[j];
      if (j == i || std::any_of(b.begin(), b.end(), [](double x) { return !std::isfinite(x); })) {
        continue;
      }
      dominated = dominates(b, a, maximise);
    }
    if (!dominated) out.push_back(i);
  }
  return out;
}

ParetoAnalysis pareto_analysis(const DatasetAnalysis& a, const ReportOptions& options) {
  ParetoAnalysis p;
  const auto& d = a.data;
  p.objectives.push_back({a.energy_metric, false});
  if (!a.latency_metric.empty()) p.objectives.push_back({a.latency_metric, false});
  if (!a.quality_metric.empty()) {
    p.objectives.push_back({a.quality_metric, metric(a.quality_metric).better == Better::kHigher});
  }
  if (p.objectives.size() < 2 && !a.throughput_metric.empty()) {
    p.objectives.push_back({a.throughput_metric, true});
  }
  // The columns the resampling tracks: the objectives, then what the deadline query needs beyond
  // them (another latency metric, the quality metric): those do not change the fronts.
  std::vector<ParetoObjective> columns = p.objectives;
  Feasibility feas;
  const bool asked = std::isfinite(options.deadline_s) || std::isfinite(options.quality_floor);
  if (std::isfinite(options.deadline_s)) {
    const auto lm = options.deadline_metric.empty() ? a.latency_metric : options.deadline_metric;
    if (!lm.empty()) {
      metric(lm);  // throws for an unknown id
      feas.lat = objective_index(columns, lm, false);
      feas.deadline = options.deadline_s;
    }
  }
  if (std::isfinite(options.quality_floor) && !a.quality_metric.empty()) {
    feas.qual = objective_index(columns, a.quality_metric,
                                metric(a.quality_metric).better == Better::kHigher);
    feas.floor = options.quality_floor;
    feas.qual_max = metric(a.quality_metric).better == Better::kHigher;
  }
  const size_t k = p.objectives.size(), kc = columns.size();
  std::vector<bool> maximise;
  for (const auto& o : p.objectives) maximise.push_back(o.maximise);
  // Per configuration: per-run values of each objective (NaN where a run lacks one).
  std::vector<std::vector<std::vector<double>>> per_run(d.configs.size());
  std::vector<std::vector<double>> medians;
  for (size_t c = 0; c < d.configs.size(); ++c) {
    ParetoPoint pt;
    pt.config = c;
    for (size_t r : d.configs[c].runs) {
      std::vector<double> row;
      for (const auto& o : columns) {
        row.push_back(metric_value(d.runs[r].record, metric(o.metric)).value_or(NAN));
      }
      per_run[c].push_back(std::move(row));
    }
    std::vector<double> all;
    for (size_t j = 0; j < kc; ++j) {
      const auto* m = a.configs[c].find(columns[j].metric);
      all.push_back(m ? m->summary.median : NAN);
      if (j < k) {
        pt.value.push_back(all.back());
        pt.interval.push_back(m ? m->median_ci : stats::Interval{});
      }
    }
    medians.push_back(std::move(all));
    p.points.push_back(std::move(pt));
  }
  std::vector<std::vector<size_t>> pairs;
  for (size_t x = 0; x < k; ++x) {
    for (size_t y = x + 1; y < k; ++y) pairs.push_back({x, y});
  }
  std::vector<size_t> all_cols(k);
  for (size_t j = 0; j < k; ++j) all_cols[j] = j;
  auto fronts_of = [&](const std::vector<std::vector<double>>& vals,
                       const std::vector<size_t>& cols) {
    std::vector<std::vector<double>> sub;
    for (const auto& v : vals) sub.push_back(pick(v, cols));
    return pareto_front(sub, pick(maximise, cols));
  };
  for (const auto& pr : pairs) {
    ParetoFront2D f;
    f.x = pr[0];
    f.y = pr[1];
    f.front = fronts_of(medians, pr);
    std::sort(f.front.begin(), f.front.end(),
              [&](size_t i, size_t j) { return medians[i][f.x] < medians[j][f.x]; });
    f.probability.assign(medians.size(), 0.0);
    p.fronts.push_back(std::move(f));
  }
  p.front_all = fronts_of(medians, all_cols);
  p.probability_all.assign(medians.size(), 0.0);
  // Bootstrap: resample each configuration's runs, recompute medians and fronts.
  std::mt19937_64 rng(options.seed);
  const size_t rounds = options.front_resamples;
  std::vector<size_t> best_count(medians.size(), 0);
  std::vector<std::vector<double>> boot(medians.size(), std::vector<double>(kc, NAN));
  std::vector<double> column;
  for (size_t b = 0; b < rounds; ++b) {
    for (size_t c = 0; c < per_run.size(); ++c) {
      const auto& rows = per_run[c];
      std::uniform_int_distribution<size_t> pick_run(0, rows.size() - 1);
      std::vector<size_t> idx(rows.size());
      for (auto& i : idx) i = pick_run(rng);
      for (size_t j = 0; j < kc; ++j) {
        column.clear();
        for (size_t i : idx) column.push_back(rows[i][j]);
        boot[c][j] = median_of(column);
      }
    }
    for (auto& f : p.fronts) {
      for (size_t i : fronts_of(boot, {f.x, f.y})) f.probability[i] += 1.0;
    }
    for (size_t i : fronts_of(boot, all_cols)) p.probability_all[i] += 1.0;
    if (asked) {
      const size_t best = least_energy(boot, feas);
      if (best != SIZE_MAX) ++best_count[best];
    }
  }
  // Shares of the rounds; unknown (NaN) without rounds.
  const double share = rounds > 0 ? 1.0 / static_cast<double>(rounds) : NAN;
  for (auto& f : p.fronts) {
    for (auto& v : f.probability) v *= share;
  }
  for (auto& v : p.probability_all) v *= share;
  // The deadline query.
  auto& q = p.query;
  q.asked = asked;
  q.energy_metric = a.energy_metric;
  if (!asked) return p;
  q.latency_metric = feas.lat == SIZE_MAX ? "" : columns[feas.lat].metric;
  q.quality_metric = feas.qual == SIZE_MAX ? "" : columns[feas.qual].metric;
  q.deadline_s = options.deadline_s;
  q.quality_floor = options.quality_floor;
  if (std::isfinite(options.deadline_s) && feas.lat == SIZE_MAX) {
    q.note = "the runs record no request latency: the deadline is not applied";
  }
  const auto recorded = [&](size_t col) {
    return std::any_of(medians.begin(), medians.end(),
                       [&](const auto& v) { return std::isfinite(v[col]); });
  };
  if (feas.lat != SIZE_MAX && !recorded(feas.lat)) {
    q.note = fmt::format("the runs record no {}: the deadline cannot be checked",
                         metric(q.latency_metric).label);
  }
  if (std::isfinite(options.quality_floor) && feas.qual == SIZE_MAX) {
    q.note += std::string(q.note.empty() ? "" : "; ") +
              "the runs record no quality metric: the quality floor is not applied";
  }
  for (const auto& v : medians) q.feasible += (std::isfinite(v[0]) && feas.ok(v)) ? 1 : 0;
  const size_t best = least_energy(medians, feas);
  if (best == SIZE_MAX) {
    q.note += std::string(q.note.empty() ? "" : "; ") +
              "no configuration meets the conditions (by the median of its runs)";
    return p;
  }
  q.found = true;
  q.config = best;
  q.energy = p.points[best].interval[0];
  q.energy.estimate = medians[best][0];  // also when n < 2 leaves no interval
  q.probability_best =
      rounds > 0 ? static_cast<double>(best_count[best]) / static_cast<double>(rounds) : NAN;
  const size_t second = least_energy(medians, feas, best);
  if (second != SIZE_MAX) q.runner_up = d.configs[second].label;
  return p;
}

}  // namespace wattserve::report
