// The on-disk dataset of a bench study (`wattserve bench ... --out OUT`), its resume, merge and
// status. Layout (docs/bench.md has the user-facing reference):
//
//   OUT/study.toml               the resolved study, as given to Dataset::open()
//   OUT/study.json               {"schema": "wattserve.bench-dataset", "schema_version": 1,
//                                 "name", "hash"}: which study this dataset belongs to
//   OUT/runs/<run_id>.json       one run record per finished run (ok or failed); the commit point
//   OUT/requests/<run_id>.csv    one row per request of that run (when the run has any)
//   OUT/timelines/<run_id>.csv   the meter's samples during that run (when it has any)
//   OUT/runs.csv                 one flat row per run (see runs_table())
//   OUT/emissions.csv            CodeCarbon's emissions.csv columns, one row per run
//   OUT/index.json               run ids by hardware / model / sampling / use case
//   OUT/.lock                    flock()ed by the one Dataset writing OUT
//
// Every file is written whole (energy/core/atomic_file.h: temporary file, fsync, rename). A run's
// CSV files are written before its record, and the record last: a run whose record exists is
// finished and complete; a kill -9 at any moment leaves no record or a whole one. CSV files left
// without a record (killed between the two) and temporary files are removed by the next open().
// run_id names every file of a run, so rerunning a run replaces its files: there is never more
// than one record per run_id.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "energy/exporters/run_summary.h"

namespace wattserve::bench {

// One value as a CSV cell: null -> "", strings as they are, booleans "true"/"false", integers
// in full, other numbers in the shortest form that reads back exactly (format_double), arrays
// and objects as compact JSON.
std::string csv_cell(const nlohmann::json& value);

// A CSV file's contents: a header and rows of cells (each row as long as the header).
struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  // Appends a row of values, each formatted by csv_cell().
  void add(const std::vector<nlohmann::json>& values);
  // The CSV text (RFC 4180 quoting, "\n" line ends, header first); "" for a table with no
  // header. Throws std::invalid_argument when a row's length differs from the header's.
  std::string text() const;
  bool empty() const { return header.empty(); }
};

class Dataset {
 public:
  // Opens OUT for writing, creating it when missing, and takes its lock for the lifetime of the
  // object (one writer per dataset: shards write to their own folders and are merged).
  //  - A folder holding study.json must hold the same study hash; otherwise throws
  //    std::runtime_error saying which study (name and hash) it holds.
  //  - A folder without study.json must be empty or hold only the dataset's own entries;
  //    otherwise throws (a dataset is not mixed into an unrelated folder).
  //  - Another process holding the lock: throws, naming the folder.
  // Writes study.toml and study.json when missing (an existing study.toml is kept), creates
  // runs/, requests/ and timelines/, and removes temporary files and CSV files whose run has no
  // record file (warnings() lists what was removed).
  static Dataset open(const std::string& dir, const std::string& study_toml,
                      const std::string& study_name, const std::string& study_hash);

  Dataset(Dataset&& other) noexcept;
  Dataset& operator=(Dataset&& other) noexcept;
  Dataset(const Dataset&) = delete;
  Dataset& operator=(const Dataset&) = delete;
  ~Dataset();

  const std::string& dir() const { return dir_; }
  const std::string& study_name() const { return name_; }
  const std::string& study_hash() const { return hash_; }

  // The run ids of the records in runs/ that parse, whose run_id is their file name and whose
  // study.hash is this study's; with include_failed = false, only those with status "ok".
  // Anything else in runs/ is ignored (a rerun of that run replaces it).
  std::set<std::string> finished_ids(bool include_failed = true) const;

  // What open() cleaned up and the files in runs/ that finished_ids() ignores (with why), for
  // the command to print.
  std::vector<std::string> warnings() const;

  // Stores one finished run: requests/<id>.csv and timelines/<id>.csv (an empty table removes
  // any earlier file of that run instead), then runs/<id>.json (the record, 2-space JSON)
  // last, each atomically. The record must be an object with a run_id made of [A-Za-z0-9._-]
  // (not starting with '.') and study.hash equal to this study's: std::invalid_argument
  // otherwise. Throws std::runtime_error on I/O errors (the record is then not written).
  void write_run(const nlohmann::json& record, const CsvTable& requests, const CsvTable& timeline);

  // Rewrites runs.csv, emissions.csv and index.json from the records in runs/ (those
  // finished_ids() counts), each atomically. Rows follow the records' "order" (run order)
  // where they have one, then run_id.
  void rebuild_tables();

  std::string record_path(const std::string& run_id) const;
  std::string requests_path(const std::string& run_id) const;
  std::string timeline_path(const std::string& run_id) const;

 private:
  Dataset() = default;
  std::string dir_, name_, hash_;
  int lock_fd_ = -1;
  std::vector<std::string> cleaned_;
};

// ---- Tables (what rebuild_tables() writes), from records sorted in row order. ----

// runs.csv: one row per record, for pandas and R. Columns, in this order:
//   run_id, status, warmup, repeat, config_index, order;
//   config.* (the record's config, flattened with dots, sorted);
//   metrics.*, timings.* (flattened, sorted);
//   energy.* (the energy block's scalars, then energy.domains.<id>.{joules,dynamic_joules,
//     avg_watts} per domain, sorted);
//   carbon.*, machine.*, software.* (flattened, sorted);
//   started_at, ended_at, duration_s, error.
// The columns are the union over the records; a record without a column has an empty cell.
CsvTable runs_table(const std::vector<nlohmann::json>& records);
// emissions.csv: codecarbon_columns() and one codecarbon_row() per record (every record:
// warm-ups and failed runs used energy too; runs.csv says which they are).
CsvTable emissions_table(const std::vector<nlohmann::json>& records);
// The CodeCarbon view of a record: project_name = study.name, experiment_id = study.hash,
// run_id, end time (ended_at), energy window (energy.duration_s and energy.domains), carbon,
// emissions_kg, machine, software.wattserve_version; tracking mode "machine".
energy::RunSummary summary_from_record(const nlohmann::json& record);

// index.json: {"schema": "wattserve.bench-index", "schema_version": 1, "study": {name, hash},
//   "levels": ["hardware", "model", "sampling", "use_case"],
//   "runs": {hardware: {model: {sampling: {use_case: [run_id, ...]}}}}}
// over the measured runs (status "ok", not warm-ups), ids in row order. The keys:
//   hardware  machine.cpu_model, plus " + " machine.gpu_model when machine.gpu_count > 0
//   model     config.model.model, then "(engine, provider, quant)" of those set
//   sampling  config.sampling's fields "name=value" (sorted by name) joined by ", "
//   use_case  config.workload.prompts (or .name); "unknown" when missing
// (Each key is "unknown" when its source is missing.)
nlohmann::json index_json(const std::vector<nlohmann::json>& records, const std::string& study_name,
                          const std::string& study_hash);
std::string index_hardware_key(const nlohmann::json& record);
std::string index_model_key(const nlohmann::json& record);
std::string index_sampling_key(const nlohmann::json& record);
std::string index_use_case_key(const nlohmann::json& record);

// ---- Merge ----

struct MergeResult {
  std::string out, study_name, study_hash;
  size_t inputs = 0;      // folders merged
  size_t copied = 0;      // records copied into out
  size_t duplicates = 0;  // records whose run_id was already there (one kept: "ok" over "failed",
                          // else the first)
  size_t records = 0;     // records in out afterwards
  std::vector<std::string> warnings;  // unreadable records skipped, files cleaned up
  std::string text() const;           // one line for people
  nlohmann::json to_json() const;
};

// Combines datasets (shards) into `out` (created, or an existing dataset of the same study):
// copies every record with its CSV files (CSV files first, record last, as write_run()), then
// rebuilds the tables. Refuses, before writing anything (std::runtime_error):
//  - a folder that is not a dataset (no readable study.json);
//  - a folder, or `out`, holding another study hash (the message names the folder and both
//    studies' names and hashes);
//  - a record, in any folder, of another study hash (naming the file and both hashes).
// A folder equal to `out` is allowed and contributes what is already there.
MergeResult merge(const std::vector<std::string>& dirs, const std::string& out);

// ---- Status ----

// One planned run, as the design gives it.
struct PlanEntry {
  std::string run_id;
  nlohmann::json config;  // {factor: level}
  bool warmup = false;
};

struct StatusCounts {
  size_t planned = 0, done = 0, failed = 0, remaining = 0;  // done: status "ok"
};

struct LevelStatus {
  std::string factor;
  nlohmann::json level;
  StatusCounts counts;
};

struct StatusReport {
  std::string dir, study_name, study_hash;  // name/hash empty when dir holds no dataset yet
  StatusCounts runs;                        // every planned run, warm-ups included
  StatusCounts warmups;                     // the warm-ups among them
  std::vector<LevelStatus> levels;          // per factor (sorted) and level (sorted), all runs
  std::vector<std::string> unplanned;       // records in dir that the plan does not hold
  std::vector<std::string> warnings;        // unreadable records (counted as remaining)

  std::string text() const;
  nlohmann::json to_json() const;
};

// Counts the plan's runs by their records in `dir`. A missing folder, or one without
// study.json, is a dataset with no runs yet. When study_hash is not empty and dir holds another
// study, throws std::runtime_error as Dataset::open() does. Reads only.
StatusReport status(const std::string& dir, const std::vector<PlanEntry>& planned,
                    const std::string& study_hash = "");

}  // namespace wattserve::bench
