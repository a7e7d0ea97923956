// Designs, run order, run ids and shards (src/bench/design.h), with property tests over random
// factor sets: each is a study file written here, so the factors go through the same checks as
// a user's.
#include "bench/design.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace wattserve::bench {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

// --- random studies -------------------------------------------------------------------------

struct Gen {
  std::mt19937_64 rng;
  explicit Gen(std::uint64_t seed) : rng(seed) {}
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  double real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
  bool coin() { return between(0, 1) == 1; }
};

std::string num(double x) {
  return fmt::format("{}", x);
}

// A TOML factor line for field `name`: a range (linear or log, integer for integer fields) or a
// level list. `ranges` false: levels only.
std::string random_factor(Gen& g, const std::string& name, bool ranges) {
  // Integer fields and their bounds, from the field tables.
  static const std::map<std::string, std::pair<int, int>> ints = [] {
    std::map<std::string, std::pair<int, int>> m;
    for (const auto* list : {&model::model_spec_fields(), &model::sampling_fields()}) {
      for (const auto& f : *list) {
        if (f.type != "integer") continue;
        const double hi = std::min(f.max.value_or(1e9), 1e9);
        m[f.name] = {static_cast<int>(f.min.value_or(0)), static_cast<int>(hi)};
      }
    }
    return m;
  }();
  static const std::map<std::string, std::vector<std::string>> choices = {
      {"engine", {"\"llama\"", "\"onnx\"", "\"torch\""}},
      {"quant", {"\"f32\"", "\"f16\"", "\"q8_0\"", "\"q4_0\"", "\"\""}},
      {"kv_cache", {"\"f32\"", "\"f16\""}},
      {"ignore_eos", {"true", "false"}}};
  std::vector<std::string> levels;
  if (auto it = ints.find(name); it != ints.end()) {
    const auto [lo, hi] = it->second;  // every integer field allows at least 0..64 or 1..64
    const int form = ranges ? g.between(0, 3) : 3;
    if (form == 0) {  // linear: sometimes fewer, sometimes more integers than samples
      const int min = lo + g.between(0, 20);
      const int max = std::min(hi, min + (g.coin() ? g.between(1, 20) : g.between(1, 300)));
      return fmt::format("{} = {{ min = {}, max = {} }}", name, min, max);
    }
    if (form == 1 || form == 2) {  // log
      const int min = std::max(lo, 1) + g.between(0, 20);
      const int max = std::min(hi, min + (g.coin() ? g.between(1, 30) : g.between(1, 5000)));
      return fmt::format("{} = {{ min = {}, max = {}, log = true, integer = true }}", name, min,
                         max);
    }
    std::set<int> seen;
    const int n = g.between(1, 12);
    while (static_cast<int>(seen.size()) < n) seen.insert(lo + g.between(0, 40));
    for (int v : seen) levels.push_back(std::to_string(v));
  } else if (name == "temperature" || name == "top_p") {
    const bool top_p = name == "top_p";
    const int form = ranges ? g.between(0, 2) : 2;
    if (form == 0) {
      const double min = top_p ? g.real(0.01, 0.9) : g.real(0, 1);
      const double max = top_p ? g.real(min + 0.01, 1.0) : min + g.real(0.01, 5);
      return fmt::format("{} = {{ min = {}, max = {} }}", name, num(min), num(max));
    }
    if (form == 1) {
      const double min = g.real(0.001, 0.5);
      const double max = top_p ? 1.0 : min * g.real(1.5, 100);
      return fmt::format("{} = {{ min = {}, max = {}, log = true }}", name, num(min), num(max));
    }
    std::set<double> seen;
    const int n = g.between(1, 8);
    while (static_cast<int>(seen.size()) < n) seen.insert(std::round(g.real(0.01, 1) * 100) / 100);
    for (double v : seen) levels.push_back(num(v));
  } else if (auto c = choices.find(name); c != choices.end()) {
    levels = c->second;
    std::shuffle(levels.begin(), levels.end(), g.rng);
    levels.resize(static_cast<std::size_t>(g.between(1, static_cast<int>(levels.size()))));
  } else {  // model, provider: any string
    const int n = g.between(1, 80);
    for (int i = 0; i < n; ++i) levels.push_back(fmt::format("\"{}{}\"", name, i));
  }
  std::string out = name + " = [";
  for (std::size_t i = 0; i < levels.size(); ++i) out += (i ? ", " : "") + levels[i];
  return out + "]";
}

std::vector<std::string> random_fields(Gen& g, int count) {
  std::vector<std::string> all = {"max_tokens", "top_k",    "threads",     "context", "batch",
                                  "parallel",   "seed",     "temperature", "top_p",   "engine",
                                  "quant",      "kv_cache", "ignore_eos",  "model",   "provider"};
  std::shuffle(all.begin(), all.end(), g.rng);
  all.resize(static_cast<std::size_t>(count));
  return all;
}

std::string random_study(Gen& g, const std::string& kind, int samples, int factors,
                         std::uint64_t seed, int maximin = 0) {
  std::string t = "[study]\nname = \"prop\"\n[factors]\n";
  for (const auto& f : random_fields(g, factors)) t += random_factor(g, f, kind != "grid") + "\n";
  t += fmt::format("[design]\nkind = \"{}\"\nseed = {}\n", kind, seed);
  if (kind != "grid") t += fmt::format("samples = {}\n", samples);
  if (maximin > 0) t += fmt::format("maximin = {}\n", maximin);
  return t;
}

// The values factor f takes in the configurations.
std::vector<json> column(const std::vector<json>& configs, const Factor& f) {
  std::vector<json> out;
  for (const auto& c : configs) out.push_back(c.at(f.name));
  return out;
}

// Checks a Latin hypercube of n samples; returns false (with a failure) at the first problem.
void check_lhs(const Study& s, const std::vector<json>& configs) {
  const int n = s.design.samples;
  ASSERT_EQ(configs.size(), static_cast<std::size_t>(n));
  for (const auto& c : configs) {
    ASSERT_EQ(c.size(), s.factors.size());
    EXPECT_NO_THROW(run_settings(s, c)) << c.dump();  // every value is valid for its field
  }
  for (const auto& f : s.factors) {
    SCOPED_TRACE("factor " + f.name);
    const auto values = column(configs, f);
    const std::int64_t m = discrete_count(f);
    if (m == 0 || m >= n) {
      // Each stratum used exactly once.
      std::vector<int> strata;
      for (const auto& v : values) strata.push_back(stratum_of(f, v, n));
      std::sort(strata.begin(), strata.end());
      std::vector<int> all(static_cast<std::size_t>(n));
      std::iota(all.begin(), all.end(), 0);
      ASSERT_EQ(strata, all);
      if (m > 0) {  // distinct values, groups contiguous and non-empty
        EXPECT_EQ(std::set<json>(values.begin(), values.end()).size(), values.size());
        const auto groups = lhs_groups(f, n);
        ASSERT_EQ(groups.size(), static_cast<std::size_t>(n) + 1);
        EXPECT_EQ(groups.front(), 0);
        EXPECT_EQ(groups.back(), m);
        for (std::size_t i = 1; i < groups.size(); ++i) EXPECT_LT(groups[i - 1], groups[i]);
      }
    } else {
      // The strata collapse: each value is used about n x its probability times.
      std::map<json, int> count;
      for (const auto& v : values) ++count[v];
      std::vector<json> all_values;
      if (!f.range) {
        all_values = f.levels;
      } else {
        const auto max = static_cast<std::int64_t>(f.range->max);
        for (auto x = static_cast<std::int64_t>(f.range->min); x <= max; ++x) {
          all_values.push_back(x);
        }
      }
      for (std::size_t j = 0; j < all_values.size(); ++j) {
        const double lo = unit_position(f, all_values[j]);
        const double hi = j + 1 < all_values.size() ? unit_position(f, all_values[j + 1]) : 1.0;
        EXPECT_NEAR(count[all_values[j]], n * (hi - lo), 1.0 + 1e-9) << all_values[j];
      }
    }
    if (f.range && !f.range->integer) {
      for (const auto& v : values) {
        const double x = v.get<double>();
        EXPECT_GE(x, f.range->min);
        EXPECT_LE(x, f.range->max);
        if (!f.range->log) {  // the stratum by an independent formula, off a boundary
          const double u = (x - f.range->min) / (f.range->max - f.range->min) * n;
          if (std::abs(u - std::round(u)) > 1e-6) {
            EXPECT_EQ(static_cast<int>(std::floor(u)), stratum_of(f, v, n));
          }
        }
      }
    }
  }
}

TEST(Design, LatinHypercubeUsesEveryStratumOnce) {
  for (std::uint64_t k = 0; k < 1000; ++k) {
    Gen g(k);
    const int n = g.between(1, 64);
    const int factors = g.between(1, 6);
    const std::string text = random_study(g, "lhs", n, factors, g.rng() >> 1, g.coin() ? 0 : 3);
    SCOPED_TRACE(text);
    const Study s = parse_study(text, "prop.toml");
    const auto configs = design_configs(s);
    check_lhs(s, configs);
    if (::testing::Test::HasFailure()) return;
    // Seed reproducibility: the same study gives the same design.
    EXPECT_EQ(design_configs(parse_study(text, "prop.toml")), configs);
  }
}

TEST(Design, LatinHypercubeOfTheSamplingStudy) {
  const Study s = parse_study(R"([study]
name = "sampling-lhs"
[model]
model = "pycode-small"
[factors]
max_tokens = { min = 8, max = 256, log = true }
temperature = { min = 0.0, max = 1.5 }
top_k = { min = 1, max = 100 }
top_p = { min = 0.5, max = 1.0 }
[design]
kind = "lhs"
samples = 40
repeats = 3
)",
                              "s.toml");
  const auto configs = design_configs(s);
  check_lhs(s, configs);
  // Rounded to 6 significant digits.
  for (const auto& c : configs) {
    const double t = c["temperature"].get<double>();
    EXPECT_EQ(std::stod(fmt::format("{:.6g}", t)), t);
    EXPECT_TRUE(c["max_tokens"].is_number_integer());
    EXPECT_TRUE(c["top_p"].is_number_float());
  }
  // Another seed, another design; the same seed, the same design.
  const Study s7 = parse_study(to_toml(s), "s.toml", {"design.seed=7"});
  const auto configs7 = design_configs(s7);
  check_lhs(s7, configs7);
  EXPECT_NE(configs7, configs);
  EXPECT_EQ(design_configs(parse_study(to_toml(s7), "again.toml")), configs7);
  EXPECT_NE(study_hash(s7), study_hash(s));
}

TEST(Design, LatinHypercubeOfDiscreteFactors) {
  const Study s = parse_study(R"([study]
name = "d"
[factors]
max_tokens = { min = 1, max = 100, log = true }
top_k = { min = 0, max = 99 }
threads = { min = 1, max = 7 }
engine = ["llama", "onnx", "torch"]
model = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r",
         "s", "t", "u", "v", "w", "x", "y", "z", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J",
         "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z"]
[design]
kind = "lhs"
samples = 40
)",
                              "d.toml");
  const auto configs = design_configs(s);
  check_lhs(s, configs);
  // A log range's low values have cells wider than a stratum: 1 alone holds log(2)/log(101) of
  // the distribution, 6 strata. The groups still give 40 distinct values, the low ones each a
  // group of their own.
  const auto groups = lhs_groups(*s.factor("max_tokens"), 40);
  EXPECT_EQ(groups[1], 1);
  EXPECT_EQ(groups[2], 2);
  // A linear range: groups of equal size (100 / 40: 2 or 3 values).
  const auto top_k = lhs_groups(*s.factor("top_k"), 40);
  for (std::size_t i = 1; i < top_k.size(); ++i) {
    EXPECT_GE(top_k[i] - top_k[i - 1], 2);
    EXPECT_LE(top_k[i] - top_k[i - 1], 3);
  }
  // Fewer values than samples: each value floor(40 / M) or ceil(40 / M) times.
  std::map<json, int> threads, engines;
  for (const auto& c : configs) {
    ++threads[c["threads"]];
    ++engines[c["engine"]];
  }
  EXPECT_EQ(threads.size(), 7u);
  for (const auto& [v, n] : threads) EXPECT_TRUE(n == 5 || n == 6) << v << " " << n;
  EXPECT_EQ(engines.size(), 3u);
  for (const auto& [v, n] : engines) EXPECT_TRUE(n == 13 || n == 14) << v << " " << n;
  EXPECT_EQ(stratum_of(*s.factor("engine"), "onnx", 40), -1);
  EXPECT_EQ(stratum_of(*s.factor("engine"), "onnx", 2), 0);  // cell [1/3, 2/3) starts in 0
  EXPECT_THROW(stratum_of(*s.factor("engine"), "jax", 2), std::invalid_argument);
  EXPECT_THROW(unit_position(*s.factor("top_k"), 100), std::invalid_argument);
  EXPECT_DOUBLE_EQ(unit_position(*s.factor("top_k"), 25), 0.25);
  EXPECT_EQ(discrete_count(*s.factor("max_tokens")), 100);
}

double min_distance(const Study& s, const std::vector<json>& configs) {
  double best = INFINITY;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    for (std::size_t j = i + 1; j < configs.size(); ++j) {
      double d = 0;
      for (const auto& f : s.factors) {
        const double x =
            unit_position(f, configs[i][f.name]) - unit_position(f, configs[j][f.name]);
        d += x * x;
      }
      best = std::min(best, d);
    }
  }
  return best;
}

TEST(Design, MaximinKeepsTheMostSpreadCandidate) {
  // Continuous factors, where unit_position is the point the design measured distances on. The
  // first candidate of maximin = K is the design of maximin = 1 (same stream), so the chosen one
  // is at least as spread.
  int better = 0;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    const std::string text = fmt::format(R"([study]
name = "m"
[factors]
temperature = {{ min = 0.0, max = 2.0 }}
top_p = {{ min = 0.1, max = 1.0, log = true }}
[design]
kind = "lhs"
samples = 12
seed = {}
)",
                                         seed);
    const Study one = parse_study(text, "m.toml");
    const Study many = parse_study(text, "m.toml", {"design.maximin=20"});
    const auto c1 = design_configs(one);
    const auto ck = design_configs(many);
    check_lhs(many, ck);
    EXPECT_GE(min_distance(many, ck), min_distance(one, c1) - 1e-9);
    better += min_distance(many, ck) > min_distance(one, c1);
    EXPECT_EQ(design_configs(many), ck);
  }
  EXPECT_GT(better, 20);
}

TEST(Design, RandomDesignStaysInRangeAndIsReproducible) {
  for (std::uint64_t k = 0; k < 200; ++k) {
    Gen g(1000 + k);
    const int n = g.between(1, 50);
    const std::string text = random_study(g, "random", n, g.between(1, 5), g.rng() >> 1);
    SCOPED_TRACE(text);
    const Study s = parse_study(text, "r.toml");
    const auto configs = design_configs(s);
    ASSERT_EQ(configs.size(), static_cast<std::size_t>(n));
    for (const auto& c : configs) {
      EXPECT_NO_THROW(run_settings(s, c)) << c.dump();
      for (const auto& f : s.factors) {
        EXPECT_NO_THROW(unit_position(f, c[f.name])) << c.dump();
        if (f.range) {
          EXPECT_GE(c[f.name].get<double>(), f.range->min);
          EXPECT_LE(c[f.name].get<double>(), f.range->max);
        }
      }
    }
    EXPECT_EQ(design_configs(parse_study(text, "r.toml")), configs);
  }
  // Roughly uniform: a level list of 4 over 4000 samples.
  const Study s = parse_study(
      "[study]\nname = \"u\"\n[factors]\nquant = [\"f32\", \"f16\", \"q8_0\", \"q4_0\"]\n"
      "top_p = { min = 0.5, max = 1.0 }\n[design]\nkind = \"random\"\nsamples = 4000\n",
      "u.toml");
  std::map<std::string, int> count;
  double sum = 0;
  for (const auto& c : design_configs(s)) {
    ++count[c["quant"].get<std::string>()];
    sum += c["top_p"].get<double>();
  }
  for (const auto& [level, n] : count) EXPECT_NEAR(n, 1000, 150) << level;
  EXPECT_NEAR(sum / 4000, 0.75, 0.01);
}

TEST(Design, GridIsTheFullFactorialInFactorOrder) {
  for (std::uint64_t k = 0; k < 100; ++k) {
    Gen g(5000 + k);
    const std::string text = random_study(g, "grid", 0, g.between(1, 4), 1);
    SCOPED_TRACE(text);
    const Study s = parse_study(text, "g.toml");
    const auto configs = design_configs(s);
    std::size_t total = 1;
    for (const auto& f : s.factors) total *= f.levels.size();
    ASSERT_EQ(configs.size(), total);
    EXPECT_EQ(std::set<json>(configs.begin(), configs.end()).size(), total);
    // Configuration i is the mixed-radix number i, the last factor the fastest digit.
    for (std::size_t i = 0; i < total; ++i) {
      std::size_t rest = i;
      for (std::size_t k2 = s.factors.size(); k2-- > 0;) {
        const auto& f = s.factors[k2];
        EXPECT_EQ(configs[i][f.name], f.levels[rest % f.levels.size()]);
        rest /= f.levels.size();
      }
    }
  }
}

// --- runs -----------------------------------------------------------------------------------

const char* kGrid = R"([study]
name = "order"
[factors]
engine = ["llama", "onnx", "torch"]
threads = [1, 2, 4]
[design]
repeats = 3
[protocol]
warmup_runs = 2
)";

TEST(Plan, EveryRunExactlyOnceWithWarmupsFirst) {
  for (const std::string order : {"shuffled", "blocked", "sequential"}) {
    for (int warmups : {0, 1, 2}) {
      for (std::uint64_t seed : {1, 2, 99}) {
        SCOPED_TRACE(fmt::format("{} warmups {} seed {}", order, warmups, seed));
        const Study s =
            parse_study(kGrid, "o.toml",
                        {"protocol.order=" + order, fmt::format("protocol.warmup_runs={}", warmups),
                         fmt::format("protocol.order_seed={}", seed)});
        const Plan p = plan_study(s);
        ASSERT_EQ(p.configs.size(), 9u);
        ASSERT_EQ(p.runs.size(), 9u * (3 + static_cast<std::size_t>(warmups)));
        std::set<std::tuple<std::size_t, int, bool>> seen;
        std::set<std::string> ids;
        std::vector<bool> started(9, false);
        for (std::size_t i = 0; i < p.runs.size(); ++i) {
          const auto& r = p.runs[i];
          EXPECT_EQ(r.order, i);
          EXPECT_EQ(r.config, p.configs[r.config_index]);
          EXPECT_TRUE(seen.insert({r.config_index, r.repeat, r.warmup}).second);
          EXPECT_TRUE(ids.insert(r.run_id).second);
          if (r.warmup) {
            EXPECT_FALSE(started[r.config_index]);
            // Warm-ups run back to back, then the configuration's first measured run.
            const auto& next = p.runs[i + static_cast<std::size_t>(warmups - r.repeat)];
            EXPECT_FALSE(next.warmup);
            EXPECT_EQ(next.config_index, r.config_index);
          } else {
            if (!started[r.config_index] && warmups > 0) {
              EXPECT_TRUE(p.runs[i - 1].warmup);
              EXPECT_EQ(p.runs[i - 1].config_index, r.config_index);
            }
            started[r.config_index] = true;
          }
        }
        std::vector<const PlannedRun*> measured;
        for (const auto& r : p.runs)
          if (!r.warmup) measured.push_back(&r);
        if (order != "shuffled") {  // blocks of one repeat each
          for (std::size_t i = 0; i < measured.size(); ++i) {
            EXPECT_EQ(measured[i]->repeat, static_cast<int>(i / 9));
          }
        }
        if (order == "sequential") {
          for (std::size_t i = 0; i < measured.size(); ++i) {
            EXPECT_EQ(measured[i]->config_index, i % 9);
          }
        }
        // Deterministic: the same study, the same plan.
        const Plan again = plan_study(s);
        ASSERT_EQ(again.runs.size(), p.runs.size());
        for (std::size_t i = 0; i < p.runs.size(); ++i) {
          EXPECT_EQ(again.runs[i].run_id, p.runs[i].run_id);
        }
      }
    }
  }
}

std::vector<std::string> ids_in_order(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& r : p.runs) out.push_back(r.run_id);
  return out;
}

TEST(Plan, TheOrderSeedShufflesTheSameRuns) {
  const auto p1 = ids_in_order(plan_study(parse_study(kGrid, "o.toml")));
  const auto p2 = ids_in_order(plan_study(parse_study(kGrid, "o.toml", {"protocol.order_seed=2"})));
  const auto pb =
      ids_in_order(plan_study(parse_study(kGrid, "o.toml", {"protocol.order=blocked"})));
  const auto ps =
      ids_in_order(plan_study(parse_study(kGrid, "o.toml", {"protocol.order=sequential"})));
  EXPECT_NE(p1, p2);
  EXPECT_NE(p1, pb);
  EXPECT_NE(pb, ps);
  // Run ids do not depend on the order or its seed.
  const std::set<std::string> s1(p1.begin(), p1.end());
  EXPECT_EQ(s1, std::set<std::string>(p2.begin(), p2.end()));
  EXPECT_EQ(s1, std::set<std::string>(pb.begin(), pb.end()));
  EXPECT_EQ(s1, std::set<std::string>(ps.begin(), ps.end()));
  // Many seeds: every measured (configuration, repeat) exactly once each time, orders differ.
  std::set<std::vector<std::string>> orders;
  for (int seed = 0; seed < 50; ++seed) {
    const auto p =
        plan_study(parse_study(kGrid, "o.toml", {fmt::format("protocol.order_seed={}", seed)}));
    const auto ids = ids_in_order(p);
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), s1);
    orders.insert(ids);
  }
  EXPECT_EQ(orders.size(), 50u);
}

TEST(Plan, RunIdsAreStable) {
  const Study s = parse_study(kGrid, "o.toml");
  const Plan p = plan_study(s);
  for (const auto& r : p.runs) {
    EXPECT_EQ(r.run_id.size(), 32u);
    EXPECT_EQ(r.run_id.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(r.run_id, make_run_id(p.study_hash, r.config, r.repeat, r.warmup));
  }
  // The definition, spelled out.
  const json config = {{"engine", "onnx"}, {"threads", 2}};
  EXPECT_EQ(make_run_id("h", config, 1, false),
            sha256_hex("h\n{\"engine\":\"onnx\",\"threads\":2}\n1").substr(0, 32));
  EXPECT_EQ(make_run_id("h", config, 0, true),
            sha256_hex("h\n{\"engine\":\"onnx\",\"threads\":2}\n0\nwarmup").substr(0, 32));
  EXPECT_EQ(make_run_id("h", config, 0, false, 2),
            sha256_hex("h\n{\"engine\":\"onnx\",\"threads\":2}\n0\noccurrence 2").substr(0, 32));
  // Regression pins: a change here changes every dataset's run ids (and resume).
  EXPECT_EQ(p.study_hash, "50cb8e9f7bef9c2315eda361c77c2b0ec2a2e1b92ae8604fca48569af268d3bc");
  const auto it = std::find_if(p.runs.begin(), p.runs.end(), [](const PlannedRun& r) {
    return !r.warmup && r.repeat == 1 && r.config == json{{"engine", "onnx"}, {"threads", 2}};
  });
  ASSERT_NE(it, p.runs.end());
  EXPECT_EQ(it->run_id, "9c0569d24c4ddae96b2024a16df2b5b5");
  // A file that spells the same study otherwise gives the same ids.
  const Study same = parse_study(R"([protocol]
warmup_runs = 2
order = "blocked"  # the schedule is not part of the id
[design]
repeats = 3
seed = 5
[factors]
engine = ["llama", "onnx", "torch"]
threads = [1, 2, 4]
[study]
name = "order"
description = "same runs"
)",
                                 "same.toml");
  EXPECT_EQ(plan_study(same).study_hash, p.study_hash);
}

TEST(Plan, RepeatedConfigurationsOfASampledDesignGetDistinctIds) {
  const Study s = parse_study(
      "[study]\nname = \"d\"\n[factors]\nengine = [\"llama\", \"onnx\"]\n[design]\n"
      "kind = \"random\"\nsamples = 10\nrepeats = 2\n",
      "d.toml");
  const Plan p = plan_study(s);
  std::set<std::string> ids;
  for (const auto& r : p.runs) ids.insert(r.run_id);
  EXPECT_EQ(ids.size(), p.runs.size());
  EXPECT_EQ(p.runs.size(), 10u * 3);  // 2 repeats + 1 warm-up
}

// --- shards ---------------------------------------------------------------------------------

TEST(Shard, ShardsPartitionTheRunsAndAreSelfContained) {
  for (const char* text : {kGrid,
                           "[study]\nname = \"l\"\n[factors]\ntop_p = { min = 0.5, max = "
                           "1.0 }\n[design]\nkind = \"lhs\"\nsamples = 13\nrepeats = 2\n"}) {
    const Plan p = plan_study(parse_study(text, "s.toml"));
    for (int n = 1; n <= 12; ++n) {
      std::map<std::string, int> owner;
      for (int i = 0; i < n; ++i) {
        const Shard shard{i, n};
        const auto runs = select_shard(p.runs, shard);
        std::set<std::size_t> warmed;
        for (std::size_t k = 0; k < runs.size(); ++k) {
          const auto& r = runs[k];
          EXPECT_TRUE(owner.emplace(r.run_id, i).second) << "run in two shards";
          EXPECT_TRUE(in_shard(r, shard));
          if (k > 0) {
            EXPECT_LT(runs[k - 1].order, r.order);  // run order kept
          }
          // Self-contained: a configuration's warm-ups come before its measured runs.
          if (r.warmup) {
            EXPECT_FALSE(warmed.count(r.config_index));
          } else {
            warmed.insert(r.config_index);
          }
        }
        // Every configuration of the shard has all its runs here.
        for (const auto& r : p.runs) {
          if (static_cast<int>(r.config_index % static_cast<std::size_t>(n)) == i) {
            EXPECT_TRUE(std::any_of(runs.begin(), runs.end(),
                                    [&](const PlannedRun& x) { return x.run_id == r.run_id; }));
          }
        }
      }
      EXPECT_EQ(owner.size(), p.runs.size()) << "the union is the whole design";
    }
  }
}

TEST(Shard, ParseShard) {
  EXPECT_EQ(parse_shard("0/3").index, 0);
  EXPECT_EQ(parse_shard("2/3").index, 2);
  EXPECT_EQ(parse_shard("2/3").count, 3);
  EXPECT_TRUE(parse_shard("0/1").whole());
  EXPECT_EQ(to_string(parse_shard("1/4")), "1/4");
  for (const char* bad : {"3/3", "-1/3", "1/0", "1", "a/b", "1/3x", "", "/", "1//3"}) {
    EXPECT_THROW(parse_shard(bad), std::invalid_argument) << bad;
  }
  try {
    parse_shard("3/3");
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("0 <= I < N"));
  }
}

GetEnv env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(Shard, FromTheEnvironment) {
  EXPECT_FALSE(shard_from_env(env({})).has_value());
  EXPECT_FALSE(shard_from_env(env({{"SLURM_JOB_ID", "5"}})).has_value());
  // Slurm, --array=1-3: ids 1..3, min 1.
  auto s = shard_from_env(env({{"SLURM_ARRAY_TASK_ID", "3"},
                               {"SLURM_ARRAY_TASK_MIN", "1"},
                               {"SLURM_ARRAY_TASK_COUNT", "3"}}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->index, 2);
  EXPECT_EQ(s->count, 3);
  // --array=0-8:4 (ids 0, 4, 8).
  s = shard_from_env(env({{"SLURM_ARRAY_TASK_ID", "4"},
                          {"SLURM_ARRAY_TASK_MIN", "0"},
                          {"SLURM_ARRAY_TASK_STEP", "4"},
                          {"SLURM_ARRAY_TASK_COUNT", "3"}}));
  EXPECT_EQ(s->index, 1);
  // An explicit count wins.
  s = shard_from_env(env({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "3"}}), 5);
  EXPECT_EQ(s->count, 5);
  EXPECT_THAT(
      [] {
        shard_from_env(env({{"SLURM_ARRAY_TASK_ID", "1"}}));
      },
      ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("SLURM_ARRAY_TASK_COUNT")));
  EXPECT_THAT(
      [] {
        shard_from_env(env({{"SLURM_ARRAY_TASK_ID", "7"},
                            {"SLURM_ARRAY_TASK_MIN", "1"},
                            {"SLURM_ARRAY_TASK_COUNT", "3"}}));
      },
      ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("outside 0..2")));
  EXPECT_THROW(shard_from_env(env({{"SLURM_ARRAY_TASK_ID", "x"}})), std::invalid_argument);
  // Kubernetes Indexed Job.
  s = shard_from_env(env({{"JOB_COMPLETION_INDEX", "2"}, {"WATTSERVE_SHARD_COUNT", "4"}}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->index, 2);
  EXPECT_EQ(s->count, 4);
  s = shard_from_env(env({{"JOB_COMPLETION_INDEX", "0"}}), 2);
  EXPECT_EQ(s->count, 2);
  EXPECT_THAT(
      [] {
        shard_from_env(env({{"JOB_COMPLETION_INDEX", "0"}}));
      },
      ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("WATTSERVE_SHARD_COUNT")));
}

TEST(DryRun, JsonListsTheRunsInOrder) {
  const Plan p = plan_study(parse_study(kGrid, "o.toml", {"protocol.warmup_runs=1"}));
  const json j = dry_run_json(p.runs);
  ASSERT_EQ(j.size(), p.runs.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    EXPECT_EQ(j[i]["run_id"], p.runs[i].run_id);
    EXPECT_EQ(j[i]["repeat"], p.runs[i].repeat);
    EXPECT_EQ(j[i]["config"], p.runs[i].config);
    EXPECT_EQ(j[i]["warmup"], p.runs[i].warmup);
    EXPECT_EQ(j[i].size(), 4u);
  }
  EXPECT_EQ(dry_run_json({}), json::array());
}

TEST(Rng, BoundedAndShuffledDeterministically) {
  Rng a(42, 1), b(42, 1), c(42, 2);
  EXPECT_EQ(a.next(), b.next());
  EXPECT_NE(Rng(42, 1).next(), c.next());
  for (int i = 0; i < 1000; ++i) {
    const double u = a.uniform();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
    EXPECT_LT(a.below(7), 7u);
  }
  EXPECT_EQ(a.below(1), 0u);
  std::vector<int> v(20);
  std::iota(v.begin(), v.end(), 0);
  auto w = v;
  Rng r1(3, 2), r2(3, 2);
  shuffle(v, r1);
  shuffle(w, r2);
  EXPECT_EQ(v, w);
  std::vector<int> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> all(20);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(sorted, all);
  // std::mt19937_64 is specified by the standard: its 10000th output from the default seed.
  std::mt19937_64 mt;
  mt.discard(9999);
  EXPECT_EQ(mt(), 9981545732273789042ULL);
}

}  // namespace
}  // namespace wattserve::bench
