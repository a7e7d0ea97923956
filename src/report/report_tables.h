// Tables shared by the Markdown, CSV and HTML outputs of `wattserve report`, built once here.
#pragma once

#include <string>
#include <vector>

#include "report/analysis.h"

namespace wattserve::report {

struct TextTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> numeric;  // per column
};

// One row per configuration: n, the primary energy metric's median with its interval, CV and
// outliers, J per request, average W, latency (median of the runs' p50 and p99, and the pooled
// p99 of the requests with its interval), throughput, quality.
TextTable summary_table(const DatasetAnalysis& a, double confidence);
// One row per level pair of each factor test (only those on the given metrics, when given).
TextTable factor_table(const DatasetAnalysis& a, const std::vector<std::string>& metrics = {});
// The energy metrics the HTML and Markdown show tests for: the primary one and J per item when
// the dataset also has classifiers.
std::vector<std::string> headline_energy_metrics(const DatasetAnalysis& a);
// One row per comparison row.
TextTable comparison_table(const Comparison& c);
// "0.0153 [0.0150, 0.0157]".
std::string value_with_interval(const stats::Interval& i, double estimate);

}  // namespace wattserve::report
