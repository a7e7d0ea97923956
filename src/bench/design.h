// A study's design (study.h) turned into runs: the configurations (grid, random, lhs, list), the
// repeats and warm-ups, the run order, run ids, shards and the dry-run listing.
//
// Everything here is a pure function of the resolved study, and the same on every machine and
// standard library: random numbers come from std::mt19937_64 (fully specified by the standard)
// seeded through splitmix64, turned into doubles and bounded integers by this file's own code
// (no std::uniform_*_distribution, no std::shuffle: both are implementation-defined), and the
// shuffles are this file's own Fisher-Yates. Log ranges use std::log/std::exp; their values are
// rounded to 6 significant digits (below), which hides last-bit differences between C libraries.
//
// Configurations (design order):
//  - grid: the full factorial of the factors' levels in factor order (the first factor varies
//    slowest); with no factors, one configuration {} (the fixed settings).
//  - random: design.samples configurations; each factor's value drawn independently: a range
//    uniformly (log = true: log-uniformly) between min and max; a level list uniformly by index.
//  - lhs: a Latin hypercube of N = design.samples configurations. Each factor's distribution
//    (uniform or log-uniform over the range, or uniform over the level list) is cut into N
//    equal-probability strata, each stratum is used exactly once, and the strata of different
//    factors are paired by independent random permutations. A continuous factor takes a random
//    point inside its stratum. Discrete factors (integer ranges and level lists) with M values:
//      * M >= N: the values are cut into N contiguous non-empty groups, group i holding the values
//        whose cell (the part of the distribution that rounds to it) starts in stratum i; where a
//        stratum would be empty (log ranges, whose low values have wide cells) the boundaries
//        move by the fewest values needed (lhs_groups()). Each group gives one value, drawn by
//        the distribution within it, so the N values are distinct.
//      * M < N: the strata collapse onto the values: stratum i takes the value whose cell holds
//        the stratum's midpoint (i + 0.5) / N, so each value is used about N x its probability
//        times (a level list or linear integer range: floor(N/M) or ceil(N/M) times each).
//    design.maximin = K > 1 draws K such hypercubes one after the other from the same stream and
//    keeps the one whose smallest Euclidean distance between two configurations, in the unit cube
//    of the factors' distribution positions, is largest (the first of equals).
//  - list: design.configs as given.
//  Sampled number-field values are rounded to 6 significant digits, unless that would move them
//  out of their stratum (then they keep full precision).
//
// Runs: every configuration runs design.repeats measured runs (repeat 0, 1, ...) and, first,
// protocol.warmup_runs warm-up runs (warmup = true, repeat = the warm-up's own index 0, 1, ...).
// Run order of the measured runs (protocol.order, from protocol.order_seed):
//  - sequential: repeat 0 of every configuration in design order, then repeat 1, ...;
//  - blocked: the same blocks (one per repeat), each shuffled on its own;
//  - shuffled: all measured runs shuffled together.
// A configuration's warm-ups come immediately before its first measured run in that order, and
// nowhere else: a configuration's later repeats run without new warm-ups.
//
// Shards (`--shard I/N`, 0 <= I < N): shard I holds every run (warm-ups and measured) of the
// configurations whose design index is I mod N, in the whole study's run order. A shard is thus
// self-contained (its configurations' warm-ups precede their measured runs, and every repeat of a
// configuration runs on the same machine, so the spread over repeats is not hardware spread); the
// shards are disjoint and together hold every run once; run ids do not depend on the shard.
// A shard may be empty when N exceeds the number of configurations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/study.h"

namespace wattserve::bench {

struct PlannedRun {
  // Hex of the first 16 bytes of sha256(study_hash + "\n" + config.dump() + "\n" + repeat +
  // (warmup ? "\nwarmup" : "") + (occurrence > 0 ? "\noccurrence " + occurrence : "")), where
  // occurrence counts the earlier configurations equal to this one in design order (random and
  // lhs designs over discrete factors can draw one twice; grid and list designs cannot). It
  // depends on nothing else: not on the run order, its seed, the shard or the machine.
  std::string run_id;
  std::size_t config_index = 0;  // the configuration's index in design order
  int repeat = 0;                // 0-based; warm-ups count their own 0, 1, ...
  bool warmup = false;
  nlohmann::json config;  // {factor: value} (the factors only; canonical values)
  std::size_t order = 0;  // position in the whole study's run order (0-based)
};

// The configurations in design order, each {factor: canonical value} (list: {field: value}).
std::vector<nlohmann::json> design_configs(const Study& study);

struct Plan {
  std::string study_hash;
  std::vector<nlohmann::json> configs;  // design order
  std::vector<PlannedRun> runs;         // run order (runs[i].order == i)
};
// Every run of the study, warm-ups included, in run order.
Plan plan_study(const Study& study);

// The run id (see PlannedRun::run_id).
std::string make_run_id(const std::string& study_hash, const nlohmann::json& config, int repeat,
                        bool warmup, int occurrence = 0);

// --- shards -------------------------------------------------------------------------------

struct Shard {
  int index = 0;  // 0-based
  int count = 1;
  bool whole() const { return count == 1; }
};
std::string to_string(Shard shard);  // "I/N"

// "I/N" with 0 <= I < N (e.g. "0/3"); throws std::invalid_argument otherwise.
Shard parse_shard(std::string_view text);

using GetEnv = std::function<const char*(const char*)>;
// The shard of a cluster array task, from its environment, or nullopt when there is none:
//  - Slurm job arrays: SLURM_ARRAY_TASK_ID; index = (ID - SLURM_ARRAY_TASK_MIN) /
//    SLURM_ARRAY_TASK_STEP (MIN 0 and STEP 1 when unset), so `--array=1-3` gives 0, 1, 2;
//    count = `count` when given, else SLURM_ARRAY_TASK_COUNT.
//  - Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX is the index; count = `count` when given,
//    else WATTSERVE_SHARD_COUNT (the Job's .spec.completions; Kubernetes does not export it).
// Throws std::invalid_argument when a variable is not a number, the count is unknown, or the
// index is outside [0, count) (e.g. a Slurm array with gaps, --array=1,5,7).
std::optional<Shard> shard_from_env(const GetEnv& getenv, std::optional<int> count = {});

bool in_shard(const PlannedRun& run, Shard shard);  // config_index % count == index
// The runs of one shard, in the order given (run order), each keeping its whole-study order.
std::vector<PlannedRun> select_shard(const std::vector<PlannedRun>& runs, Shard shard);

// `--dry-run --json`: [{"run_id", "repeat", "config": {factor: value}, "warmup"}, ...] in the
// order given.
nlohmann::json dry_run_json(const std::vector<PlannedRun>& runs);

// --- the pieces, for checks and tests -------------------------------------------------------

// Deterministic random numbers: std::mt19937_64 seeded with splitmix64(seed, stream) (stream 1:
// the design's sampling, stream 2: the run order).
class Rng {
 public:
  Rng(std::uint64_t seed, std::uint64_t stream);
  std::uint64_t next() { return engine_(); }
  double uniform();                      // [0, 1): the top 53 bits of next() / 2^53
  std::uint64_t below(std::uint64_t n);  // [0, n), unbiased (rejection), n >= 1

 private:
  std::mt19937_64 engine_;
};

// Fisher-Yates: for i = n-1 down to 1, swap v[i] with v[below(i + 1)].
template <class T>
void shuffle(std::vector<T>& v, Rng& rng) {
  for (std::size_t i = v.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(rng.below(i));
    std::swap(v[i - 1], v[j]);
  }
}

// A factor's position in [0, 1] of its distribution (the CDF): for a continuous range, of the
// value; for an integer range or level list, of the left edge of the value's cell. Throws
// std::invalid_argument for a value the factor cannot take.
double unit_position(const Factor& factor, const nlohmann::json& value);
// The number of values of a discrete factor (level list or integer range); 0 for a continuous one.
std::int64_t discrete_count(const Factor& factor);
// lhs with n samples of a discrete factor with at least n values: the n + 1 boundaries (indices
// of values, 0 = the first level or range min; last = discrete_count) of its n groups.
std::vector<std::int64_t> lhs_groups(const Factor& factor, int n);
// The lhs stratum (0..n-1) that a value of the factor belongs to: continuous factors by
// unit_position; discrete factors with >= n values by lhs_groups; -1 for discrete factors with
// fewer values than n (the strata collapse: see above).
int stratum_of(const Factor& factor, const nlohmann::json& value, int n);

}  // namespace wattserve::bench
