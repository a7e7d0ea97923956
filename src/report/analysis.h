// What `wattserve report` computes from datasets (docs/report.md has every formula): the
// summaries per configuration, the tests per factor, the sampling analysis, Pareto fronts and
// the deadline query, energy proportionality, and run-against-run comparisons. Plain structs;
// analyse() fills them, the writers (report_json.h, report_text.h, report_html.h) print them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/dataset_loader.h"
#include "report/report_options.h"
#include "report/stats/bootstrap.h"
#include "report/stats/descriptive.h"
#include "report/stats/regression.h"
#include "report/stats/tests.h"

namespace wattserve::report {

// ---- Per configuration ----

struct MetricSummary {
  std::string metric;  // metrics.h id
  stats::Summary summary;
  stats::Interval median_ci;              // BCa interval of the median over runs
  std::vector<std::string> outlier_runs;  // run ids outside Tukey's fences
};

// A latency column pooled over the requests of all of a configuration's runs.
struct RequestLatency {
  std::string column;  // "e2e_s", "ttft_s", "tpot_s"
  size_t n = 0;
  double p50 = 0;
  stats::Interval p99;  // BCa interval of the pooled p99
};

struct ConfigSummary {
  size_t config = 0;  // index into LoadedDataset::configs
  std::vector<MetricSummary> metrics;
  std::vector<RequestLatency> requests;
  const MetricSummary* find(const std::string& metric) const;
};

// ---- Per factor ----

struct GroupCheck {
  std::string level;
  size_t n = 0;
  double median = 0;
  stats::TestResult shapiro;
};

struct PairTest {
  std::string a, b;  // levels
  size_t na = 0, nb = 0;
  double median_a = 0, median_b = 0;
  double ratio = 0;  // median_b / median_a
  stats::TestResult mann_whitney;
  double p_holm = 1;
  double cliffs_delta = 0;  // of b against a: > 0 when b tends to be larger
  std::string magnitude;
  double a12 = 0;  // P(b > a) + 0.5 P(b = a)
};

// One factor's levels compared on one metric, within one stratum (a combination of the other
// factors' levels), so that levels are compared like for like.
struct FactorTest {
  std::string factor, metric;
  std::string stratum;  // "model=pycode-small"; "" when the factor is the only one
  std::vector<GroupCheck> groups;
  bool all_normal = false;    // every group's Shapiro-Wilk p >= alpha (n >= 3)
  std::string which_tests;    // what the normality checks mean for the tests, in words
  stats::TestResult kruskal;  // over all levels (>= 2)
  std::vector<PairTest> pairs;
};

// ---- Sampling (numeric factors against energy) ----

struct FactorCorrelation {
  std::string factor;
  size_t n = 0;
  stats::TestResult spearman;  // statistic = rho
};

struct PartialDependence {
  std::string factor;
  std::vector<double> x, y;  // the model's mean prediction with the factor set to x
  std::vector<double> observed_x, observed_y;  // the runs' values
};

struct SamplingAnalysis {
  std::string metric;  // the energy metric analysed
  std::vector<FactorCorrelation> correlations;
  stats::Regression regression;  // log(metric) on the standardised factors
  std::vector<PartialDependence> partial_dependence;
  std::string strongest;  // the factor with the largest |standardised coefficient|
};

// ---- Pareto ----

struct ParetoObjective {
  std::string metric;
  bool maximise = false;
};

struct ParetoPoint {
  size_t config = 0;
  std::vector<double> value;              // per objective: the median over runs
  std::vector<stats::Interval> interval;  // per objective: its BCa interval
};

struct ParetoFront2D {
  size_t x = 0, y = 0;              // objective indices
  std::vector<size_t> front;        // point indices on the front, by x
  std::vector<double> probability;  // per point: share of bootstrap rounds on the front
};

struct DeadlineAnswer {
  bool asked = false, found = false;
  std::string latency_metric, quality_metric, energy_metric;
  double deadline_s = 0, quality_floor = 0;
  size_t config = 0;  // the answer when found
  stats::Interval energy;
  double probability_best = 0;  // share of bootstrap rounds where it is the answer
  size_t feasible = 0;          // configurations meeting the conditions
  std::string runner_up;        // label of the next least-energy feasible one
  std::string note;
};

struct ParetoAnalysis {
  std::vector<ParetoObjective> objectives;
  std::vector<ParetoPoint> points;
  std::vector<ParetoFront2D> fronts;  // every pair of objectives
  std::vector<size_t> front_all;      // points on the front of all objectives together
  std::vector<double> probability_all;
  DeadlineAnswer query;
};

// ---- Energy proportionality ----

struct ProportionalityLevel {
  double x = 0;  // batch size or concurrency
  size_t runs = 0;
  stats::Interval energy_per_item;  // median J per item (token, request) and its interval
  double avg_watts = 0, throughput = 0, idle_watts = 0;
};

struct Proportionality {
  std::string factor, energy_metric, throughput_metric;
  std::string stratum;  // the other factors' levels
  std::vector<ProportionalityLevel> levels;
  double knee_x = NAN;      // Kneedle's knee of the J-per-item curve
  double idle_share = NAN;  // idle power / average power at the highest-throughput level
  double index = NAN;       // energy proportionality index (docs/report.md)
};

// ---- One dataset ----

struct DatasetAnalysis {
  LoadedDataset data;
  std::string energy_metric, latency_metric, quality_metric, throughput_metric;
  std::vector<ConfigSummary> configs;  // parallel to data.configs
  std::vector<FactorTest> factor_tests;
  std::vector<SamplingAnalysis> sampling;  // empty when no numeric factor
  ParetoAnalysis pareto;
  std::vector<Proportionality> proportionality;
  std::vector<std::string> findings;  // the statistics in words
};

// ---- Run against run ----

struct ComparisonRow {
  std::string config;  // label
  std::string metric;
  size_t n_base = 0, n_new = 0;
  double median_base = 0, median_new = 0;
  stats::Interval ratio;  // median_new / median_base, BCa
  stats::TestResult mann_whitney;
};

struct Comparison {
  std::string base, other;  // dataset labels
  std::vector<ComparisonRow> rows;
  std::vector<std::string> unmatched;  // configurations in only one of the two
  std::vector<std::string> findings;
};

struct Report {
  ReportOptions options;
  std::vector<DatasetAnalysis> datasets;
  std::vector<Comparison> comparisons;  // each dataset after the first against the first
};

// Loads and analyses every folder; throws std::runtime_error for unreadable input.
Report analyse(const std::vector<std::string>& dirs, const ReportOptions& options);

// The parts, for tests and for analyse().
DatasetAnalysis analyse_dataset(LoadedDataset data, const ReportOptions& options);
ConfigSummary summarize_config(const LoadedDataset& d, size_t config, const ReportOptions& options);
std::vector<FactorTest> factor_tests(const DatasetAnalysis& a, const ReportOptions& options);
std::vector<SamplingAnalysis> sampling_analysis(const DatasetAnalysis& a,
                                                const ReportOptions& options);
ParetoAnalysis pareto_analysis(const DatasetAnalysis& a, const ReportOptions& options);
std::vector<Proportionality> proportionality_analysis(const DatasetAnalysis& a,
                                                      const ReportOptions& options);
Comparison compare(const DatasetAnalysis& base, const DatasetAnalysis& other,
                   const ReportOptions& options);
std::vector<std::string> findings(const DatasetAnalysis& a, const ReportOptions& options);

// ---- Building blocks (tested directly) ----

// Indices of the non-dominated rows of values[i][objective] (every objective minimised, or
// maximised where maximise[j]); a row with a NaN is never on the front. Ties: equal rows are
// all on the front. In input order.
std::vector<size_t> pareto_front(const std::vector<std::vector<double>>& values,
                                 const std::vector<bool>& maximise);
// Kneedle (Satopaa et al. 2011) on a decreasing convex curve y(x): the x of the point farthest
// below the chord from the first to the last point after scaling both axes to [0, 1]; NaN for
// fewer than 3 points or a straight line.
double kneedle(const std::vector<double>& x, const std::vector<double>& y);
// Energy proportionality index of power against load (docs/report.md "Energy proportionality"):
// loads u_i = throughput_i / max throughput, power P_i, with (0, idle) added; area A under the
// piecewise-linear power curve over [0, 1]; ideal area P_max / 2;
// EP = 1 - (A - A_ideal) / A_ideal. 1 = proportional; 0 = constant power at P_max.
double proportionality_index(const std::vector<double>& throughput,
                             const std::vector<double>& watts, double idle_watts);

// Factors with more levels than this are sampled (random or Latin hypercube designs), not set:
// covered by the sampling analysis, neither tested by level nor splitting strata.
inline constexpr size_t kMaxSetLevels = 12;
bool is_sampled_factor(const LoadedDataset& d, const std::string& factor);

// Per configuration, its stratum for comparing the levels of `factor`: the other factors'
// levels, "name=level" joined by ", ", leaving out sampled factors and those whose level is
// determined by `factor`'s (aliased with it, like a server name that encodes the schedule):
// those cannot vary within a level, so splitting by them would leave each stratum one level.
std::vector<std::string> stratum_labels(const LoadedDataset& d, const std::string& factor);

// The values of one metric over a configuration's runs (those that have it), with run ids.
std::vector<double> config_values(const LoadedDataset& d, size_t config, const std::string& metric,
                                  std::vector<std::string>* run_ids = nullptr);

}  // namespace wattserve::report
