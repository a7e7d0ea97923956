// The serving parts of study files (src/bench/study.h, bench/load/serving_spec.h): the [target],
// [load], [serve], [slo] sections; serving factors spelled quoted ("load.streams"), as dotted
// keys or as [factors.load] tables; list configurations with nested tables; errors with their
// place; --set overrides (load.trace takes a bare string); run_settings; the TOML copy's round
// trip; the hash of a study without serving fields as it was before they existed;
// check_runnable without a model for url/external targets; load::validate's cross-field checks;
// and served_runner.h's expand_command() and llama_server_path().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/design.h"
#include "bench/load/serving_spec.h"
#include "bench/served_runner.h"
#include "bench/study.h"

namespace wattserve::bench {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    parse_study(text, "s.toml", sets);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

const char* kServed = R"([study]
name = "served"
[model]
model = "pycode-tiny"
[target]
kind = "serve"
ready_timeout_s = 60
[load]
kind = "poisson"
rate = 4
requests = 20
stream = false
[serve]
schedule = "sjf"
[slo]
ttft_s = 0.5
[factors]
engine = ["llama", "onnx"]
)";

TEST(StudyServing, ParsesTheServingSections) {
  const Study s = parse_study(kServed, "served.toml");
  const json want = {{"target.kind", "serve"},  {"target.ready_timeout_s", 60.0},
                     {"load.kind", "poisson"},  {"load.rate", 4.0},
                     {"load.requests", 20},     {"load.stream", false},
                     {"serve.schedule", "sjf"}, {"slo.ttft_s", 0.5}};
  EXPECT_EQ(s.serving, want);
  // Typed by their fields: numbers as floats, integers as integers.
  EXPECT_TRUE(s.serving.at("target.ready_timeout_s").is_number_float());
  EXPECT_TRUE(s.serving.at("load.rate").is_number_float());
  EXPECT_TRUE(s.serving.at("load.requests").is_number_integer());
  EXPECT_EQ(to_json(s).at("serving"), want);
  EXPECT_EQ(s.model, json({{"model", "pycode-tiny"}}));  // the serving sections stay apart
}

// The same two serving factors after a model factor, in the three spellings.
const char* kQuoted = R"([study]
name = "f"
[factors]
engine = ["llama", "onnx"]
"load.streams" = [1, 2, 4]
"serve.schedule" = ["fcfs", "sjf"]
)";
const char* kDotted = R"([study]
name = "f"
[factors]
engine = ["llama", "onnx"]
load.streams = [1, 2, 4]
serve.schedule = ["fcfs", "sjf"]
)";
const char* kTables = R"([study]
name = "f"
[factors]
engine = ["llama", "onnx"]
[factors.load]
streams = [1, 2, 4]
[factors.serve]
schedule = ["fcfs", "sjf"]
)";

TEST(StudyServing, FactorsInAllThreeSpellings) {
  std::optional<std::string> hash;
  for (const char* text : {kQuoted, kDotted, kTables}) {
    SCOPED_TRACE(text);
    const Study s = parse_study(text, "f.toml");
    ASSERT_EQ(s.factors.size(), 3u);
    EXPECT_EQ(s.factors[0].name, "engine");
    EXPECT_EQ(s.factors[1].name, "load.streams");
    EXPECT_EQ(s.factors[1].levels, (std::vector<json>{1, 2, 4}));
    EXPECT_TRUE(s.factors[1].levels[0].is_number_integer());
    EXPECT_EQ(s.factors[2].name, "serve.schedule");
    EXPECT_EQ(s.factors[2].levels, (std::vector<json>{"fcfs", "sjf"}));
    EXPECT_NE(s.factor("load.streams"), nullptr);
    EXPECT_TRUE(s.serving.empty());  // factors are not fixed fields
    if (!hash) hash = study_hash(s);
    EXPECT_EQ(study_hash(s), *hash);
    // The grid's configurations name the fields by their dotted names.
    const auto configs = design_configs(s);
    ASSERT_EQ(configs.size(), 12u);
    for (const auto& c : configs) {
      ASSERT_TRUE(c.contains("load.streams")) << c.dump();
      ASSERT_TRUE(c.contains("serve.schedule")) << c.dump();
      const RunSettings r = run_settings(s, c);
      EXPECT_EQ(r.serving.load.streams, c["load.streams"].get<int>());
      EXPECT_EQ(r.serving.serve.schedule, c["serve.schedule"].get<std::string>());
    }
  }
}

TEST(StudyServing, RangeFactorOfAServingNumber) {
  const Study s = parse_study(R"([study]
name = "r"
[factors.load]
rate = { min = 0.5, max = 8, log = true }
[design]
kind = "random"
samples = 5
)",
                              "r.toml");
  ASSERT_EQ(s.factors.size(), 1u);
  EXPECT_EQ(s.factors[0].name, "load.rate");
  ASSERT_TRUE(s.factors[0].is_range());
  EXPECT_EQ(s.factors[0].range->min, 0.5);
  EXPECT_EQ(s.factors[0].range->max, 8);
  EXPECT_TRUE(s.factors[0].range->log);
  for (const auto& c : design_configs(s)) {
    const double rate = c.at("load.rate").get<double>();
    EXPECT_GE(rate, 0.5);
    EXPECT_LE(rate, 8);
  }
}

TEST(StudyServing, ListConfigsWithNestedTables) {
  const Study s = parse_study(R"([study]
name = "l"
[design]
kind = "list"
configs = [
  { model = "pycode-tiny", target = { kind = "serve" }, load = { streams = 4 } },
  { model = "pycode-tiny", "target.kind" = "url", target = { url = "http://127.0.0.1:9" }, slo = { e2e_s = 2 } },
]
)",
                              "l.toml");
  ASSERT_EQ(s.design.configs.size(), 2u);
  EXPECT_EQ(s.design.configs[0],
            json({{"model", "pycode-tiny"}, {"target.kind", "serve"}, {"load.streams", 4}}));
  EXPECT_EQ(s.design.configs[1], json({{"model", "pycode-tiny"},
                                       {"target.kind", "url"},
                                       {"target.url", "http://127.0.0.1:9"},
                                       {"slo.e2e_s", 2.0}}));
  EXPECT_TRUE(s.design.configs[1].at("slo.e2e_s").is_number_float());
  const RunSettings r = run_settings(s, s.design.configs[1]);
  EXPECT_EQ(r.serving.target.kind, "url");
  EXPECT_EQ(r.serving.target.url, "http://127.0.0.1:9");
  EXPECT_EQ(r.serving.slo.e2e_s, 2);

  const std::string head = "[study]\nname = \"l\"\n[design]\nkind = \"list\"\n";
  EXPECT_THAT(error_of(head + "configs = [ { load = { streamz = 4 } } ]\n"),
              StartsWith("s.toml:5:24: unknown field 'load.streamz' in design.configs[0] "
                         "(known: "));
  EXPECT_THAT(error_of(head + "configs = [ { load = { streams = 0 } } ]\n"),
              StartsWith("s.toml:5:34: design.configs[0].load.streams: expected an integer in "
                         "[1, 4096], got 0"));
  EXPECT_THAT(
      error_of("[load]\nstreams = 2\n" + head + "configs = [ { load = { streams = 4 } } ]\n"),
      HasSubstr("'load.streams' is also fixed in [load]"));
}

TEST(StudyServing, UnknownKeysNameTheirPlaceAndTheKnownKeys) {
  const std::string head = "[study]\nname = \"x\"\n";
  std::string e = error_of(head + "[load]\nkind = \"closed\"\n  streamz = 2\n");
  EXPECT_THAT(e, StartsWith("s.toml:5:3: unknown key 'streamz' in [load] (known: kind, streams, "
                            "rate, cv, requests"));
  EXPECT_THAT(e, HasSubstr("max_in_flight"));
  EXPECT_THAT(e, Not(HasSubstr("ttft_s")));  // only [load]'s own keys
  e = error_of(head + "[slo]\nttft = 1\n");
  EXPECT_THAT(e,
              StartsWith("s.toml:4:1: unknown key 'ttft' in [slo] (known: ttft_s, tpot_s, e2e_s)"));
  e = error_of(head + "[factors]\nload.streamz = [1, 2]\n");
  EXPECT_THAT(e, StartsWith("s.toml:4:6: unknown factor 'load.streamz' (known: "));
  EXPECT_THAT(e, HasSubstr("the serving fields target.kind"));
  e = error_of(head + "[factors.slo]\nttft = [1, 2]\n");
  EXPECT_THAT(e, StartsWith("s.toml:4:1: unknown factor 'slo.ttft' (known: "));
}

TEST(StudyServing, BadValuesNameTheirPlace) {
  const std::string head = "[study]\nname = \"x\"\n";
  EXPECT_THAT(error_of(head + "[load]\nstreams = 0\n"),
              StartsWith("s.toml:4:11: load.streams: expected an integer in [1, 4096], got 0"));
  EXPECT_THAT(error_of(head + "[load]\nstreams = 1.5\n"), StartsWith("s.toml:4:11: load.streams:"));
  EXPECT_THAT(error_of(head + "[load]\nrate = 0\n"), StartsWith("s.toml:4:8: load.rate:"));
  EXPECT_THAT(error_of(head + "[load]\nstream = \"yes\"\n"),
              StartsWith("s.toml:4:10: load.stream:"));
  EXPECT_THAT(error_of(head + "[target]\nkind = \"docker\"\n"),
              StartsWith("s.toml:4:8: target.kind: expected one of engine, serve, external, url"));
  EXPECT_THAT(error_of(head + "[factors]\nload.streams = [1, 0]\n"),
              StartsWith("s.toml:4:20: factors.load.streams[1]: expected an integer in [1, 4096]"));
  EXPECT_THAT(error_of(head + "[factors.load]\nstreams = [2, 2]\n"),
              StartsWith("s.toml:4:15: factors.load.streams: level 2 appears twice"));
  EXPECT_THAT(error_of("load = 3\n" + head), StartsWith("s.toml:1:8: load must be a table"));
  // A field is either fixed or varied, whichever spelling varies it.
  for (const char* factor :
       {"[factors]\n\"load.streams\" = [1, 2]\n", "[factors]\nload.streams = [1, 2]\n",
        "[factors.load]\nstreams = [1, 2]\n"}) {
    EXPECT_THAT(error_of(head + "[load]\nstreams = 2\n" + factor),
                HasSubstr("'load.streams' is also fixed in [load]"))
        << factor;
  }
}

TEST(StudyServing, AFieldSpelledTwiceIsAnError) {
  // "load.streams" and load.streams are different TOML keys but the same field.
  const std::string head = "[study]\nname = \"x\"\n";
  EXPECT_THAT(error_of(head + "[factors]\n\"load.streams\" = [1, 2]\nload.streams = [4, 8]\n"),
              StartsWith("s.toml:5:16: factor 'load.streams' is given twice"));
  EXPECT_THAT(
      error_of(head + "[factors]\n\"load.streams\" = [1, 2]\n[factors.load]\nstreams = [4]\n"),
      StartsWith("s.toml:6:11: factor 'load.streams' is given twice"));
  // (Here at the quoted one: an inline table's keys come in name order.)
  EXPECT_THAT(error_of(head + "[design]\nkind = \"list\"\n"
                              "configs = [ { \"load.streams\" = 1, load = { streams = 2 } } ]\n"),
              StartsWith("s.toml:5:32: design.configs[0]: field 'load.streams' is given twice"));
}

TEST(StudyServing, SetOverridesServingFields) {
  const Study s =
      parse_study(kServed, "served.toml",
                  {"load.trace=traces/azure code.csv", "load.kind=trace", "target.name=2024",
                   "load.streams=8", "slo.e2e_s=3", "factors.load.max_tokens=[64, 128]"});
  EXPECT_EQ(s.serving.at("load.trace"), "traces/azure code.csv");  // not TOML: the bare string
  EXPECT_EQ(s.serving.at("load.kind"), "trace");
  EXPECT_EQ(s.serving.at("target.name"), "2024");  // a string field: the bare string
  EXPECT_EQ(s.serving.at("load.streams"), 8);
  EXPECT_EQ(s.serving.at("slo.e2e_s"), 3.0);
  ASSERT_NE(s.factor("load.max_tokens"), nullptr);
  EXPECT_EQ(s.factor("load.max_tokens")->levels, (std::vector<json>{64, 128}));
  EXPECT_EQ(parse_study(kServed, "s", {"load.trace=/data/trace.jsonl"}).serving.at("load.trace"),
            "/data/trace.jsonl");
  EXPECT_EQ(parse_study(kServed, "s", {"load.trace=1.5"}).serving.at("load.trace"), "1.5");
  EXPECT_THAT(error_of(kServed, {"load.streams=0"}),
              StartsWith("--set load.streams: load.streams: expected an integer in [1, 4096]"));
  EXPECT_THAT(error_of(kServed, {"load.streams=many"}), StartsWith("--set load.streams:"));
  EXPECT_THAT(error_of(kServed, {"load.nope=1"}),
              StartsWith("--set load.nope: unknown key 'nope'"));
}

TEST(StudyServing, RunSettingsApplyTheServingFields) {
  const Study s = parse_study(kServed, "served.toml", {"factors.serve.max_queue=[0, 16]"});
  const RunSettings base = run_settings(s);
  const load::ServingSpec d;
  EXPECT_TRUE(base.serving.served());
  EXPECT_EQ(base.serving.target.kind, "serve");
  EXPECT_EQ(base.serving.target.ready_timeout_s, 60);
  EXPECT_EQ(base.serving.target.ready_path, d.target.ready_path);
  EXPECT_EQ(base.serving.load.kind, "poisson");
  EXPECT_EQ(base.serving.load.rate, 4);
  EXPECT_EQ(base.serving.load.requests, 20);
  EXPECT_FALSE(base.serving.load.stream);
  EXPECT_EQ(base.serving.load.streams, d.load.streams);
  EXPECT_EQ(base.serving.load.output_tokens, d.load.output_tokens);
  EXPECT_EQ(base.serving.serve.schedule, "sjf");
  EXPECT_EQ(base.serving.serve.max_queue, 0);
  EXPECT_EQ(base.serving.slo.ttft_s, 0.5);
  EXPECT_EQ(base.serving.slo.e2e_s, 0);
  EXPECT_EQ(base.model.model, "pycode-tiny");
  const RunSettings r = run_settings(s, {{"serve.max_queue", 16}, {"engine", "onnx"}});
  EXPECT_EQ(r.serving.serve.max_queue, 16);
  EXPECT_EQ(r.model.engine, "onnx");
  EXPECT_EQ(r.serving.serve.schedule, "sjf");
  // A study of the in-process engine runs in-process.
  const RunSettings engine = run_settings(parse_study(kQuoted, "f.toml"));
  EXPECT_FALSE(engine.serving.served());
  EXPECT_EQ(load::to_json(engine.serving), load::to_json(d));
}

TEST(StudyServing, ResolvedTomlReadsBackToTheSameStudy) {
  const std::vector<Study> studies = {
      parse_study(kServed, "a.toml", {"load.trace=traces/a b.csv", "target.command={port} x"}),
      parse_study(kTables, "b.toml"),
      parse_study(R"([study]
name = "l"
[load]
requests = 5
[design]
kind = "list"
configs = [{ target = { kind = "url", url = "http://h:1" }, load = { streams = 4 } }]
)",
                  "c.toml")};
  for (const auto& s : studies) {
    const std::string toml = to_toml(s);
    SCOPED_TRACE(toml);
    const Study back = parse_study(toml, "back.toml");
    EXPECT_EQ(study_hash(back), study_hash(s));
    EXPECT_EQ(to_json(back), to_json(s));
    EXPECT_EQ(back.serving, s.serving);
  }
  EXPECT_THAT(to_toml(studies[0]), HasSubstr("\n[load]\n"));
  EXPECT_THAT(to_toml(studies[0]), HasSubstr("\n[slo]\n"));
}

TEST(StudyServing, HashOfAStudyWithoutServingFieldsIsUnchanged) {
  // tests/bench/design_test.cpp's grid study, and the hash it had before the serving fields.
  const char* grid = R"([study]
name = "order"
[factors]
engine = ["llama", "onnx", "torch"]
threads = [1, 2, 4]
[design]
repeats = 3
[protocol]
warmup_runs = 2
)";
  const Study s = parse_study(grid, "o.toml");
  EXPECT_FALSE(to_json(s).contains("serving"));
  EXPECT_EQ(study_hash(s), "50cb8e9f7bef9c2315eda361c77c2b0ec2a2e1b92ae8604fca48569af268d3bc");
  // A serving field changes it; without it the study is the same again.
  Study served = parse_study(grid, "o.toml", {"load.streams=4"});
  EXPECT_NE(study_hash(served), study_hash(s));
  served.serving = json::object();
  EXPECT_EQ(study_hash(served), study_hash(s));
  // So do serving factors.
  EXPECT_NE(study_hash(parse_study(grid, "o.toml", {"factors.load.streams=[1, 2]"})),
            study_hash(s));
}

TEST(StudyServing, CheckRunnableWithoutAModelForUrlAndExternalTargets) {
  const std::string head = "[study]\nname = \"x\"\n";
  EXPECT_NO_THROW(
      check_runnable(parse_study(head + "[target]\nkind = \"url\"\nurl = \"http://h:1\"\n", "s")));
  EXPECT_NO_THROW(check_runnable(
      parse_study(head + "[target]\nkind = \"external\"\ncommand = \"srv {port}\"\n", "s")));
  // The in-process engine and `wattserve serve` load the model: they need one.
  for (const std::string target :
       {"", "[target]\nkind = \"serve\"\n", "[target]\nkind = \"engine\"\n"}) {
    try {
      check_runnable(parse_study(head + target, "s.toml"));
      ADD_FAILURE() << target;
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), StartsWith("s.toml: no model to run")) << target;
    }
  }
}

TEST(StudyServing, CheckRunnableWithUrlTargetsInEveryConfiguration) {
  const std::string head = "[study]\nname = \"x\"\n";
  const std::string list = head + "[design]\nkind = \"list\"\n";
  EXPECT_NO_THROW(check_runnable(parse_study(list + R"(configs = [
  { target = { kind = "url", url = "http://a:1" } },
  { target = { kind = "external", command = "srv {port}" } },
  { model = "pycode-tiny", target = { kind = "serve" } },
])",
                                             "s.toml")));
  // One configuration that loads a model without naming one.
  EXPECT_THROW(check_runnable(parse_study(list + R"(configs = [
  { target = { kind = "url", url = "http://a:1" } },
  { target = { kind = "serve" } },
])",
                                          "s.toml")),
               std::invalid_argument);
  EXPECT_NO_THROW(check_runnable(
      parse_study(head + "[target]\nurl = \"http://a:1\"\ncommand = \"srv\"\n[factors]\n"
                         "target.kind = [\"url\", \"external\"]\n",
                  "s.toml")));
  EXPECT_THROW(check_runnable(parse_study(head + "[target]\nurl = \"http://a:1\"\n[factors]\n"
                                                 "target.kind = [\"url\", \"serve\"]\n",
                                          "s.toml")),
               std::invalid_argument);
}

TEST(StudyServing, ValidateCrossFieldChecks) {
  const auto error = [](const load::ServingSpec& s) -> std::string {
    try {
      load::validate(s);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  load::ServingSpec s;
  EXPECT_EQ(error(s), "");
  s.target.kind = "external";
  EXPECT_THAT(error(s), StartsWith("target.command:"));
  s.target.command = "srv --port {port}";
  EXPECT_EQ(error(s), "");
  s.target.kind = "url";
  EXPECT_THAT(error(s), StartsWith("target.url:"));
  s.target.url = "http://127.0.0.1:8080";
  EXPECT_EQ(error(s), "");
  s.load.kind = "trace";
  EXPECT_THAT(error(s), StartsWith("load.trace:"));
  s.load.trace = "t.csv";
  EXPECT_EQ(error(s), "");
  s.load.output_tokens = 64;
  s.load.max_tokens = 16;
  EXPECT_EQ(error(s), "load.max_tokens: the cap (16) is below load.output_tokens (64)");
  s.load.max_tokens = 64;
  EXPECT_EQ(error(s), "");
  s.load.max_tokens = 0;  // no cap given: the model's context
  EXPECT_EQ(error(s), "");
}

TEST(StudyServing, ServingFieldsByName) {
  EXPECT_TRUE(load::is_serving_field("load.streams"));
  EXPECT_TRUE(load::is_serving_field("slo.tpot_s"));
  EXPECT_FALSE(load::is_serving_field("streams"));
  EXPECT_FALSE(load::is_serving_field("model"));
  load::ServingSpec s;
  load::set_field(s, "load.streams", 3);
  load::set_field(s, "slo.e2e_s", 1.5);
  load::set_field(s, "target.kind", "external");
  EXPECT_EQ(s.load.streams, 3);
  EXPECT_EQ(s.slo.e2e_s, 1.5);
  EXPECT_EQ(s.target.kind, "external");
  EXPECT_THROW(load::set_field(s, "load.streams", 0), std::invalid_argument);
  EXPECT_THROW(load::set_field(s, "load.streams", "3"), std::invalid_argument);
  EXPECT_THROW(load::set_field(s, "load.cv", 0), std::invalid_argument);  // (0, 100]
  try {
    load::set_field(s, "load.nope", 1);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), StartsWith("unknown field 'load.nope' (known: target.kind, "));
  }
  const json j = load::to_json(s);
  EXPECT_EQ(j.size(), load::serving_fields().size());
  EXPECT_EQ(j.at("load.streams"), 3);
  EXPECT_EQ(j.at("target.ready_path"), "/health");
  for (const auto& f : load::serving_fields()) {
    EXPECT_EQ(load::to_json(load::ServingSpec{})[f.name], f.default_value) << f.name;
  }
}

TEST(StudyServing, ExpandCommand) {
  const std::map<std::string, std::string> values = {
      {"port", "8081"}, {"model_file", "/m/tiny.gguf"}, {"llama_server", "/bin/llama-server"}};
  EXPECT_EQ(expand_command("{llama_server} -m {model_file}\t--port={port}\n  --flag ", values),
            (std::vector<std::string>{"/bin/llama-server", "-m", "/m/tiny.gguf", "--port=8081",
                                      "--flag"}));
  // Split after substitution: a value with a space gives two arguments.
  EXPECT_EQ(expand_command("srv {model_file}", {{"model_file", "a b"}}),
            (std::vector<std::string>{"srv", "a", "b"}));
  try {
    expand_command("srv --port {prot}", values);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "target.command: unknown placeholder {prot} (known: {llama_server}, "
                 "{model_file}, {port})");
  }
  EXPECT_THROW(expand_command("srv {port", values), std::invalid_argument);
  EXPECT_THROW(expand_command(" \t ", values), std::invalid_argument);
  EXPECT_THROW(expand_command("", values), std::invalid_argument);
}

// Sets (or unsets) an environment variable for a scope, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

TEST(StudyServing, LlamaServerPath) {
  {
    ScopedEnv server("WATTSERVE_LLAMA_SERVER", "/custom/llama-server");
    ScopedEnv deps("WATTSERVE_DEPS", "/deps");
    EXPECT_EQ(llama_server_path(), "/custom/llama-server");
  }
  {
    ScopedEnv server("WATTSERVE_LLAMA_SERVER", "");  // empty: not set
    ScopedEnv deps("WATTSERVE_DEPS", "/deps");
    EXPECT_EQ(llama_server_path(), "/deps/llama.cpp/bench-build/bin/llama-server");
  }
  {
    ScopedEnv server("WATTSERVE_LLAMA_SERVER", nullptr);
    ScopedEnv deps("WATTSERVE_DEPS", nullptr);
    EXPECT_EQ(llama_server_path(), "/opt/wattserve-deps/llama.cpp/bench-build/bin/llama-server");
  }
}

}  // namespace
}  // namespace wattserve::bench
