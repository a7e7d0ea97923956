// The sampling analysis (analysis.h, docs/report.md "Sampling studies"): each numeric factor's
// Spearman correlation with energy, a regression of log energy on the standardised factors, and
// the partial dependence of energy on each factor under that regression.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "report/analysis.h"
#include "report/metrics.h"

namespace wattserve::report {

namespace {

// Factors whose levels are all numbers with at least 3 distinct values.
std::vector<std::string> numeric_factors(const LoadedDataset& d) {
  std::vector<std::string> out;
  for (const auto& f : d.factors) {
    std::set<double> levels;
    bool numeric = true;
    for (const auto& c : d.configs) {
      if (!c.factors.contains(f) || !c.factors.at(f).is_number()) {
        numeric = false;
        break;
      }
      levels.insert(c.factors.at(f).get<double>());
    }
    if (numeric && levels.size() >= 3) out.push_back(f);
  }
  return out;
}

// The other set factors (not numeric with >= 3 levels, not sampled, present in every
// configuration): they enter the regression as 0/1 columns, one per level but the first, so a
// categorical factor beside sampled ones (engine x a Latin hypercube) is accounted for.
std::vector<std::pair<std::string, std::vector<std::string>>> categorical_factors(
    const LoadedDataset& d, const std::vector<std::string>& numeric) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& f : d.factors) {
    if (std::find(numeric.begin(), numeric.end(), f) != numeric.end()) continue;
    if (is_sampled_factor(d, f)) continue;
    std::vector<std::string> levels;
    bool everywhere = true;
    for (const auto& c : d.configs) {
      if (!c.factors.contains(f)) {
        everywhere = false;
        break;
      }
      const auto l = c.factors.at(f).dump();
      if (std::find(levels.begin(), levels.end(), l) == levels.end()) levels.push_back(l);
    }
    if (everywhere && levels.size() >= 2) out.push_back({f, levels});
  }
  return out;
}

SamplingAnalysis analyse_metric(const LoadedDataset& d, const std::vector<std::string>& factors,
                                const std::string& metric_id, const ReportOptions& options) {
  SamplingAnalysis s;
  s.metric = metric_id;
  const auto& def = metric(metric_id);
  const auto categorical = categorical_factors(d, factors);
  std::vector<std::vector<double>> x(factors.size());
  std::vector<std::vector<double>> dummies;
  std::vector<std::string> dummy_names;
  for (const auto& [f, levels] : categorical) {
    for (size_t l = 1; l < levels.size(); ++l) {
      dummy_names.push_back(fmt::format("{}={} (against {})", f,
                                        level_text(nlohmann::json::parse(levels[l])),
                                        level_text(nlohmann::json::parse(levels[0]))));
      dummies.emplace_back();
    }
  }
  std::vector<double> y;
  for (const auto& run : d.runs) {
    const auto v = metric_value(run.record, def);
    if (!v || *v <= 0) continue;  // log energy needs a positive value
    const auto& f = d.configs[run.config].factors;
    for (size_t j = 0; j < factors.size(); ++j) x[j].push_back(f.at(factors[j]).get<double>());
    size_t col = 0;
    for (const auto& [name, levels] : categorical) {
      const auto l = f.at(name).dump();
      for (size_t k = 1; k < levels.size(); ++k) dummies[col++].push_back(l == levels[k] ? 1 : 0);
    }
    y.push_back(*v);
  }
  for (size_t j = 0; j < factors.size(); ++j) {
    FactorCorrelation c;
    c.factor = factors[j];
    c.n = y.size();
    c.spearman = stats::spearman(x[j], y);
    s.correlations.push_back(std::move(c));
  }
  std::vector<std::vector<double>> z;
  std::vector<double> means, sds;
  for (const auto& col : x) {
    z.push_back(stats::standardize(col));
    means.push_back(stats::mean(col));
    sds.push_back(stats::stdev(col));
  }
  std::vector<double> logy(y.size());
  std::transform(y.begin(), y.end(), logy.begin(), [](double v) { return std::log(v); });
  auto columns = z;
  auto names = factors;
  columns.insert(columns.end(), dummies.begin(), dummies.end());
  names.insert(names.end(), dummy_names.begin(), dummy_names.end());
  s.regression = stats::ols(columns, names, logy, options.confidence);
  if (!s.regression.valid) return s;
  double best = -1;
  for (size_t j = 0; j < factors.size(); ++j) {
    const double b = std::fabs(s.regression.coefficients[j + 1].estimate);
    if (b > best) {
      best = b;
      s.strongest = factors[j];
    }
  }
  // Partial dependence: PD_j(v) = mean_i exp(b0 + sum_k b_k z_ik) with z_ij set to v's z-score.
  const auto& coef = s.regression.coefficients;
  for (size_t j = 0; j < factors.size(); ++j) {
    PartialDependence pd;
    pd.factor = factors[j];
    const auto [lo, hi] = std::minmax_element(x[j].begin(), x[j].end());
    const int steps = 24;
    for (int k = 0; k <= steps; ++k) {
      const double v = *lo + (*hi - *lo) * k / steps;
      const double zv = sds[j] > 0 ? (v - means[j]) / sds[j] : 0.0;
      double sum = 0;
      for (size_t i = 0; i < y.size(); ++i) {
        double eta = coef[0].estimate;
        for (size_t m = 0; m < factors.size(); ++m) {
          eta += coef[m + 1].estimate * (m == j ? zv : z[m][i]);
        }
        for (size_t m = 0; m < dummies.size(); ++m) {
          eta += coef[factors.size() + m + 1].estimate * dummies[m][i];
        }
        sum += std::exp(eta);
      }
      pd.x.push_back(v);
      pd.y.push_back(sum / static_cast<double>(y.size()));
    }
    pd.observed_x = x[j];
    pd.observed_y = y;
    s.partial_dependence.push_back(std::move(pd));
  }
  return s;
}

}  // namespace

std::vector<SamplingAnalysis> sampling_analysis(const DatasetAnalysis& a,
                                                const ReportOptions& options) {
  std::vector<SamplingAnalysis> out;
  const auto factors = numeric_factors(a.data);
  if (factors.empty()) return out;
  std::vector<std::string> metrics = {a.energy_metric};
  const auto present = a.data.present_metrics();
  if (a.energy_metric != "joules_per_request" &&
      std::find(present.begin(), present.end(), "joules_per_request") != present.end()) {
    metrics.push_back("joules_per_request");
  }
  for (const auto& m : metrics) out.push_back(analyse_metric(a.data, factors, m, options));
  return out;
}

}  // namespace wattserve::report
