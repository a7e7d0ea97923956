// Designs, run order, run ids and shards (design.h).
#include "bench/design.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

namespace wattserve::bench {

namespace {

using json = nlohmann::json;

constexpr std::uint64_t kDesignStream = 1;
constexpr std::uint64_t kOrderStream = 2;

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

const model::FieldInfo* field_info(std::string_view name) {
  for (const auto* list : {&model::model_spec_fields(), &model::sampling_fields()}) {
    for (const auto& f : *list)
      if (f.name == name) return &f;
  }
  return nullptr;
}

// Rounds to 6 significant digits (the shortest decimal of that).
double round6(double x) {
  return std::stod(fmt::format("{:.6g}", x));
}

// One factor's distribution on [0, 1]: continuous (a non-integer range) or discrete (a level list
// or an integer range, M values, value j's cell [edge(j), edge(j + 1))).
class Axis {
 public:
  explicit Axis(const Factor& f) : f_(f) {
    if (!f.range) {
      count_ = static_cast<std::int64_t>(f.levels.size());
    } else if (f.range->integer) {
      count_ = static_cast<std::int64_t>(f.range->max - f.range->min) + 1;
    }
    const auto* info = field_info(f.name);
    integer_field_ = info && info->type == "integer";
  }

  bool discrete() const { return count_ > 0; }
  std::int64_t count() const { return count_; }

  // Continuous: value <-> position.
  double from_unit(double u) const {
    const Range& r = *f_.range;
    const double x = r.log ? std::exp(std::log(r.min) + u * (std::log(r.max) - std::log(r.min)))
                           : r.min + u * (r.max - r.min);
    return std::clamp(x, r.min, r.max);
  }
  double to_unit(double x) const {
    const Range& r = *f_.range;
    const double u = r.log ? (std::log(x) - std::log(r.min)) / (std::log(r.max) - std::log(r.min))
                           : (x - r.min) / (r.max - r.min);
    return std::clamp(u, 0.0, 1.0);
  }

  // Discrete: cell edges and the cell of a position.
  double edge(std::int64_t j) const {
    if (j <= 0) return 0;
    if (j >= count_) return 1;
    if (log_integer()) {
      const double a = f_.range->min;
      return std::log((a + static_cast<double>(j)) / a) / std::log((f_.range->max + 1) / a);
    }
    return static_cast<double>(j) / static_cast<double>(count_);
  }
  std::int64_t cell(double u) const {
    double guess;
    if (log_integer()) {
      const double a = f_.range->min;
      guess = std::floor(a * std::exp(u * std::log((f_.range->max + 1) / a))) - a;
    } else {
      guess = std::floor(u * static_cast<double>(count_));
    }
    auto j = static_cast<std::int64_t>(std::clamp(guess, 0.0, static_cast<double>(count_ - 1)));
    while (j + 1 < count_ && edge(j + 1) <= u) ++j;
    while (j > 0 && edge(j) > u) --j;
    return j;
  }
  json value(std::int64_t j) const {
    if (!f_.range) return f_.levels[static_cast<std::size_t>(j)];
    return number(f_.range->min + static_cast<double>(j));
  }
  json number(double x) const {
    if (integer_field_) return static_cast<std::int64_t>(x);
    return x;
  }
  std::int64_t index_of(const json& v) const {
    if (!f_.range) {
      const auto it = std::find(f_.levels.begin(), f_.levels.end(), v);
      if (it == f_.levels.end()) {
        throw std::invalid_argument(
            fmt::format("{} is not a level of factor {}", v.dump(), f_.name));
      }
      return it - f_.levels.begin();
    }
    const double x = v.is_number() ? v.get<double>() : std::nan("");
    if (!(x >= f_.range->min && x <= f_.range->max && x == std::floor(x))) {
      throw std::invalid_argument(
          fmt::format("{} is not a value of integer factor {}", v.dump(), f_.name));
    }
    return static_cast<std::int64_t>(x - f_.range->min);
  }
  double continuous_value(const json& v) const {
    const double x = v.is_number() ? v.get<double>() : std::nan("");
    if (!(x >= f_.range->min && x <= f_.range->max)) {
      throw std::invalid_argument(
          fmt::format("{} is not in the range of factor {}", v.dump(), f_.name));
    }
    return x;
  }

  // The n + 1 group boundaries of lhs_groups() (count() >= n).
  std::vector<std::int64_t> groups(int n) const {
    std::vector<std::int64_t> idx(static_cast<std::size_t>(n) + 1, 0);
    idx.back() = count_;
    for (int i = 1; i < n; ++i) {
      const double t = static_cast<double>(i) / n;
      const std::int64_t c = cell(t);
      idx[static_cast<std::size_t>(i)] = edge(c) < t ? c + 1 : c;  // cells starting before t
    }
    for (std::size_t i = 1; i < idx.size() - 1; ++i) idx[i] = std::max(idx[i], idx[i - 1] + 1);
    for (std::size_t i = 1; i < idx.size() - 1; ++i) {
      idx[i] = std::min(idx[i], count_ - static_cast<std::int64_t>(n - i));
    }
    return idx;
  }

  int continuous_stratum(double x, int n) const {
    const double s = std::floor(to_unit(x) * n);
    return static_cast<int>(std::clamp(s, 0.0, static_cast<double>(n - 1)));
  }

  const Factor& factor() const { return f_; }

 private:
  bool log_integer() const { return f_.range && f_.range->integer && f_.range->log; }
  const Factor& f_;
  std::int64_t count_ = 0;
  bool integer_field_ = false;
};

// A sampled design: values[i][k] is factor k's value in configuration i; unit[i][k] its position.
struct Sample {
  std::vector<std::vector<json>> values;
  std::vector<std::vector<double>> unit;
};

Sample sample_random(const std::vector<Axis>& axes, int n, Rng& rng) {
  Sample s;
  for (int i = 0; i < n; ++i) {
    std::vector<json> values;
    std::vector<double> unit;
    for (const auto& a : axes) {
      const double u = rng.uniform();
      if (a.discrete()) {
        values.push_back(a.value(a.cell(u)));
      } else {
        const Range& r = *a.factor().range;
        values.push_back(a.number(std::clamp(round6(a.from_unit(u)), r.min, r.max)));
      }
      unit.push_back(u);
    }
    s.values.push_back(std::move(values));
    s.unit.push_back(std::move(unit));
  }
  return s;
}

Sample sample_lhs(const std::vector<Axis>& axes, int n, Rng& rng) {
  const auto N = static_cast<std::size_t>(n);
  Sample s;
  s.values.assign(N, {});
  s.unit.assign(N, {});
  for (const auto& a : axes) {
    std::vector<int> perm(N);
    for (std::size_t i = 0; i < N; ++i) perm[i] = static_cast<int>(i);
    shuffle(perm, rng);
    const bool grouped = a.discrete() && a.count() >= n;
    const auto groups = grouped ? a.groups(n) : std::vector<std::int64_t>{};
    for (std::size_t i = 0; i < N; ++i) {
      const int st = perm[i];
      const double r = rng.uniform();
      double u;
      json value;
      if (grouped) {
        const auto lo = groups[static_cast<std::size_t>(st)];
        const auto hi = groups[static_cast<std::size_t>(st) + 1];
        u = a.edge(lo) + r * (a.edge(hi) - a.edge(lo));
        value = a.value(std::clamp(a.cell(u), lo, hi - 1));
      } else if (a.discrete()) {
        u = (st + 0.5) / n;
        value = a.value(a.cell(u));
      } else {
        const double x = a.from_unit((st + r) / n);
        // 6 significant digits when that stays in the stratum; else full precision; else the
        // stratum's midpoint (a point on a boundary that the round trip moved across).
        double chosen = a.from_unit((st + 0.5) / n);
        for (const double c : {round6(x), x}) {
          const Range& rg = *a.factor().range;
          if (c >= rg.min && c <= rg.max && a.continuous_stratum(c, n) == st) {
            chosen = c;
            break;
          }
        }
        u = a.to_unit(chosen);
        value = a.number(chosen);
      }
      s.values[i].push_back(std::move(value));
      s.unit[i].push_back(u);
    }
  }
  return s;
}

double min_distance2(const Sample& s) {
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < s.unit.size(); ++i) {
    for (std::size_t j = i + 1; j < s.unit.size(); ++j) {
      double d = 0;
      for (std::size_t k = 0; k < s.unit[i].size(); ++k) {
        const double x = s.unit[i][k] - s.unit[j][k];
        d += x * x;
      }
      best = std::min(best, d);
    }
  }
  return best;
}

std::vector<json> to_configs(const std::vector<Factor>& factors, const Sample& s) {
  std::vector<json> out;
  for (const auto& values : s.values) {
    json c = json::object();
    for (std::size_t k = 0; k < factors.size(); ++k) c[factors[k].name] = values[k];
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<json> grid(const std::vector<Factor>& factors) {
  std::vector<json> out;
  std::vector<std::size_t> idx(factors.size(), 0);
  while (true) {
    json c = json::object();
    for (std::size_t k = 0; k < factors.size(); ++k) c[factors[k].name] = factors[k].levels[idx[k]];
    out.push_back(std::move(c));
    // Odometer: the last factor varies fastest.
    std::size_t k = factors.size();
    while (k > 0) {
      --k;
      if (++idx[k] < factors[k].levels.size()) break;
      idx[k] = 0;
      if (k == 0) return out;
    }
    if (factors.empty()) return out;
  }
}

int parse_int(std::string_view text, const std::string& what) {
  int v = 0;
  const auto* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end) {
    throw std::invalid_argument(fmt::format("{} must be an integer, not \"{}\"", what, text));
  }
  return v;
}

}  // namespace

// --- Rng ------------------------------------------------------------------------------------

Rng::Rng(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t state = seed ^ (stream * 0xd1b54a32d192ed03ULL);
  engine_.seed(splitmix64(state));
}

double Rng::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

std::uint64_t Rng::below(std::uint64_t n) {
  if (n <= 1) return 0;
  const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n: the biased low values
  while (true) {
    const std::uint64_t x = next();
    if (x >= threshold) return x % n;
  }
}

// --- factors --------------------------------------------------------------------------------

double unit_position(const Factor& factor, const nlohmann::json& value) {
  const Axis a(factor);
  if (a.discrete()) return a.edge(a.index_of(value));
  return a.to_unit(a.continuous_value(value));
}

std::int64_t discrete_count(const Factor& factor) {
  return Axis(factor).count();
}

std::vector<std::int64_t> lhs_groups(const Factor& factor, int n) {
  const Axis a(factor);
  if (!a.discrete() || n < 1 || a.count() < n) {
    throw std::invalid_argument(fmt::format("lhs_groups: factor {} has {} values, fewer than {}",
                                            factor.name, a.count(), n));
  }
  return a.groups(n);
}

int stratum_of(const Factor& factor, const nlohmann::json& value, int n) {
  const Axis a(factor);
  if (!a.discrete()) return a.continuous_stratum(a.continuous_value(value), n);
  const auto j = a.index_of(value);
  if (a.count() < n) return -1;
  const auto g = a.groups(n);
  const auto it = std::upper_bound(g.begin(), g.end(), j);
  return static_cast<int>(it - g.begin()) - 1;
}

// --- design ---------------------------------------------------------------------------------

std::vector<nlohmann::json> design_configs(const Study& study) {
  const auto& d = study.design;
  switch (d.kind) {
    case DesignKind::kGrid:
      return grid(study.factors);
    case DesignKind::kList:
      return d.configs;
    case DesignKind::kRandom:
    case DesignKind::kLhs:
      break;
  }
  std::vector<Axis> axes;
  for (const auto& f : study.factors) axes.emplace_back(f);
  Rng rng(d.seed, kDesignStream);
  if (d.kind == DesignKind::kRandom)
    return to_configs(study.factors, sample_random(axes, d.samples, rng));
  Sample best = sample_lhs(axes, d.samples, rng);
  double best_d = min_distance2(best);
  for (int k = 1; k < d.maximin; ++k) {
    Sample s = sample_lhs(axes, d.samples, rng);
    const double dist = min_distance2(s);
    if (dist > best_d) {
      best = std::move(s);
      best_d = dist;
    }
  }
  return to_configs(study.factors, best);
}

std::string make_run_id(const std::string& study_hash, const nlohmann::json& config, int repeat,
                        bool warmup, int occurrence) {
  std::string text = study_hash + "\n" + config.dump() + "\n" + std::to_string(repeat);
  if (warmup) text += "\nwarmup";
  if (occurrence > 0) text += "\noccurrence " + std::to_string(occurrence);
  return sha256_hex(text).substr(0, 32);
}

Plan plan_study(const Study& study) {
  Plan plan;
  plan.study_hash = study_hash(study);
  plan.configs = design_configs(study);
  const std::size_t n = plan.configs.size();
  const int repeats = study.design.repeats;

  // How many equal configurations come before each one (sampled designs can draw one twice).
  std::vector<int> occurrence(n, 0);
  std::map<std::string, int> seen;
  for (std::size_t i = 0; i < n; ++i) occurrence[i] = seen[plan.configs[i].dump()]++;

  // Measured runs (configuration, repeat) in run order.
  std::vector<std::pair<std::size_t, int>> measured;
  Rng rng(study.protocol.order_seed, kOrderStream);
  for (int r = 0; r < repeats; ++r) {
    std::vector<std::pair<std::size_t, int>> block;
    for (std::size_t c = 0; c < n; ++c) block.emplace_back(c, r);
    if (study.protocol.order == RunOrder::kBlocked) shuffle(block, rng);
    measured.insert(measured.end(), block.begin(), block.end());
  }
  if (study.protocol.order == RunOrder::kShuffled) shuffle(measured, rng);

  const auto add = [&](std::size_t c, int repeat, bool warmup) {
    PlannedRun run;
    run.config_index = c;
    run.repeat = repeat;
    run.warmup = warmup;
    run.config = plan.configs[c];
    run.run_id = make_run_id(plan.study_hash, run.config, repeat, warmup, occurrence[c]);
    run.order = plan.runs.size();
    plan.runs.push_back(std::move(run));
  };
  std::vector<bool> warmed(n, false);
  for (const auto& [c, r] : measured) {
    if (!warmed[c]) {
      for (int w = 0; w < study.protocol.warmup_runs; ++w) add(c, w, true);
      warmed[c] = true;
    }
    add(c, r, false);
  }
  return plan;
}

// --- shards ---------------------------------------------------------------------------------

std::string to_string(Shard shard) {
  return fmt::format("{}/{}", shard.index, shard.count);
}

Shard parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  const auto bad = [&] {
    return std::invalid_argument(fmt::format(
        "--shard must be I/N with 0 <= I < N (e.g. 0/3 for the first of three), not \"{}\"", text));
  };
  if (slash == std::string_view::npos) throw bad();
  Shard s;
  try {
    s.index = parse_int(text.substr(0, slash), "I");
    s.count = parse_int(text.substr(slash + 1), "N");
  } catch (const std::invalid_argument&) {
    throw bad();
  }
  if (s.count < 1 || s.index < 0 || s.index >= s.count) throw bad();
  return s;
}

std::optional<Shard> shard_from_env(const GetEnv& getenv, std::optional<int> count) {
  const auto var = [&](const char* name) -> std::optional<int> {
    const char* v = getenv(name);
    if (!v) return std::nullopt;
    return parse_int(v, name);
  };
  Shard s;
  std::string source;
  if (const auto id = var("SLURM_ARRAY_TASK_ID")) {
    const int min = var("SLURM_ARRAY_TASK_MIN").value_or(0);
    const int step = var("SLURM_ARRAY_TASK_STEP").value_or(1);
    if (step < 1 || (*id - min) % step != 0) {
      throw std::invalid_argument(
          fmt::format("SLURM_ARRAY_TASK_ID {} is not SLURM_ARRAY_TASK_MIN {} plus a multiple of "
                      "SLURM_ARRAY_TASK_STEP {}",
                      *id, min, step));
    }
    s.index = (*id - min) / step;
    const auto n = count ? count : var("SLURM_ARRAY_TASK_COUNT");
    if (!n) {
      throw std::invalid_argument(
          "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: give the shard count "
          "(--shard N)");
    }
    s.count = *n;
    source = fmt::format("Slurm array task {} (SLURM_ARRAY_TASK_MIN {}, STEP {})", *id, min, step);
  } else if (const auto index = var("JOB_COMPLETION_INDEX")) {
    s.index = *index;
    const auto n = count ? count : var("WATTSERVE_SHARD_COUNT");
    if (!n) {
      throw std::invalid_argument(
          "JOB_COMPLETION_INDEX is set but the shard count is not: set WATTSERVE_SHARD_COUNT to "
          "the Job's completions (or give --shard N)");
    }
    s.count = *n;
    source = fmt::format("JOB_COMPLETION_INDEX {}", *index);
  } else {
    return std::nullopt;
  }
  if (s.count < 1 || s.index < 0 || s.index >= s.count) {
    throw std::invalid_argument(fmt::format(
        "{} gives shard {} of {}, outside 0..{} (an array with gaps, or the wrong count?)", source,
        s.index, s.count, s.count - 1));
  }
  return s;
}

bool in_shard(const PlannedRun& run, Shard shard) {
  return run.config_index % static_cast<std::size_t>(shard.count) ==
         static_cast<std::size_t>(shard.index);
}

std::vector<PlannedRun> select_shard(const std::vector<PlannedRun>& runs, Shard shard) {
  std::vector<PlannedRun> out;
  for (const auto& r : runs)
    if (in_shard(r, shard)) out.push_back(r);
  return out;
}

nlohmann::json dry_run_json(const std::vector<PlannedRun>& runs) {
  json out = json::array();
  for (const auto& r : runs) {
    out.push_back(
        {{"run_id", r.run_id}, {"repeat", r.repeat}, {"config", r.config}, {"warmup", r.warmup}});
  }
  return out;
}

}  // namespace wattserve::bench
