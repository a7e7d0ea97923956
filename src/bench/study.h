// A `wattserve bench` study file (TOML): what to vary (factors), how to choose configurations
// (design), the workload, the measurement protocol and the meter. docs/bench.md is the user's
// reference; study_keys() lists every key with its type and default.
//
//   [study]     name (required, [A-Za-z0-9._-]+), description
//   [model]     fixed ModelSpec fields for every run (model::model_spec_fields())
//   [sampling]  fixed sampling fields (model::sampling_fields())
//   [factors]   name = [levels...] or name = { min, max, log?, integer? } (random/lhs only);
//               any model or sampling field, not also fixed in [model]/[sampling]
//   [design]    kind (grid|random|lhs|list), samples, seed, repeats, maximin, configs
//   [workload]  prompts, requests, min_duration_s, labels
//   [protocol]  warmup_runs, cooldown_s, cooldown_within_pct, cooldown_timeout_s, idle_s,
//               idle_every_min, order (shuffled|blocked|sequential), order_seed
//   [meter]     interval_ms, sensors
//   [target], [load], [serve], [slo]
//               the serving fields (bench/load/serving_spec.h): where the requests go and how
//               they arrive; factors vary them by dotted name ("load.streams")
//
// Errors are std::invalid_argument: "FILE:LINE:COL: message" for what the file says, and
// "--set KEY: message" for what an override says.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/load/serving_spec.h"
#include "bench/workload.h"
#include "energy/sensors/meter_setup.h"
#include "engine/engine.h"
#include "model/model_spec.h"

namespace wattserve::bench {

// [study]
struct StudyInfo {
  std::string name;         // required, [A-Za-z0-9._-]+
  std::string description;  // free text (not part of the study hash)
};

// A factor's range, for the sampled designs (random, lhs).
struct Range {
  double min = 0;
  double max = 1;
  bool log = false;      // log-uniform between min and max (min > 0)
  bool integer = false;  // the integers min..max (integral bounds); always on for integer fields
};

// One factor: a model or sampling field and its levels or range.
struct Factor {
  std::string name;
  // The levels, as canonical JSON values (integer fields: integers, number fields: floats,
  // strings, booleans), distinct, in file order. Empty when the factor is a range.
  std::vector<nlohmann::json> levels;
  std::optional<Range> range;  // set for a range factor
  bool is_range() const { return range.has_value(); }
};

enum class DesignKind { kGrid, kRandom, kLhs, kList };
const char* to_string(DesignKind kind);

// [design]
struct DesignSpec {
  DesignKind kind = DesignKind::kGrid;
  int samples = 0;         // random/lhs: configurations (required there, >= 1); else 0
  std::uint64_t seed = 1;  // random/lhs sampling seed, and the default order seed
  int repeats = 1;         // measured runs per configuration (>= 1)
  int maximin = 0;         // lhs: best of this many candidate designs (0 or 1: one); else 0
  // list: the configurations, each a JSON object {field: canonical value}; else empty.
  std::vector<nlohmann::json> configs;
};

enum class RunOrder { kShuffled, kBlocked, kSequential };
const char* to_string(RunOrder order);

// [protocol]
struct ProtocolSpec {
  int warmup_runs = 1;             // per configuration, before its first measured run
  double cooldown_s = 0;           // fixed pause between runs
  double cooldown_within_pct = 0;  // > 0: wait until power is within X % of the idle baseline
  double cooldown_timeout_s = 30;  // ... at most this long
  double idle_s = 5;               // idle-baseline measurement length (0: none)
  double idle_every_min = 10;      // re-measure it every M minutes (0: only at the start)
  RunOrder order = RunOrder::kShuffled;
  std::uint64_t order_seed = 1;  // resolved: design.seed when the study does not say
};

// [meter]
struct MeterSpec {
  // Sampling interval: the one default of in-process inference (energy/sensors/meter_setup.h).
  int interval_ms = static_cast<int>(energy::kDefaultMeterIntervalMs);
  std::string sensors;  // as `wattserve measure --sensors`; empty: automatic
};

// A resolved study: the file with the --set overrides applied and every default filled in.
struct Study {
  std::string path;  // the file it was read from (not part of the hash)
  StudyInfo study;
  // The fixed [model] / [sampling] fields as the study gives them, {field: canonical value}
  // (only the given ones: the others keep model::default_model_spec()/default_sampling()).
  nlohmann::json model = nlohmann::json::object();
  nlohmann::json sampling = nlohmann::json::object();
  // The fixed serving fields ([target], [load], [serve], [slo]) by dotted name ("load.rate").
  nlohmann::json serving = nlohmann::json::object();
  std::vector<Factor> factors;  // in file order (a factor added by --set comes last)
  DesignSpec design;
  WorkloadSpec workload;
  ProtocolSpec protocol;
  MeterSpec meter;

  const Factor* factor(std::string_view name) const;  // nullptr when not a factor
};

// Reads a study file and applies the overrides, each "KEY=VALUE" with KEY a dot path
// (design.seed=7, factors.engine=["llama"], model.threads=1). VALUE is read as a TOML value;
// when it is not one (llama, pycode-tiny), or when KEY takes a string and VALUE reads as another
// scalar (study.name=2024), it is the bare string. An override replaces the whole value at KEY
// (and creates missing tables); several apply in order. Throws std::invalid_argument:
// "FILE:LINE:COL: message" (TOML syntax, unknown key with the known ones listed, wrong type,
// out of range, a factor also fixed, a range where the design needs levels, ...) or
// "--set KEY: message" when the offending value came from an override; "FILE: message" when
// the file cannot be read, or a required key (study.name, design.samples) is missing.
Study load_study(const std::string& path, const std::vector<std::string>& sets = {});
// The same from TOML text; source_name stands for the file in messages.
Study parse_study(std::string_view toml_text, const std::string& source_name,
                  const std::vector<std::string>& sets = {});

// What a study needs to run that a study file may leave out (a file may describe a partial
// design): a model for every run; at most kMaxRuns runs (warm-ups included); for lhs with
// maximin K over N samples, K x N^2 <= 1e10 distance computations. Throws
// std::invalid_argument "FILE: message".
inline constexpr double kMaxRuns = 1e6;
void check_runnable(const Study& study);

// The resolved study as canonical JSON: every section, every default filled in, numbers typed by
// their field (integer fields as integers, number fields as floats), factors as an array in
// order: [{"name", "levels": [...]} or {"name", "range": {"min", "max", "log", "integer"}}].
// Keys sort themselves (nlohmann::json's std::map).
nlohmann::json to_json(const Study& study);
// sha256 hex of to_json(study).dump() without what does not change which runs there are or what
// each one measures: study.description, the schedule (protocol.order, protocol.order_seed) and,
// for grid and list designs, design.seed (there it only seeds the order). The same experiment
// gives the same hash whatever the file's layout, comments, key order, number spelling or run
// order; run ids (design.h) build on it, so a rerun with another order seed resumes the same
// dataset.
std::string study_hash(const Study& study);
// The resolved study as a TOML file (OUT/study.toml) that parse_study() reads back to the same
// study (same hash): a comment header, then every section with every key, factors in order.
std::string to_toml(const Study& study);

// What one run uses: default_model_spec()/default_sampling(), then the study's fixed
// [model]/[sampling] values, then the run's configuration {field: value}.
struct RunSettings {
  model::ModelSpec model;
  engine::SamplingParams sampling;
  load::ServingSpec serving;
};
RunSettings run_settings(const Study& study,
                         const nlohmann::json& config = nlohmann::json::object());

// Every key of a study file, for documentation and messages: "section.key", its TOML type, its
// default ("" when required or none) and a one-line help. [model], [sampling] and [factors]
// take the fields of model::model_spec_fields()/sampling_fields() and are listed as
// "model.*", "sampling.*", "factors.*".
struct StudyKey {
  std::string key;
  std::string type;
  std::string default_value;
  std::string help;
};
const std::vector<StudyKey>& study_keys();

// Lower-case hex SHA-256 of bytes (OpenSSL).
std::string sha256_hex(std::string_view bytes);

}  // namespace wattserve::bench
