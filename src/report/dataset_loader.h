// Reading bench datasets for `wattserve report` (docs/report.md "Input"): the finished,
// measured runs of a dataset folder (records with status "ok", not warm-ups), grouped into
// configurations by their factor levels, with lazy access to each run's requests and power
// timeline CSV files. Reads only; never writes into the dataset.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace wattserve::report {

struct Run {
  std::string id;
  nlohmann::json record;
  size_t config = 0;                       // index into LoadedDataset::configs
  std::string requests_csv, timeline_csv;  // paths ("" when the run has none)
};

struct Configuration {
  std::string key;           // canonical JSON of the factor levels ("{}" without factors)
  std::string label;         // "engine=llama, model=pycode-small" ("all runs" without factors)
  nlohmann::json factors;    // {factor: level}
  std::vector<size_t> runs;  // indices into LoadedDataset::runs, in run order
};

struct LoadedDataset {
  std::string dir, label;  // label: the folder's name, made unique among the inputs
  std::string study_name, study_hash;
  std::vector<Run> runs;                      // measured runs, in run order
  std::vector<Configuration> configs;         // in order of first appearance
  std::vector<std::string> factors;           // factor names that vary, sorted
  std::vector<std::string> constant_factors;  // factor names with one level only
  std::vector<std::string> energy_sources;    // distinct metrics.energy_source values
  size_t warmups = 0, failed = 0, unreadable = 0;
  std::vector<std::string> warnings;

  // Ids of the catalogue's metrics (metrics.h) that at least one run has.
  std::vector<std::string> present_metrics() const;
};

// Reads DIR (a folder written by `wattserve bench`, or one merged by `bench merge`). Throws
// std::runtime_error with a clear message when DIR is missing, is not a dataset (no readable
// study.json) or holds no finished measured run. Unreadable records are skipped with a warning.
LoadedDataset load_dataset(const std::string& dir);

// The same from records already read (in any order; sorted here by "order", then run_id), for
// tests and the fuzzer: each must be an object with a run_id; `dir` ("" for none) is where the
// runs' requests/ and timelines/ CSV files are looked for. Throws std::runtime_error when no
// record is a finished measured run.
LoadedDataset dataset_from_records(std::vector<nlohmann::json> records, const std::string& dir,
                                   const std::string& label);

// The finite values of each column (e.g. "e2e_s") of a run's requests CSV, for requests with
// status "ok", the file read once; a column is empty when the run has no such file or column.
std::vector<std::vector<double>> request_columns(const Run& run,
                                                 const std::vector<std::string>& columns);

// The same columns row by row: rows[i][c] is column c of the i-th request with status "ok" (a
// direct run) or a 2xx HTTP status (a served run), NaN where the cell is empty or not a number.
// Empty when the run has no requests CSV; a column the file lacks is all NaN.
std::vector<std::vector<double>> request_rows(const Run& run,
                                              const std::vector<std::string>& columns);

// A run's power timeline: seconds since the start and total watts (the sum of the domains'
// ".watts" columns), at most max_points points (evenly thinned); empty when the run has none.
struct TimelinePoint {
  double t_s = 0, watts = 0;
};
std::vector<TimelinePoint> power_timeline(const Run& run, size_t max_points = 400);

// A factor level as people read it: strings as they are, numbers in short form.
std::string level_text(const nlohmann::json& level);

}  // namespace wattserve::report
