// report_stats_probe: runs wattserve_stats on requests read from stdin, one JSON object a line
// ({"op": "mannwhitney", "x": [...], "y": [...]}, ...; null for NaN), and prints one JSON line of
// results for each, for stats_scipy_test.py to compare with SciPy. NaN prints as null.
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/stats/bootstrap.h"
#include "report/stats/descriptive.h"
#include "report/stats/regression.h"
#include "report/stats/tests.h"

namespace stats = wattserve::report::stats;
using nlohmann::json;

namespace {

using Vec = std::vector<double>;

// A JSON array of numbers, null read as NaN.
Vec vec(const json& j) {
  Vec out;
  for (const auto& v : j) out.push_back(v.is_null() ? std::nan("") : v.get<double>());
  return out;
}

json test_json(const stats::TestResult& t) {
  return {{"statistic", t.statistic}, {"p", t.p}, {"valid", t.valid}, {"method", t.method}};
}

json interval_json(const stats::Interval& iv) {
  return {{"estimate", iv.estimate},
          {"low", iv.low},
          {"high", iv.high},
          {"valid", iv.valid},
          {"note", iv.note},
          {"z0", iv.z0},
          {"acceleration", iv.acceleration}};
}

stats::BootstrapOptions options(const json& req) {
  stats::BootstrapOptions o;
  o.resamples = req.value("resamples", size_t{9999});
  o.confidence = req.value("confidence", 0.95);
  o.seed = req.value("seed", uint64_t{1});
  return o;
}

json run(const json& req) {
  const std::string op = req.at("op");
  if (op == "summary") {
    const Vec x = req.at("x");
    const stats::Summary s = stats::summarize(x);
    json qs = json::array();
    for (double q : req.value("qs", Vec{})) qs.push_back(stats::quantile(x, q));
    return {{"n", s.n},
            {"mean", s.mean},
            {"sd", s.sd},
            {"cv", s.cv},
            {"min", s.min},
            {"q1", s.q1},
            {"median", s.median},
            {"q3", s.q3},
            {"max", s.max},
            {"iqr", s.iqr},
            {"outliers", s.outliers},
            {"quantiles", qs},
            {"median_fn", stats::median(x)}};
  }
  if (op == "shapiro") return test_json(stats::shapiro_wilk(req.at("x").get<Vec>()));
  if (op == "kruskal") {
    return test_json(stats::kruskal_wallis(req.at("groups").get<std::vector<Vec>>()));
  }
  if (op == "mannwhitney" || op == "effect") {
    const Vec x = req.at("x"), y = req.at("y");
    json out = test_json(stats::mann_whitney_u(x, y));
    const double delta = stats::cliffs_delta(x, y);
    out["delta"] = delta;
    out["a12"] = stats::vargha_delaney_a12(x, y);
    out["label"] = stats::cliffs_label(delta);
    return out;
  }
  if (op == "holm") return {{"adjusted", stats::holm(vec(req.at("p")))}};
  if (op == "spearman") {
    return test_json(stats::spearman(req.at("x").get<Vec>(), req.at("y").get<Vec>()));
  }
  if (op == "ranks") return {{"ranks", stats::rankdata(req.at("x").get<Vec>())}};
  if (op == "ols") {
    const stats::Regression r = stats::ols(req.at("columns").get<std::vector<Vec>>(),
                                           req.at("names").get<std::vector<std::string>>(),
                                           req.at("y").get<Vec>(), req.value("confidence", 0.95));
    json coefs = json::array();
    for (const auto& c : r.coefficients) {
      coefs.push_back({{"name", c.name},
                       {"estimate", c.estimate},
                       {"se", c.se},
                       {"t", c.t},
                       {"p", c.p},
                       {"low", c.low},
                       {"high", c.high}});
    }
    return {{"valid", r.valid},
            {"note", r.note},
            {"r2", r.r2},
            {"adj_r2", r.adj_r2},
            {"residual_se", r.residual_se},
            {"coefficients", coefs}};
  }
  if (op == "standardize") return {{"z", stats::standardize(req.at("x").get<Vec>())}};
  if (op == "bca_quantile") {
    // The quantile path and the generic path on the same resamples.
    const Vec x = req.at("x");
    const double q = req.at("q");
    const stats::BootstrapOptions o = options(req);
    const Vec theta_b = stats::bootstrap_quantile_distribution(x, q, o.resamples, o.seed);
    const stats::Statistic stat = [q](const Vec& v) { return stats::quantile(v, q); };
    return {{"theta_b", theta_b},
            {"fast", interval_json(stats::bootstrap_quantile(x, q, o))},
            {"generic", interval_json(stats::bca_interval(x, stat, theta_b, o.confidence))},
            {"generic_theta_b_equal",
             stats::bootstrap_distribution(x, stat, o.resamples, o.seed) == theta_b}};
  }
  if (op == "bca_mean") {
    const Vec x = req.at("x");
    const stats::BootstrapOptions o = options(req);
    const stats::Statistic stat = [](const Vec& v) { return stats::mean(v); };
    return {{"theta_b", stats::bootstrap_distribution(x, stat, o.resamples, o.seed)},
            {"interval", interval_json(stats::bootstrap_bca(x, stat, o))}};
  }
  if (op == "bca_ratio") {
    // Ratio of q-quantiles, quantile(b) / quantile(a): generic and quantile paths.
    const Vec a = req.at("a"), b = req.at("b");
    const double q = req.at("q");
    const stats::BootstrapOptions o = options(req);
    const stats::Statistic stat = [q](const Vec& v) { return stats::quantile(v, q); };
    return {{"theta_b", stats::bootstrap_ratio_distribution(a, b, stat, o.resamples, o.seed)},
            {"generic", interval_json(stats::bootstrap_ratio_bca(a, b, stat, o))},
            {"fast", interval_json(stats::bootstrap_ratio_quantile(a, b, q, o))}};
  }
  throw std::runtime_error("unknown op " + op);
}

}  // namespace

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    try {
      std::cout << run(json::parse(line)).dump() << '\n';
    } catch (const std::exception& e) {
      std::cout << json{{"error", e.what()}}.dump() << '\n';
    }
  }
  return 0;
}
