// report_json() (report_outputs.h).
#include <cmath>

#include "bench/stats.h"
#include "report/metrics.h"
#include "report/report_outputs.h"

namespace wattserve::report {

namespace {

using bench::num;
using nlohmann::json;

json interval(const stats::Interval& i) {
  if (!i.valid) return json{{"valid", false}, {"note", i.note}, {"estimate", num(i.estimate)}};
  return json{
      {"valid", true}, {"estimate", num(i.estimate)}, {"low", num(i.low)}, {"high", num(i.high)}};
}

json test(const stats::TestResult& t) {
  return json{
      {"statistic", num(t.statistic)}, {"p", num(t.p)}, {"valid", t.valid}, {"method", t.method}};
}

json summary(const stats::Summary& s) {
  return json{
      {"n", s.n},          {"mean", num(s.mean)}, {"sd", num(s.sd)},         {"cv", num(s.cv)},
      {"min", num(s.min)}, {"q1", num(s.q1)},     {"median", num(s.median)}, {"q3", num(s.q3)},
      {"max", num(s.max)}, {"iqr", num(s.iqr)}};
}

json config_json(const DatasetAnalysis& a, const ConfigSummary& c) {
  const auto& conf = a.data.configs[c.config];
  json runs = json::array();
  for (size_t r : conf.runs) runs.push_back(a.data.runs[r].id);
  json metrics = json::object();
  for (const auto& m : c.metrics) {
    auto j = summary(m.summary);
    j["median_ci"] = interval(m.median_ci);
    j["outlier_runs"] = m.outlier_runs;
    j["unit"] = metric(m.metric).unit;
    metrics[m.metric] = j;
  }
  json requests = json::object();
  for (const auto& r : c.requests) {
    requests[r.column] = json{{"n", r.n}, {"p50", num(r.p50)}, {"p99", interval(r.p99)}};
  }
  return json{{"label", conf.label},
              {"factors", conf.factors},
              {"runs", runs},
              {"metrics", metrics},
              {"requests", requests}};
}

json factor_json(const FactorTest& t) {
  json groups = json::array();
  for (const auto& g : t.groups) {
    groups.push_back(json{{"level", g.level},
                          {"n", g.n},
                          {"median", num(g.median)},
                          {"shapiro_wilk", test(g.shapiro)}});
  }
  json pairs = json::array();
  for (const auto& p : t.pairs) {
    pairs.push_back(json{{"a", p.a},
                         {"b", p.b},
                         {"n_a", p.na},
                         {"n_b", p.nb},
                         {"median_a", num(p.median_a)},
                         {"median_b", num(p.median_b)},
                         {"ratio_b_over_a", num(p.ratio)},
                         {"mann_whitney", test(p.mann_whitney)},
                         {"p_holm", num(p.p_holm)},
                         {"cliffs_delta", num(p.cliffs_delta)},
                         {"magnitude", p.magnitude},
                         {"a12", num(p.a12)}});
  }
  return json{{"factor", t.factor},
              {"metric", t.metric},
              {"stratum", t.stratum},
              {"groups", groups},
              {"all_normal", t.all_normal},
              {"which_tests", t.which_tests},
              {"kruskal_wallis", test(t.kruskal)},
              {"pairs", pairs}};
}

json sampling_json(const SamplingAnalysis& s) {
  json corr = json::array();
  for (const auto& c : s.correlations) {
    corr.push_back(json{{"factor", c.factor},
                        {"n", c.n},
                        {"rho", num(c.spearman.statistic)},
                        {"p", num(c.spearman.p)},
                        {"valid", c.spearman.valid}});
  }
  json coefs = json::array();
  for (const auto& c : s.regression.coefficients) {
    coefs.push_back(json{{"name", c.name},
                         {"estimate", num(c.estimate)},
                         {"se", num(c.se)},
                         {"t", num(c.t)},
                         {"p", num(c.p)},
                         {"low", num(c.low)},
                         {"high", num(c.high)}});
  }
  json pd = json::array();
  for (const auto& p : s.partial_dependence) {
    pd.push_back(json{{"factor", p.factor}, {"x", p.x}, {"y", p.y}});
  }
  return json{{"metric", s.metric},
              {"spearman", corr},
              {"regression",
               {{"response", "log(" + s.metric + ")"},
                {"valid", s.regression.valid},
                {"note", s.regression.note},
                {"n", s.regression.n},
                {"r2", num(s.regression.r2)},
                {"adj_r2", num(s.regression.adj_r2)},
                {"coefficients", coefs}}},
              {"partial_dependence", pd},
              {"strongest_factor", s.strongest}};
}

json pareto_json(const DatasetAnalysis& a) {
  const auto& p = a.pareto;
  json objectives = json::array();
  for (const auto& o : p.objectives) {
    objectives.push_back(json{{"metric", o.metric}, {"maximise", o.maximise}});
  }
  json points = json::array();
  for (size_t i = 0; i < p.points.size(); ++i) {
    json values = json::array(), intervals = json::array();
    for (size_t j = 0; j < p.objectives.size(); ++j) {
      values.push_back(num(p.points[i].value[j]));
      intervals.push_back(interval(p.points[i].interval[j]));
    }
    points.push_back(json{
        {"config", a.data.configs[p.points[i].config].label},
        {"values", values},
        {"intervals", intervals},
        {"on_front_all", std::find(p.front_all.begin(), p.front_all.end(), i) != p.front_all.end()},
        {"probability_on_front_all", num(p.probability_all[i])}});
  }
  json fronts = json::array();
  for (const auto& f : p.fronts) {
    json members = json::array();
    for (size_t i : f.front) members.push_back(a.data.configs[p.points[i].config].label);
    // Per point, in the order of "points" (labels need not be unique: 1 and 1.0 print alike).
    json prob = json::array();
    for (size_t i = 0; i < f.probability.size(); ++i) prob.push_back(num(f.probability[i]));
    fronts.push_back(json{{"x", p.objectives[f.x].metric},
                          {"y", p.objectives[f.y].metric},
                          {"front", members},
                          {"probability_on_front", prob}});
  }
  json front_all = json::array();
  for (size_t i : p.front_all) front_all.push_back(a.data.configs[p.points[i].config].label);
  const auto& q = p.query;
  json query = json{{"asked", q.asked}};
  if (q.asked) {
    query.update(json{{"latency_metric", q.latency_metric},
                      {"quality_metric", q.quality_metric},
                      {"energy_metric", q.energy_metric},
                      {"deadline_s", num(q.deadline_s)},
                      {"quality_floor", num(q.quality_floor)},
                      {"found", q.found},
                      {"feasible", q.feasible},
                      {"note", q.note}});
    if (q.found) {
      query["config"] = a.data.configs[q.config].label;
      query["energy"] = interval(q.energy);
      query["probability_best"] = num(q.probability_best);
      query["runner_up"] = q.runner_up;
    }
  }
  return json{{"objectives", objectives},
              {"points", points},
              {"fronts_2d", fronts},
              {"front_all", front_all},
              {"query", query}};
}

json proportionality_json(const Proportionality& p) {
  json levels = json::array();
  for (const auto& l : p.levels) {
    levels.push_back(json{{"x", num(l.x)},
                          {"runs", l.runs},
                          {"energy_per_item", interval(l.energy_per_item)},
                          {"avg_watts", num(l.avg_watts)},
                          {"throughput", num(l.throughput)},
                          {"idle_watts", num(l.idle_watts)}});
  }
  return json{{"factor", p.factor},
              {"stratum", p.stratum},
              {"energy_metric", p.energy_metric},
              {"throughput_metric", p.throughput_metric},
              {"levels", levels},
              {"knee", num(p.knee_x)},
              {"idle_share", num(p.idle_share)},
              {"proportionality_index", num(p.index)}};
}

}  // namespace

nlohmann::json report_json(const Report& r) {
  json datasets = json::array();
  for (const auto& a : r.datasets) {
    json configs = json::array();
    for (const auto& c : a.configs) configs.push_back(config_json(a, c));
    json tests = json::array();
    for (const auto& t : a.factor_tests) tests.push_back(factor_json(t));
    json sampling = json::array();
    for (const auto& s : a.sampling) sampling.push_back(sampling_json(s));
    json prop = json::array();
    for (const auto& p : a.proportionality) prop.push_back(proportionality_json(p));
    datasets.push_back(json{{"dir", a.data.dir},
                            {"label", a.data.label},
                            {"study", {{"name", a.data.study_name}, {"hash", a.data.study_hash}}},
                            {"runs", a.data.runs.size()},
                            {"warmups", a.data.warmups},
                            {"failed", a.data.failed},
                            {"unreadable", a.data.unreadable},
                            {"warnings", a.data.warnings},
                            {"factors", a.data.factors},
                            {"energy_sources", a.data.energy_sources},
                            {"primary_metrics",
                             {{"energy", a.energy_metric},
                              {"latency", a.latency_metric},
                              {"quality", a.quality_metric},
                              {"throughput", a.throughput_metric}}},
                            {"configurations", configs},
                            {"factor_tests", tests},
                            {"sampling", sampling},
                            {"pareto", pareto_json(a)},
                            {"proportionality", prop},
                            {"findings", a.findings}});
  }
  json comparisons = json::array();
  for (const auto& c : r.comparisons) {
    json rows = json::array();
    for (const auto& row : c.rows) {
      rows.push_back(json{{"config", row.config},
                          {"metric", row.metric},
                          {"n_base", row.n_base},
                          {"n_new", row.n_new},
                          {"median_base", num(row.median_base)},
                          {"median_new", num(row.median_new)},
                          {"ratio", interval(row.ratio)},
                          {"mann_whitney", test(row.mann_whitney)}});
    }
    comparisons.push_back(json{{"base", c.base},
                               {"new", c.other},
                               {"rows", rows},
                               {"unmatched", c.unmatched},
                               {"findings", c.findings}});
  }
  const auto& o = r.options;
  return json{{"schema", "wattserve.report"},
              {"schema_version", 1},
              {"options",
               {{"confidence", o.confidence},
                {"resamples", o.resamples},
                {"front_resamples", o.front_resamples},
                {"seed", o.seed},
                {"alpha", o.alpha},
                {"deadline_s", num(o.deadline_s)},
                {"deadline_metric", o.deadline_metric},
                {"quality_floor", num(o.quality_floor)}}},
              {"datasets", datasets},
              {"comparisons", comparisons}};
}

}  // namespace wattserve::report
