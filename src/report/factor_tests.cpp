// Tests per factor (analysis.h, docs/report.md "Per factor"): within each stratum of the other
// factors, the levels of one factor are compared on each metric of the test set.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "report/analysis.h"
#include "report/metrics.h"

namespace wattserve::report {

namespace {

// The metrics every factor is tested on, where the runs have them.
std::vector<std::string> tested_metrics(const DatasetAnalysis& a) {
  std::vector<std::string> out;
  const auto present = a.data.present_metrics();
  for (const char* id :
       {"joules_per_output_token", "joules_per_item", "joules_per_request", "avg_watts", "e2e_p50",
        "e2e_p99", "ttft_p50", "ttft_p99", "output_tokens_per_s", "items_per_s"}) {
    if (std::find(present.begin(), present.end(), id) != present.end()) out.push_back(id);
  }
  return out;
}

FactorTest test_levels(const std::string& factor, const std::string& metric_id,
                       const std::string& stratum,
                       const std::vector<std::pair<std::string, std::vector<double>>>& groups,
                       double alpha) {
  FactorTest t;
  t.factor = factor;
  t.metric = metric_id;
  t.stratum = stratum;
  t.all_normal = true;
  std::vector<std::vector<double>> samples;
  for (const auto& [level, values] : groups) {
    GroupCheck g;
    g.level = level;
    g.n = values.size();
    g.median = stats::median(values);
    g.shapiro = stats::shapiro_wilk(values);
    if (!g.shapiro.valid || g.shapiro.p < alpha) t.all_normal = false;
    t.groups.push_back(std::move(g));
    samples.push_back(values);
  }
  t.which_tests =
      t.all_normal
          ? "every level passes Shapiro-Wilk: means and t-based intervals would also be sound; "
            "the rank tests below hold either way"
          : "some level fails Shapiro-Wilk or has too few runs to check: rank tests "
            "(Kruskal-Wallis, Mann-Whitney) and medians, not t-tests";
  t.kruskal = stats::kruskal_wallis(samples);
  std::vector<double> ps;
  for (size_t i = 0; i < groups.size(); ++i) {
    for (size_t j = i + 1; j < groups.size(); ++j) {
      PairTest p;
      p.a = groups[i].first;
      p.b = groups[j].first;
      p.na = groups[i].second.size();
      p.nb = groups[j].second.size();
      p.median_a = t.groups[i].median;
      p.median_b = t.groups[j].median;
      p.ratio = p.median_b / p.median_a;
      p.mann_whitney = stats::mann_whitney_u(groups[j].second, groups[i].second);
      p.cliffs_delta = stats::cliffs_delta(groups[j].second, groups[i].second);
      p.magnitude = stats::cliffs_label(p.cliffs_delta);
      p.a12 = stats::vargha_delaney_a12(groups[j].second, groups[i].second);
      ps.push_back(p.mann_whitney.valid ? p.mann_whitney.p : 1.0);
      t.pairs.push_back(std::move(p));
    }
  }
  const auto adjusted = stats::holm(ps);
  for (size_t i = 0; i < t.pairs.size(); ++i) t.pairs[i].p_holm = adjusted[i];
  return t;
}

}  // namespace

bool is_sampled_factor(const LoadedDataset& d, const std::string& factor) {
  std::set<std::string> distinct;
  for (const auto& c : d.configs) {
    if (c.factors.contains(factor)) distinct.insert(c.factors.at(factor).dump());
  }
  return distinct.size() > kMaxSetLevels;
}

std::vector<std::string> stratum_labels(const LoadedDataset& d, const std::string& factor) {
  // The other factors that split strata: not sampled, not aliased with `factor` (a function of
  // its level over the configurations that have it). O(configurations x factors).
  std::set<std::string> names;
  for (const auto& c : d.configs) {
    for (const auto& [name, level] : c.factors.items()) {
      if (name != factor) names.insert(name);
    }
  }
  std::set<std::string> splitting;
  for (const auto& name : names) {
    if (is_sampled_factor(d, name)) continue;
    std::map<std::string, std::set<std::string>> seen;
    for (const auto& c : d.configs) {
      if (!c.factors.contains(factor)) continue;
      seen[c.factors.at(factor).dump()].insert(c.factors.contains(name) ? c.factors.at(name).dump()
                                                                        : "");
    }
    const bool aliased =
        seen.size() > 1 &&
        std::all_of(seen.begin(), seen.end(), [](const auto& kv) { return kv.second.size() == 1; });
    if (!aliased) splitting.insert(name);
  }
  std::vector<std::string> out;
  for (const auto& c : d.configs) {
    std::string label;
    for (const auto& [name, level] : c.factors.items()) {
      if (splitting.count(name))
        label += (label.empty() ? "" : ", ") + name + "=" + level_text(level);
    }
    out.push_back(std::move(label));
  }
  return out;
}

std::vector<FactorTest> factor_tests(const DatasetAnalysis& a, const ReportOptions& options) {
  std::vector<FactorTest> out;
  const auto& d = a.data;
  const auto metrics = tested_metrics(a);
  for (const auto& factor : d.factors) {
    // A factor with many levels is sampled, not set (a random or Latin hypercube design, where
    // every factor's levels are unique and so look aliased with each other): the sampling
    // analysis covers it, not tests between its levels.
    if (is_sampled_factor(d, factor)) continue;
    const auto labels = stratum_labels(d, factor);
    // stratum label -> level text -> configurations (in order of appearance)
    std::map<std::string, std::vector<std::pair<std::string, std::vector<size_t>>>> strata;
    for (size_t c = 0; c < d.configs.size(); ++c) {
      const auto& f = d.configs[c].factors;
      if (!f.contains(factor)) continue;
      auto& levels = strata[labels[c]];
      const auto level = level_text(f.at(factor));
      auto it = std::find_if(levels.begin(), levels.end(),
                             [&](const auto& l) { return l.first == level; });
      if (it == levels.end()) {
        levels.push_back({level, {}});
        it = std::prev(levels.end());
      }
      it->second.push_back(c);
    }
    for (const auto& [stratum, levels] : strata) {
      if (levels.size() < 2) continue;
      // A factor whose every level has a single run (a sampling design) has nothing to test
      // by level: the sampling analysis covers it.
      for (const auto& m : metrics) {
        std::vector<std::pair<std::string, std::vector<double>>> groups;
        for (const auto& [level, configs] : levels) {
          std::vector<double> values;
          for (size_t c : configs) {
            const auto v = config_values(d, c, m);
            values.insert(values.end(), v.begin(), v.end());
          }
          if (values.size() >= 2) groups.push_back({level, std::move(values)});
        }
        if (groups.size() < 2) continue;
        out.push_back(test_levels(factor, m, stratum, groups, options.alpha));
      }
    }
  }
  return out;
}

}  // namespace wattserve::report
