// The one model specification: its defaults, the field tables, set_field's checks and to_json.
#include "model/model_spec.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>

namespace wattserve::model {
namespace {

using nlohmann::json;

// The message of the std::invalid_argument that f throws ("" when it throws none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(ModelSpecDefaults, AreTheDocumentedOnes) {
  const ModelSpec s = default_model_spec();
  EXPECT_EQ(s.model, "");
  EXPECT_EQ(s.engine, "");
  EXPECT_EQ(s.provider, "cpu");
  EXPECT_EQ(s.quant, "");
  EXPECT_EQ(s.zoo, "");
  EXPECT_EQ(s.tokenizer, "");
  EXPECT_EQ(s.threads, 0);
  EXPECT_EQ(s.context, 0);
  EXPECT_EQ(s.kv_cache, "f32");
  EXPECT_EQ(s.batch, 0);
  EXPECT_EQ(s.parallel, 1);

  const engine::SamplingParams p = default_sampling();
  EXPECT_EQ(p.max_tokens, 128);
  EXPECT_FLOAT_EQ(p.temperature, 0.8f);
  EXPECT_EQ(p.top_k, 40);
  EXPECT_FLOAT_EQ(p.top_p, 0.95f);
  EXPECT_EQ(p.seed, engine::SamplingParams::kRandomSeed);
  EXPECT_FALSE(p.ignore_eos);
  EXPECT_TRUE(p.stop.empty());
}

TEST(ModelSpecFields, TablesNameEveryField) {
  std::vector<std::string> names;
  for (const auto& f : model_spec_fields()) names.push_back(f.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"model", "engine", "provider", "quant", "zoo", "tokenizer",
                                      "threads", "context", "kv_cache", "batch", "parallel"}));
  names.clear();
  for (const auto& f : sampling_fields()) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"max_tokens", "temperature", "top_k", "top_p", "seed",
                                             "ignore_eos"}));
  for (const auto& f : model_spec_fields()) {
    EXPECT_TRUE(is_model_field(f.name));
    EXPECT_FALSE(is_sampling_field(f.name));
    EXPECT_FALSE(f.help.empty()) << f.name;
    EXPECT_EQ(f.default_value, to_json(default_model_spec())[f.name]) << f.name;
  }
  for (const auto& f : sampling_fields()) {
    EXPECT_TRUE(is_sampling_field(f.name));
    EXPECT_FALSE(is_model_field(f.name));
    EXPECT_FALSE(f.help.empty()) << f.name;
    EXPECT_EQ(f.default_value, to_json(default_sampling())[f.name]) << f.name;
  }
  EXPECT_FALSE(is_model_field("nope"));
  EXPECT_FALSE(is_sampling_field("stop"));
}

TEST(ModelSpecFields, DescribeChoicesAndRanges) {
  const auto find = [](const std::vector<FieldInfo>& v, const std::string& name) {
    for (const auto& f : v)
      if (f.name == name) return f;
    ADD_FAILURE() << name;
    return FieldInfo{};
  };
  const auto engine = find(model_spec_fields(), "engine");
  EXPECT_EQ(engine.type, "string");
  EXPECT_EQ(engine.choices, (std::vector<std::string>{"llama", "onnx", "torch"}));
  const auto threads = find(model_spec_fields(), "threads");
  EXPECT_EQ(threads.type, "integer");
  EXPECT_EQ(threads.min, 0);
  EXPECT_EQ(threads.max, 1024);
  const auto parallel = find(model_spec_fields(), "parallel");
  EXPECT_EQ(parallel.min, 1);
  const auto top_p = find(sampling_fields(), "top_p");
  EXPECT_EQ(top_p.type, "number");
  EXPECT_TRUE(top_p.min_exclusive);
  EXPECT_EQ(top_p.max, 1);
  const auto seed = find(sampling_fields(), "seed");
  EXPECT_EQ(seed.type, "integer");
  EXPECT_EQ(seed.max, 4294967294.0);
  EXPECT_TRUE(seed.allow_null);
  EXPECT_EQ(find(sampling_fields(), "ignore_eos").type, "boolean");
}

TEST(ModelSpecSetField, AcceptsValidValues) {
  ModelSpec s;
  set_field(s, "model", "pycode-small");
  set_field(s, "engine", "onnx");
  set_field(s, "provider", "cuda");
  set_field(s, "quant", "q8_0");
  set_field(s, "zoo", "/tmp/zoo");
  set_field(s, "tokenizer", "spm.model");
  set_field(s, "threads", 4);
  set_field(s, "context", 1 << 20);
  set_field(s, "kv_cache", "f16");
  set_field(s, "batch", 16);
  set_field(s, "parallel", 256);
  set_field(s, "threads", 2.0);  // a float without a fractional part is an integer
  EXPECT_EQ(s.model, "pycode-small");
  EXPECT_EQ(s.engine, "onnx");
  EXPECT_EQ(s.provider, "cuda");
  EXPECT_EQ(s.quant, "q8_0");
  EXPECT_EQ(s.zoo, "/tmp/zoo");
  EXPECT_EQ(s.tokenizer, "spm.model");
  EXPECT_EQ(s.threads, 2);
  EXPECT_EQ(s.context, 1 << 20);
  EXPECT_EQ(s.kv_cache, "f16");
  EXPECT_EQ(s.batch, 16);
  EXPECT_EQ(s.parallel, 256);
  // The automatic choices are spelled "".
  set_field(s, "engine", "");
  set_field(s, "quant", "");
  EXPECT_EQ(s.engine, "");
  EXPECT_EQ(s.quant, "");

  engine::SamplingParams p;
  set_field(p, "max_tokens", 1);
  set_field(p, "temperature", 0);  // an integer for a number field
  set_field(p, "top_k", 0);
  set_field(p, "top_p", 1.0);
  set_field(p, "seed", 4294967294.0);
  set_field(p, "ignore_eos", true);
  EXPECT_EQ(p.max_tokens, 1);
  EXPECT_EQ(p.temperature, 0.0f);
  EXPECT_EQ(p.top_k, 0);
  EXPECT_EQ(p.top_p, 1.0f);
  EXPECT_EQ(p.seed, 4294967294u);
  EXPECT_TRUE(p.ignore_eos);
  set_field(p, "seed", 0);
  EXPECT_EQ(p.seed, 0u);
  set_field(p, "seed", nullptr);
  EXPECT_EQ(p.seed, engine::SamplingParams::kRandomSeed);
  set_field(p, "top_p", 1e-6);
  EXPECT_FLOAT_EQ(p.top_p, 1e-6f);
  set_field(p, "temperature", 100.0);
  EXPECT_EQ(p.temperature, 100.0f);
}

TEST(ModelSpecSetField, RefusesUnknownKeysNamingTheKnownOnes) {
  ModelSpec s;
  const auto e = error_of([&] { set_field(s, "thread", 2); });
  EXPECT_TRUE(contains(e, "\"thread\"")) << e;
  EXPECT_TRUE(contains(e, "threads")) << e;
  EXPECT_TRUE(contains(e, "kv_cache")) << e;
  engine::SamplingParams p;
  const auto e2 = error_of([&] { set_field(p, "stop", json::array({"x"})); });
  EXPECT_TRUE(contains(e2, "\"stop\"")) << e2;
  EXPECT_TRUE(contains(e2, "max_tokens")) << e2;
  // A model key is not a sampling key, and the reverse.
  EXPECT_FALSE(error_of([&] { set_field(p, "threads", 1); }).empty());
  EXPECT_FALSE(error_of([&] { set_field(s, "max_tokens", 1); }).empty());
}

TEST(ModelSpecSetField, RefusesWrongTypes) {
  ModelSpec s;
  auto e = error_of([&] { set_field(s, "threads", "4"); });
  EXPECT_TRUE(contains(e, "threads")) << e;
  EXPECT_TRUE(contains(e, "integer")) << e;
  e = error_of([&] { set_field(s, "model", 3); });
  EXPECT_TRUE(contains(e, "model")) << e;
  EXPECT_TRUE(contains(e, "string")) << e;
  e = error_of([&] { set_field(s, "batch", true); });
  EXPECT_TRUE(contains(e, "batch")) << e;
  e = error_of([&] { set_field(s, "engine", json::array({"onnx"})); });
  EXPECT_TRUE(contains(e, "engine")) << e;
  e = error_of([&] { set_field(s, "threads", nullptr); });
  EXPECT_TRUE(contains(e, "threads")) << e;

  engine::SamplingParams p;
  e = error_of([&] { set_field(p, "ignore_eos", 1); });
  EXPECT_TRUE(contains(e, "ignore_eos")) << e;
  EXPECT_TRUE(contains(e, "true or false")) << e;
  e = error_of([&] { set_field(p, "temperature", "hot"); });
  EXPECT_TRUE(contains(e, "temperature")) << e;
  EXPECT_TRUE(contains(e, "number")) << e;
  e = error_of([&] { set_field(p, "seed", "7"); });
  EXPECT_TRUE(contains(e, "seed")) << e;
}

TEST(ModelSpecSetField, RefusesValuesOutOfRangeOrChoice) {
  ModelSpec s;
  const ModelSpec before = s;
  auto e = error_of([&] { set_field(s, "engine", "tensorrt"); });
  EXPECT_TRUE(contains(e, "engine")) << e;
  EXPECT_TRUE(contains(e, "llama, onnx, torch")) << e;
  EXPECT_TRUE(contains(e, "tensorrt")) << e;
  e = error_of([&] { set_field(s, "quant", "q2_k"); });
  EXPECT_TRUE(contains(e, "f32, f16, q8_0, q4_0")) << e;
  e = error_of([&] { set_field(s, "kv_cache", ""); });
  EXPECT_TRUE(contains(e, "kv_cache")) << e;
  EXPECT_TRUE(contains(e, "f32, f16")) << e;
  e = error_of([&] { set_field(s, "model", ""); });
  EXPECT_TRUE(contains(e, "model")) << e;
  e = error_of([&] { set_field(s, "provider", ""); });
  EXPECT_TRUE(contains(e, "provider")) << e;
  e = error_of([&] { set_field(s, "threads", 1025); });
  EXPECT_TRUE(contains(e, "threads")) << e;
  EXPECT_TRUE(contains(e, "[0, 1024]")) << e;
  EXPECT_TRUE(contains(e, "1025")) << e;
  EXPECT_FALSE(error_of([&] { set_field(s, "threads", -1); }).empty());
  EXPECT_FALSE(error_of([&] { set_field(s, "context", (1 << 20) + 1); }).empty());
  EXPECT_FALSE(error_of([&] { set_field(s, "batch", -1); }).empty());
  e = error_of([&] { set_field(s, "parallel", 0); });
  EXPECT_TRUE(contains(e, "[1, 256]")) << e;
  EXPECT_FALSE(error_of([&] { set_field(s, "parallel", 257); }).empty());
  EXPECT_EQ(to_json(s), to_json(before));  // nothing was changed by the refused values

  engine::SamplingParams p;
  EXPECT_FALSE(error_of([&] { set_field(p, "max_tokens", 0); }).empty());
  EXPECT_FALSE(error_of([&] { set_field(p, "temperature", -0.1); }).empty());
  EXPECT_FALSE(error_of([&] { set_field(p, "temperature", 100.5); }).empty());
  EXPECT_FALSE(error_of([&] { set_field(p, "top_k", -1); }).empty());
  EXPECT_FALSE(error_of([&] { set_field(p, "top_k", (1 << 24) + 1); }).empty());
  e = error_of([&] { set_field(p, "top_p", 0); });
  EXPECT_TRUE(contains(e, "top_p")) << e;
  EXPECT_TRUE(contains(e, "(0, 1]")) << e;
  EXPECT_FALSE(error_of([&] { set_field(p, "top_p", 1.01); }).empty());
  EXPECT_FALSE(error_of([&] { set_field(p, "seed", -1); }).empty());
  e = error_of([&] { set_field(p, "seed", 4294967295.0); });
  EXPECT_TRUE(contains(e, "4294967294")) << e;
  EXPECT_FALSE(error_of([&] { set_field(p, "temperature", json(NAN)); }).empty());
}

TEST(ModelSpecSetField, RefusesFractionalIntegers) {
  ModelSpec s;
  auto e = error_of([&] { set_field(s, "threads", 2.5); });
  EXPECT_TRUE(contains(e, "threads")) << e;
  EXPECT_TRUE(contains(e, "integer")) << e;
  EXPECT_TRUE(contains(e, "fractional")) << e;
  engine::SamplingParams p;
  EXPECT_FALSE(error_of([&] { set_field(p, "max_tokens", 16.5); }).empty());
  EXPECT_FALSE(error_of([&] { set_field(p, "seed", 7.25); }).empty());
  EXPECT_FALSE(error_of([&] { set_field(p, "top_k", 0.5); }).empty());
}

TEST(ModelSpecJson, RoundTripsThroughSetField) {
  ModelSpec s;
  s.model = "fmnist-cnn-base";
  s.engine = "torch";
  s.provider = "cuda";
  s.quant = "q4_0";
  s.threads = 3;
  s.context = 512;
  s.kv_cache = "f16";
  s.batch = 8;
  s.parallel = 4;
  const json j = to_json(s);
  EXPECT_EQ(j.size(), model_spec_fields().size());
  EXPECT_EQ(j["threads"], 3);
  EXPECT_EQ(j["kv_cache"], "f16");
  ModelSpec back = default_model_spec();
  for (const auto& [k, v] : j.items()) set_field(back, k, v);
  EXPECT_EQ(to_json(back), j);
  // The defaults round-trip too (empty engine, quant: automatic).
  ModelSpec d = default_model_spec();
  d.model = "x";
  ModelSpec d2 = s;
  const json dj = to_json(d);
  for (const auto& [k, v] : dj.items()) set_field(d2, k, v);
  EXPECT_EQ(to_json(d2), to_json(d));

  engine::SamplingParams p;
  p.max_tokens = 32;
  p.temperature = 0.25f;
  p.top_k = 7;
  p.top_p = 0.5f;
  p.seed = 42;
  p.ignore_eos = true;
  const json pj = to_json(p);
  EXPECT_EQ(pj.size(), sampling_fields().size());
  EXPECT_EQ(pj["seed"], 42);
  EXPECT_EQ(pj["temperature"], 0.25);
  engine::SamplingParams pb = default_sampling();
  for (const auto& [k, v] : pj.items()) set_field(pb, k, v);
  EXPECT_EQ(to_json(pb), pj);
  EXPECT_EQ(pb.seed, 42u);
  EXPECT_TRUE(to_json(default_sampling())["seed"].is_null());
  engine::SamplingParams pr = p;
  const json dp = to_json(default_sampling());
  for (const auto& [k, v] : dp.items()) set_field(pr, k, v);
  EXPECT_EQ(pr.seed, engine::SamplingParams::kRandomSeed);
  EXPECT_EQ(to_json(pr), to_json(default_sampling()));
}

TEST(ModelSpecValidate, ChecksEveryField) {
  ModelSpec s;
  EXPECT_TRUE(contains(error_of([&] { validate(s); }), "model")) << "model is required";
  s.model = "pycode-tiny";
  EXPECT_EQ(error_of([&] { validate(s); }), "");
  s.threads = -2;
  EXPECT_TRUE(contains(error_of([&] { validate(s); }), "threads"));
  s.threads = 0;
  s.kv_cache = "bf16";
  EXPECT_TRUE(contains(error_of([&] { validate(s); }), "kv_cache"));
}

TEST(ModelSpecLoad, LoadOptionsFollowTheSpec) {
  ModelSpec s;
  s.provider = "cuda";
  s.threads = 3;
  s.context = 256;
  s.tokenizer = "t.model";
  auto lo = load_options(s);
  EXPECT_EQ(lo.provider, "cuda");
  EXPECT_EQ(lo.threads, 3);
  EXPECT_EQ(lo.context_length, 256);
  EXPECT_EQ(lo.tokenizer, "t.model");
  EXPECT_TRUE(lo.f32_kv_cache);
  s.kv_cache = "f16";
  EXPECT_FALSE(load_options(s).f32_kv_cache);
}

TEST(ModelSpecLoad, RefusesWhatTheUserCanFixBeforeLoading) {
  ModelSpec s;
  EXPECT_THROW(load_model(s), std::invalid_argument);  // no model
  s.model = "no-such-model";
  s.zoo = WATTSERVE_ZOO_DIR;
  EXPECT_THROW(load_model(s), std::exception);  // invalid_argument; runtime_error: no zoo built
  s.model = "/nonexistent/model.bin";           // a path with no engine for its extension
  EXPECT_THROW(load_model(s), std::invalid_argument);
}

}  // namespace
}  // namespace wattserve::model
