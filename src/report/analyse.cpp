// analyse(): loads every dataset, runs each analysis and the comparisons (analysis.h).
#include <algorithm>
#include <set>

#include "report/analysis.h"
#include "report/metrics.h"

namespace wattserve::report {

DatasetAnalysis analyse_dataset(LoadedDataset data, const ReportOptions& options) {
  DatasetAnalysis a;
  a.data = std::move(data);
  const auto present = a.data.present_metrics();
  a.energy_metric = primary_energy_metric(present);
  // Latency and quality as the runs with the energy metric have them (in a study of text and
  // classifier models, the text runs' perplexity rather than the classifiers' accuracy).
  std::vector<std::string> with_energy;
  for (const auto& m : metric_catalogue()) {
    for (const auto& run : a.data.runs) {
      if (metric_value(run.record, metric(a.energy_metric)) && metric_value(run.record, m)) {
        with_energy.push_back(m.id);
        break;
      }
    }
  }
  a.latency_metric = primary_latency_metric(with_energy);
  a.quality_metric = primary_quality_metric(with_energy);
  for (const char* id : {"output_tokens_per_s", "items_per_s", "requests_per_s"}) {
    if (std::find(present.begin(), present.end(), id) != present.end()) {
      a.throughput_metric = id;
      break;
    }
  }
  for (size_t c = 0; c < a.data.configs.size(); ++c) {
    a.configs.push_back(summarize_config(a.data, c, options));
  }
  a.factor_tests = factor_tests(a, options);
  a.sampling = sampling_analysis(a, options);
  a.pareto = pareto_analysis(a, options);
  a.proportionality = proportionality_analysis(a, options);
  a.findings = findings(a, options);
  return a;
}

Report analyse(const std::vector<std::string>& dirs, const ReportOptions& options) {
  Report r;
  r.options = options;
  std::vector<LoadedDataset> loaded;
  for (const auto& d : dirs) loaded.push_back(load_dataset(d));
  // Labels unique among the inputs: the folder name, then "name (2)", ...
  std::set<std::string> used;
  for (auto& d : loaded) {
    std::string label = d.label;
    for (int i = 2; used.count(label); ++i) label = d.label + " (" + std::to_string(i) + ")";
    used.insert(label);
    d.label = label;
  }
  for (auto& d : loaded) r.datasets.push_back(analyse_dataset(std::move(d), options));
  for (size_t i = 1; i < r.datasets.size(); ++i) {
    auto c = compare(r.datasets[0], r.datasets[i], options);
    r.comparisons.push_back(std::move(c));
  }
  return r;
}

}  // namespace wattserve::report
