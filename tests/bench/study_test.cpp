// Study files (src/bench/study.h): parsing, defaults, --set overrides, error locations,
// canonical JSON, the study hash and the resolved TOML copy.
#include "bench/study.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/design.h"

namespace wattserve::bench {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The message of the std::invalid_argument that parse_study throws ("" when it does not).
std::string error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    parse_study(text, "s.toml", sets);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

const char* kSmoke = R"(# a comment
[study]
name = "smoke"
description = "two engines, two models"

[model]
threads = 2

[sampling]
max_tokens = 16
temperature = 0.0

[factors]
engine = ["llama", "onnx"]
model = ["pycode-tiny", "pycode-small"]

[design]
kind = "grid"
repeats = 2

[workload]
prompts = "pycode-completion"
requests = 4

[protocol]
warmup_runs = 1
idle_s = 0
)";

const char* kLhs = R"([study]
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
seed = 1
repeats = 3
)";

TEST(Study, ParsesTheSmokeStudyWithDefaults) {
  const Study s = parse_study(kSmoke, "smoke.toml");
  EXPECT_EQ(s.path, "smoke.toml");
  EXPECT_EQ(s.study.name, "smoke");
  EXPECT_EQ(s.model, json({{"threads", 2}}));
  EXPECT_EQ(s.sampling, json({{"max_tokens", 16}, {"temperature", 0.0}}));
  EXPECT_TRUE(s.sampling["temperature"].is_number_float());
  ASSERT_EQ(s.factors.size(), 2u);
  EXPECT_EQ(s.factors[0].name, "engine");  // file order, not alphabetical
  EXPECT_EQ(s.factors[1].name, "model");
  EXPECT_EQ(s.factors[1].levels, (std::vector<json>{"pycode-tiny", "pycode-small"}));
  EXPECT_FALSE(s.factors[0].is_range());
  EXPECT_EQ(s.design.kind, DesignKind::kGrid);
  EXPECT_EQ(s.design.repeats, 2);
  EXPECT_EQ(s.design.seed, 1u);
  EXPECT_EQ(s.workload.prompts, "pycode-completion");
  EXPECT_EQ(s.workload.requests, 4);
  EXPECT_EQ(s.protocol.warmup_runs, 1);
  EXPECT_EQ(s.protocol.idle_s, 0);
  EXPECT_EQ(s.protocol.idle_every_min, 10);
  EXPECT_EQ(s.protocol.cooldown_timeout_s, 30);
  EXPECT_EQ(s.protocol.order, RunOrder::kShuffled);
  EXPECT_EQ(s.protocol.order_seed, 1u);  // design.seed
  EXPECT_EQ(s.meter.interval_ms, 100);
  EXPECT_EQ(s.meter.sensors, "");
  ASSERT_NE(s.factor("model"), nullptr);
  EXPECT_EQ(s.factor("threads"), nullptr);
}

TEST(Study, ParsesRangesAndTypesThemByField) {
  const Study s = parse_study(kLhs, "lhs.toml");
  ASSERT_EQ(s.factors.size(), 4u);
  const Range& mt = *s.factors[0].range;
  EXPECT_EQ(s.factors[0].name, "max_tokens");
  EXPECT_EQ(mt.min, 8);
  EXPECT_EQ(mt.max, 256);
  EXPECT_TRUE(mt.log);
  EXPECT_TRUE(mt.integer);  // an integer field is always an integer range
  EXPECT_FALSE(s.factors[1].range->integer);
  EXPECT_TRUE(s.factors[2].range->integer);
  EXPECT_EQ(s.design.kind, DesignKind::kLhs);
  EXPECT_EQ(s.design.samples, 40);
  EXPECT_EQ(s.design.repeats, 3);
  const json j = to_json(s);
  EXPECT_EQ(j["factors"][0],
            json({{"name", "max_tokens"},
                  {"range", {{"min", 8}, {"max", 256}, {"log", true}, {"integer", true}}}}));
  EXPECT_TRUE(j["factors"][1]["range"]["min"].is_number_float());
  EXPECT_EQ(j["design"]["samples"], 40);
  EXPECT_EQ(j["design"]["maximin"], 0);
  EXPECT_FALSE(j["design"].contains("configs"));
}

TEST(Study, ListDesign) {
  const Study s = parse_study(R"([study]
name = "list"
[sampling]
max_tokens = 8
[design]
kind = "list"
configs = [ { engine = "llama", model = "pycode-tiny" }, { engine = "onnx", temperature = 1 } ]
)",
                              "l.toml");
  ASSERT_EQ(s.design.configs.size(), 2u);
  EXPECT_EQ(s.design.configs[1], json({{"engine", "onnx"}, {"temperature", 1.0}}));
  EXPECT_TRUE(s.design.configs[1]["temperature"].is_number_float());
  EXPECT_EQ(design_configs(s), s.design.configs);
}

TEST(Study, MissingFileAndSyntaxErrors) {
  try {
    load_study("/nonexistent/study.toml");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), StartsWith("/nonexistent/study.toml: cannot read"));
  }
  EXPECT_THAT(error_of("[study]\nname = \n"), StartsWith("s.toml:2:"));
  EXPECT_THAT(error_of("[design]\nkind = \"grid\"\n"), HasSubstr("study.name is required"));
  EXPECT_THAT(error_of("[study]\nname = \"a b\"\n"), StartsWith("s.toml:2:8: study.name must be"));
}

TEST(Study, UnknownKeysGiveTheirPlaceAndTheKnownKeys) {
  std::string e = error_of("[study]\nname = \"x\"\n[design]\nkind = \"grid\"\n  sed = 7\n");
  EXPECT_THAT(e, StartsWith("s.toml:5:3: unknown key 'sed' in [design] (known: "));
  EXPECT_THAT(e, HasSubstr("seed"));
  EXPECT_THAT(e, HasSubstr("repeats"));
  e = error_of("[study]\nname = \"x\"\n[desgin]\nkind = \"grid\"\n");
  EXPECT_THAT(e, StartsWith("s.toml:3:2: unknown section [desgin] (known: study, model,"));
  e = error_of("[study]\nname = \"x\"\n[model]\nthreds = 2\n");
  EXPECT_THAT(e, StartsWith("s.toml:4:1: unknown key 'threds' in [model] (known: model, engine"));
  e = error_of("[study]\nname = \"x\"\n[sampling]\nmax_token = 2\n");
  EXPECT_THAT(e,
              StartsWith("s.toml:4:1: unknown key 'max_token' in [sampling] (known: max_tokens"));
  e = error_of("[study]\nname = \"x\"\n[factors]\nbogus = [1, 2]\n");
  EXPECT_THAT(e, StartsWith("s.toml:4:1: unknown factor 'bogus' (known: the model fields model,"));
  e = error_of(
      "[study]\nname = \"x\"\n[factors]\ntop_p = { min = 0.5, max = 1.0, lg = true }\n"
      "[design]\nkind = \"random\"\nsamples = 3\n");
  EXPECT_THAT(e, StartsWith("s.toml:4:33: unknown key 'lg' in [factors.top_p] (known: min, max, "
                            "log, integer)"));
}

TEST(Study, WrongTypesAndValuesOutOfRange) {
  const std::string head = "[study]\nname = \"x\"\n";
  EXPECT_THAT(
      error_of(head + "[design]\nrepeats = \"2\"\n"),
      StartsWith("s.toml:4:11: design.repeats must be an integer in [1, 1000000], not \"2\""));
  EXPECT_THAT(error_of(head + "[design]\nrepeats = 0\n"),
              StartsWith("s.toml:4:11: design.repeats must be an integer in [1, 1000000], not 0"));
  EXPECT_THAT(error_of(head + "[design]\nkind = \"sobol\"\n"),
              StartsWith("s.toml:4:8: design.kind must be one of \"grid\", \"random\""));
  EXPECT_THAT(error_of(head + "[model]\nthreads = -1\n"),
              StartsWith("s.toml:4:11: model.threads: expected an integer in [0, 1024], got -1"));
  EXPECT_THAT(error_of(head + "[model]\nthreads = 1.5\n"),
              StartsWith("s.toml:4:11: model.threads:"));
  EXPECT_THAT(error_of(head + "[sampling]\ntop_p = 0\n"),
              StartsWith("s.toml:4:9: sampling.top_p:"));
  EXPECT_THAT(error_of(head + "[model]\nengine = \"tensorflow\"\n"),
              StartsWith("s.toml:4:10: model.engine: expected one of llama, onnx, torch"));
  EXPECT_THAT(error_of(head + "[factors]\nengine = [\"llama\", \"jax\"]\n"),
              StartsWith("s.toml:4:20: factors.engine[1]: expected one of"));
  EXPECT_THAT(error_of(head + "[factors]\nengine = \"llama\"\n"),
              StartsWith("s.toml:4:10: factors.engine must be a list of levels or a range"));
  EXPECT_THAT(error_of(head + "[factors]\nengine = []\n"), HasSubstr("at least one level"));
  EXPECT_THAT(error_of(head + "[factors]\nthreads = [1, 2, 1]\n"),
              StartsWith("s.toml:4:18: factors.threads: level 1 appears twice"));
  EXPECT_THAT(error_of(head + "[workload]\nrequests = 0\n"),
              StartsWith("s.toml:4:12: workload.requests must be an integer in [1, "));
  EXPECT_THAT(error_of(head + "[protocol]\norder = \"random\"\n"),
              StartsWith("s.toml:4:9: protocol.order must be one of \"shuffled\", \"blocked\", "
                         "\"sequential\""));
  EXPECT_THAT(error_of(head + "[meter]\ninterval_ms = 0\n"),
              StartsWith("s.toml:4:15: meter.interval_ms must be an integer in [1, "));
  EXPECT_THAT(error_of("design = 3\n" + head), StartsWith("s.toml:1:10: design must be a table"));
}

TEST(Study, RangeRules) {
  const std::string head =
      "[study]\nname = \"x\"\n[design]\nkind = \"lhs\"\nsamples = 4\n[factors]\n";
  EXPECT_THAT(error_of(head + "top_p = { min = 0.0, max = 1.0 }\n"),
              StartsWith("s.toml:7:9: factors.top_p: expected a number in (0, 1]"));
  EXPECT_THAT(error_of(head + "temperature = { min = 1.0, max = 0.5 }\n"),
              HasSubstr("min (1) must be below max (0.5)"));
  EXPECT_THAT(error_of(head + "temperature = { min = 0.0, max = 1.0, log = true }\n"),
              HasSubstr("a log range needs min > 0"));
  EXPECT_THAT(error_of(head + "max_tokens = { min = 1.5, max = 8 }\n"),
              HasSubstr("factors.max_tokens: expected an integer in [1, 1048576], got 1.5"));
  EXPECT_THAT(error_of(head + "temperature = { min = 0.5, max = 8, integer = true }\n"),
              HasSubstr("an integer range needs integral min and max"));
  EXPECT_THAT(
      error_of(head + "max_tokens = { min = 1, max = 8, integer = false }\n"),
      StartsWith("s.toml:7:44: factors.max_tokens.integer: max_tokens is an integer field"));
  EXPECT_THAT(error_of(head + "engine = { min = 1, max = 8 }\n"),
              HasSubstr("a range is only for number fields"));
  EXPECT_THAT(error_of(head + "temperature = { max = 8 }\n"),
              HasSubstr("a range needs min and max"));
  // Ranges are for the sampled designs only.
  EXPECT_THAT(
      error_of("[study]\nname = \"x\"\n[factors]\ntemperature = { min = 0.0, max = 1.0 }\n"),
      StartsWith("s.toml:4:15: factors.temperature is a range; design.kind = \"grid\" needs "
                 "a list of levels"));
  // A number field may ask for integers.
  const Study s = parse_study(head + "temperature = { min = 0, max = 3, integer = true }\n", "s");
  EXPECT_TRUE(s.factors[0].range->integer);
}

TEST(Study, DesignKeysBelongToTheirKinds) {
  const std::string head = "[study]\nname = \"x\"\n[factors]\nthreads = [1, 2]\n[design]\n";
  EXPECT_THAT(error_of(head + "kind = \"lhs\"\n"),
              StartsWith("s.toml:6:8: design.samples is required for design.kind = \"lhs\""));
  EXPECT_THAT(error_of(head + "samples = 3\n"),
              StartsWith("s.toml:6:11: design.samples is for kind \"random\" and \"lhs\", not "
                         "\"grid\""));
  EXPECT_THAT(error_of(head + "kind = \"random\"\nsamples = 3\nmaximin = 5\n"),
              StartsWith("s.toml:8:11: design.maximin is for kind \"lhs\""));
  EXPECT_THAT(error_of(head + "configs = [{ threads = 1 }]\n"),
              StartsWith("s.toml:6:11: design.configs is for kind \"list\""));
  EXPECT_THAT(error_of(head + "kind = \"list\"\nconfigs = [{ threads = 1 }]\n"),
              StartsWith("s.toml:3:1: [factors] is not used by design.kind = \"list\""));
  EXPECT_THAT(error_of("[study]\nname = \"x\"\n[design]\nkind = \"list\"\n"),
              StartsWith("s.toml:4:8: design.kind = \"list\" needs design.configs"));
  EXPECT_THAT(error_of("[study]\nname = \"x\"\n[design]\nkind = \"list\"\n"
                       "configs = [{ threads = 1 }, { threads = 1 }]\n"),
              StartsWith("s.toml:5:29: design.configs[1] repeats design.configs[0]"));
  EXPECT_THAT(
      error_of("[study]\nname = \"x\"\n[design]\nkind = \"list\"\n"
               "configs = [{ thread = 1 }]\n"),
      StartsWith("s.toml:5:14: unknown field 'thread' in design.configs[0] (known: model,"));
  EXPECT_THAT(error_of("[study]\nname = \"x\"\n[design]\nkind = \"random\"\nsamples = 2\n"),
              HasSubstr("design.kind = \"random\" needs at least one factor"));
  // A grid without factors is one configuration: the fixed settings.
  const Study s = parse_study("[study]\nname = \"x\"\n[model]\nthreads = 1\n", "s");
  EXPECT_EQ(design_configs(s), std::vector<json>{json::object()});
}

TEST(Study, AFieldIsEitherFixedOrAFactor) {
  const std::string text =
      "[study]\nname = \"x\"\n[model]\nthreads = 2\n[factors]\n"
      "threads = [1, 2]\n";
  EXPECT_EQ(error_of(text),
            "s.toml:6:11: factor 'threads' is also fixed in [model] (s.toml:4:11); a field is "
            "either fixed or varied");
  EXPECT_EQ(error_of("[study]\nname = \"x\"\n[factors]\nmax_tokens = [1, 2]\n",
                     {"sampling.max_tokens=4"}),
            "s.toml:4:14: factor 'max_tokens' is also fixed in [sampling] (--set "
            "sampling.max_tokens); a field is either fixed or varied");
  EXPECT_THAT(error_of("[study]\nname = \"x\"\n[model]\nthreads = 2\n[design]\nkind = \"list\"\n"
                       "configs = [{ threads = 1 }]\n"),
              HasSubstr("configuration field 'threads' is also fixed in [model] (s.toml:4:11)"));
}

TEST(Study, SetOverridesAnyKeyByItsDotPath) {
  const Study s = parse_study(
      kSmoke, "smoke.toml",
      {"design.seed=7", "model.threads=1", "factors.engine=[\"llama\"]", "sampling.max_tokens=32",
       "model.kv_cache=f16", "meter.sensors = rapl", "study.name=2024", "protocol.order=blocked",
       "workload.min_duration_s=1.5", "factors.quant=[\"q8_0\", \"f32\"]"});
  EXPECT_EQ(s.design.seed, 7u);
  EXPECT_EQ(s.protocol.order_seed, 7u);  // follows design.seed
  EXPECT_EQ(s.model["threads"], 1);
  EXPECT_EQ(s.model["kv_cache"], "f16");  // bare string
  EXPECT_EQ(s.sampling["max_tokens"], 32);
  EXPECT_EQ(s.meter.sensors, "rapl");
  EXPECT_EQ(s.study.name, "2024");  // a string key keeps the text of another scalar
  EXPECT_EQ(s.protocol.order, RunOrder::kBlocked);
  EXPECT_EQ(s.workload.min_duration_s, 1.5);
  ASSERT_EQ(s.factors.size(), 3u);
  EXPECT_EQ(s.factors[0].name, "engine");  // replaced in place
  EXPECT_EQ(s.factors[0].levels, std::vector<json>{"llama"});
  EXPECT_EQ(s.factors[2].name, "quant");  // added last
  // Later overrides win; a new section is created.
  const Study t =
      parse_study("[study]\nname = \"x\"\n", "s", {"meter.interval_ms=5", "meter.interval_ms=7"});
  EXPECT_EQ(t.meter.interval_ms, 7);
  // A range through --set.
  const Study u = parse_study(kLhs, "lhs.toml", {"factors.top_p={ min = 0.9, max = 1.0 }"});
  EXPECT_EQ(u.factors[3].range->min, 0.9);
}

TEST(Study, SetErrorsNameTheOverride) {
  EXPECT_EQ(error_of(kSmoke, {"design.sed=7"}).substr(0, 55),
            "--set design.sed: unknown key 'sed' in [design] (known:");
  EXPECT_THAT(error_of(kSmoke, {"design.repeats=zero"}),
              StartsWith("--set design.repeats: design.repeats must be an integer in [1, 1000000], "
                         "not \"zero\""));
  EXPECT_THAT(error_of(kSmoke, {"design.repeats=0"}),
              StartsWith("--set design.repeats: design.repeats must be an integer"));
  EXPECT_THAT(error_of(kSmoke, {"model.threads=5000"}),
              StartsWith("--set model.threads: model.threads: expected an integer in [0, 1024]"));
  EXPECT_THAT(error_of(kSmoke, {"factors.engine=[\"llama\", \"jax\"]"}),
              StartsWith("--set factors.engine: factors.engine[1]: expected one of"));
  EXPECT_THAT(error_of(kSmoke, {"bogus.key=1"}),
              StartsWith("--set bogus.key: unknown section [bogus] (known: study,"));
  EXPECT_THAT(error_of(kSmoke, {"design"}), StartsWith("--set design: expected KEY=VALUE"));
  EXPECT_THAT(error_of(kSmoke, {"design..seed=1"}), StartsWith("--set design..seed: KEY must be"));
  EXPECT_THAT(error_of(kSmoke, {"design.kind.x=1"}),
              StartsWith("--set design.kind.x: design.kind is a string, not a table"));
  EXPECT_THAT(error_of(kSmoke, {"factors.threads=[1]"}),
              StartsWith("--set factors.threads: factor 'threads' is also fixed in [model] "
                         "(s.toml:7:11)"));
  // The file's own errors keep their place when an override is given too.
  EXPECT_THAT(error_of("[study]\nname = \"x\"\n[design]\nrepeats = 0\n", {"design.seed=2"}),
              StartsWith("s.toml:4:11: design.repeats"));
}

TEST(Study, HashIsCanonical) {
  const Study a = parse_study(kSmoke, "a.toml");
  // Same settings, other layout, comments, key order, description and number spelling.
  const Study b = parse_study(R"([protocol]
idle_s = 0.0
warmup_runs = 1
[workload]
requests = 4
prompts = "pycode-completion"
[design]
repeats = 2
[factors]
engine = ["llama", "onnx"]
model = ["pycode-tiny", "pycode-small"]
[sampling]
temperature = 0   # an integer spelling of 0.0
max_tokens = 16
[model]
threads = 2
[study]
description = "other words"
name = "smoke"
)",
                              "b.toml");
  EXPECT_EQ(study_hash(a), study_hash(b));
  EXPECT_EQ(study_hash(a).size(), 64u);
  json ja = to_json(a);
  json jb = to_json(b);
  EXPECT_NE(ja, jb);  // the description
  ja["study"].erase("description");
  jb["study"].erase("description");
  EXPECT_EQ(ja, jb);
  // Anything that changes the experiment changes the hash.
  std::set<std::string> hashes{study_hash(a)};
  for (const std::string set :
       {"design.repeats=3", "model.threads=3", "sampling.max_tokens=17",
        "factors.engine=[\"onnx\", \"llama\"]", "workload.requests=5", "protocol.warmup_runs=2",
        "protocol.cooldown_s=1", "meter.interval_ms=50", "study.name=smoke2"}) {
    hashes.insert(study_hash(parse_study(kSmoke, "a.toml", {set})));
  }
  EXPECT_EQ(hashes.size(), 10u);
  // The schedule is not part of it, nor is the seed of a grid (which only seeds the order).
  for (const std::string set :
       {"protocol.order=blocked", "protocol.order_seed=5", "design.seed=2"}) {
    EXPECT_EQ(study_hash(parse_study(kSmoke, "a.toml", {set})), study_hash(a)) << set;
  }
  // The seed of a sampled design is.
  EXPECT_NE(study_hash(parse_study(kLhs, "l.toml", {"design.seed=2"})),
            study_hash(parse_study(kLhs, "l.toml")));
}

TEST(Study, ResolvedTomlReadsBackToTheSameStudy) {
  for (const auto& [text, sets] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {kSmoke, {}},
           {kSmoke, {"design.seed=9", "factors.quant=[\"q8_0\"]", "study.description=a \"q\"\n"}},
           {kLhs, {"design.maximin=5", "protocol.cooldown_within_pct=2.5"}},
           {"[study]\nname = \"l\"\n[design]\nkind = \"list\"\nconfigs = [{ engine = \"onnx\", "
            "top_p = 0.25 }, { engine = \"llama\" }]\n",
            {}}}) {
    const Study s = parse_study(text, "s.toml", sets);
    const std::string toml = to_toml(s);
    SCOPED_TRACE(toml);
    EXPECT_THAT(toml, HasSubstr(study_hash(s)));
    const Study back = parse_study(toml, "study.toml");
    EXPECT_EQ(to_json(back), to_json(s));
    EXPECT_EQ(study_hash(back), study_hash(s));
    ASSERT_EQ(back.factors.size(), s.factors.size());
    for (std::size_t i = 0; i < s.factors.size(); ++i) {
      EXPECT_EQ(back.factors[i].name, s.factors[i].name);  // order kept
    }
    EXPECT_EQ(design_configs(back), design_configs(s));
    EXPECT_EQ(to_toml(back), toml);
  }
}

TEST(Study, LoadStudyReadsAFile) {
  const auto dir = std::filesystem::temp_directory_path() / "wattserve_study_test";
  std::filesystem::create_directories(dir);
  const auto path = (dir / "smoke.toml").string();
  std::ofstream(path) << kSmoke;
  const Study s = load_study(path, {"design.repeats=1"});
  EXPECT_EQ(s.path, path);
  EXPECT_EQ(s.design.repeats, 1);
  try {
    load_study(path, {"design.repeats=-1"});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), StartsWith("--set design.repeats:"));
  }
  std::ofstream(path) << "[study]\nname = \"x\"\n[design]\nrepeats = -1\n";
  try {
    load_study(path);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), StartsWith(path + ":4:11: design.repeats"));
  }
  std::filesystem::remove_all(dir);
}

TEST(Study, RunSettingsOverlayDefaultsFixedAndConfig) {
  const Study s = parse_study(kSmoke, "s");
  const RunSettings r = run_settings(s, {{"engine", "onnx"}, {"model", "pycode-small"}});
  EXPECT_EQ(r.model.engine, "onnx");
  EXPECT_EQ(r.model.model, "pycode-small");
  EXPECT_EQ(r.model.threads, 2);
  EXPECT_EQ(r.model.kv_cache, model::default_model_spec().kv_cache);
  EXPECT_EQ(r.sampling.max_tokens, 16);
  EXPECT_EQ(r.sampling.temperature, 0.0f);
  EXPECT_EQ(r.sampling.top_k, model::default_sampling().top_k);
  const RunSettings base = run_settings(s);
  EXPECT_EQ(base.model.engine, model::default_model_spec().engine);
}

TEST(Study, StudyKeysListEveryKeyOfTheResolvedStudy) {
  std::set<std::string> listed;
  for (const auto& k : study_keys()) listed.insert(k.key);
  const Study s = parse_study(kLhs, "s", {"design.maximin=2"});
  const json resolved = to_json(s);
  for (const auto& [section, values] : resolved.items()) {
    if (section == "model" || section == "sampling" || section == "factors") {
      EXPECT_TRUE(listed.count(section + ".*")) << section;
      continue;
    }
    for (const auto& [key, v] : values.items()) {
      EXPECT_TRUE(listed.count(section + "." + key)) << section << "." << key;
    }
  }
  EXPECT_TRUE(listed.count("design.configs"));
}

TEST(Study, Sha256) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace wattserve::bench
