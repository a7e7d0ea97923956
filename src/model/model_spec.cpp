#include "model/model_spec.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>

#include "engine/engines.h"

namespace wattserve::model {

ModelSpec default_model_spec() {
  return ModelSpec{};
}

engine::SamplingParams default_sampling() {
  return engine::SamplingParams{};
}

namespace {

using json = nlohmann::json;

// One settable field: its description and how to read and write it.
template <class T>
struct Field {
  FieldInfo info;
  std::function<void(T&, const json&)> set;
  std::function<json(const T&)> get;
};

[[noreturn]] void fail(const FieldInfo& f, const json& value, const std::string& what,
                       std::string_view why = "") {
  throw std::invalid_argument(
      fmt::format("{}: expected {}, got {}{}", f.name, what, value.dump(), why));
}

std::string bounds(const FieldInfo& f) {
  const auto num = [](double x) { return fmt::format("{}", x); };
  const std::string lo = f.min ? num(*f.min) : "-inf";
  const std::string hi = f.max ? num(*f.max) : "inf";
  return fmt::format("{}{}, {}]", f.min_exclusive ? "(" : "[", lo, hi);
}

std::string expected(const FieldInfo& f) {
  if (f.type == "string") {
    if (f.choices.empty()) return f.allow_empty ? "a string" : "a non-empty string";
    return fmt::format("one of {}{}", fmt::join(f.choices, ", "),
                       f.allow_empty ? " (or \"\" for the default)" : "");
  }
  if (f.type == "boolean") return "true or false";
  const std::string what = f.type == "integer" ? "an integer" : "a number";
  std::string s = (f.min || f.max) ? fmt::format("{} in {}", what, bounds(f)) : what;
  if (f.allow_null) s += " or null";
  return s;
}

std::string read_string(const FieldInfo& f, const json& v) {
  if (!v.is_string()) fail(f, v, expected(f));
  const auto s = v.get<std::string>();
  if (s.empty()) {
    if (!f.allow_empty) fail(f, v, expected(f));
    return s;
  }
  if (!f.choices.empty() && std::find(f.choices.begin(), f.choices.end(), s) == f.choices.end()) {
    fail(f, v, expected(f));
  }
  return s;
}

double read_number(const FieldInfo& f, const json& v) {
  if (!v.is_number()) fail(f, v, expected(f));
  const double x = v.get<double>();
  if (!std::isfinite(x)) fail(f, v, expected(f));
  if (f.type == "integer" && v.is_number_float() && x != std::floor(x)) {
    fail(f, v, expected(f), " (an integer field takes no fractional part)");
  }
  if (f.min && (x < *f.min || (f.min_exclusive && x == *f.min))) fail(f, v, expected(f));
  if (f.max && x > *f.max) fail(f, v, expected(f));
  return x;
}

// A float as the shortest decimal that reads back as it (0.8f: 0.8, not 0.800000011920929).
json float_json(float x) {
  return std::stod(fmt::format("{}", x));
}

int read_int(const FieldInfo& f, const json& v) {
  return static_cast<int>(read_number(f, v));
}

bool read_bool(const FieldInfo& f, const json& v) {
  if (!v.is_boolean()) fail(f, v, expected(f));
  return v.get<bool>();
}

}  // namespace

json checked_value(const FieldInfo& f, const json& v) {
  if (v.is_null() && f.allow_null) return v;
  if (f.type == "string") return read_string(f, v);
  if (f.type == "boolean") return read_bool(f, v);
  const double x = read_number(f, v);
  if (f.type == "integer") return static_cast<std::int64_t>(x);
  return x;
}

namespace {

FieldInfo string_field(std::string name, std::vector<std::string> choices, bool allow_empty,
                       std::string help) {
  FieldInfo f;
  f.name = std::move(name);
  f.type = "string";
  f.choices = std::move(choices);
  f.allow_empty = allow_empty;
  f.help = std::move(help);
  return f;
}

FieldInfo number_field(std::string name, std::string type, double min, double max,
                       std::string help) {
  FieldInfo f;
  f.name = std::move(name);
  f.type = std::move(type);
  f.min = min;
  f.max = max;
  f.help = std::move(help);
  return f;
}

// String members of ModelSpec.
Field<ModelSpec> str(FieldInfo info, std::string ModelSpec::*member) {
  return {info, [info, member](ModelSpec& s, const json& v) { s.*member = read_string(info, v); },
          [member](const ModelSpec& s) { return json(s.*member); }};
}

Field<ModelSpec> integer(FieldInfo info, int ModelSpec::*member) {
  return {info, [info, member](ModelSpec& s, const json& v) { s.*member = read_int(info, v); },
          [member](const ModelSpec& s) { return json(s.*member); }};
}

const std::vector<Field<ModelSpec>>& model_table() {
  static const std::vector<Field<ModelSpec>> table = [] {
    const ModelSpec d;
    std::vector<Field<ModelSpec>> t;
    t.push_back(str(string_field("model", {}, false,
                                 "A zoo model name (e.g. pycode-small, fmnist-cnn-base) or a model "
                                 "file path"),
                    &ModelSpec::model));
    t.push_back(str(string_field("engine", {"llama", "onnx", "torch"}, true,
                                 "Runtime engine (default: llama for GGUF families, else onnx; "
                                 "for a path, from its extension)"),
                    &ModelSpec::engine));
    t.push_back(str(string_field("provider", {}, false,
                                 "Execution provider (`wattserve engines` lists them per engine)"),
                    &ModelSpec::provider));
    t.push_back(str(string_field("quant", {"f32", "f16", "q8_0", "q4_0"}, true,
                                 "GGUF file of a zoo model for llama (default: f32 when the "
                                 "model has it, else its only GGUF)"),
                    &ModelSpec::quant));
    t.push_back(str(string_field("zoo", {}, true,
                                 "Model zoo folder (default: $WATTSERVE_ZOO, else the built one)"),
                    &ModelSpec::zoo));
    t.push_back(str(string_field("tokenizer", {}, true,
                                 "SentencePiece model for onnx/torch text models (default: the "
                                 "one the model file names)"),
                    &ModelSpec::tokenizer));
    t.push_back(integer(number_field("threads", "integer", 0, 1024,
                                     "CPU threads for the engine; 0: all hardware threads"),
                        &ModelSpec::threads));
    t.push_back(integer(number_field("context", "integer", 0, 1 << 20,
                                     "Text models: tokens of context (prompt + output) per "
                                     "sequence; 0: the model's trained context, at most 4096"),
                        &ModelSpec::context));
    t.push_back(str(string_field("kv_cache", {"f32", "f16"}, false,
                                 "llama: KV cache precision. f32 (flash attention off) gives the "
                                 "logits of the f32 ONNX Runtime and LibTorch engines, so greedy "
                                 "decoding yields the same tokens on all three; f16 is "
                                 "llama.cpp's default (half the KV memory, flash attention)"),
                    &ModelSpec::kv_cache));
    t.push_back(integer(number_field("batch", "integer", 0, 1 << 20,
                                     "Tensor models: rows per run() call; 0: all rows at once"),
                        &ModelSpec::batch));
    // At most 256: llama.cpp's LLAMA_MAX_SEQ.
    t.push_back(integer(number_field("parallel", "integer", 1, 256,
                                     "Text models: sequences decoded together (continuous "
                                     "batching; llama.cpp; other engines run one at a time)"),
                        &ModelSpec::parallel));
    for (auto& f : t) f.info.default_value = f.get(d);
    return t;
  }();
  return table;
}

const std::vector<Field<engine::SamplingParams>>& sampling_table() {
  using P = engine::SamplingParams;
  static const std::vector<Field<P>> table = [] {
    const P d = default_sampling();
    std::vector<Field<P>> t;
    {
      auto info = number_field("max_tokens", "integer", 1, 1 << 20, "Tokens to generate at most");
      t.push_back({info, [info](P& p, const json& v) { p.max_tokens = read_int(info, v); },
                   [](const P& p) { return json(p.max_tokens); }});
    }
    {
      auto info =
          number_field("temperature", "number", 0, 100, "Sampling temperature; 0 is greedy");
      t.push_back({info,
                   [info](P& p, const json& v) {
                     p.temperature = static_cast<float>(read_number(info, v));
                   },
                   [](const P& p) { return float_json(p.temperature); }});
    }
    {
      auto info =
          number_field("top_k", "integer", 0, 1 << 24, "Keep the k most likely tokens; 0 is off");
      t.push_back({info, [info](P& p, const json& v) { p.top_k = read_int(info, v); },
                   [](const P& p) { return json(p.top_k); }});
    }
    {
      auto info =
          number_field("top_p", "number", 0, 1, "Nucleus sampling mass in (0, 1]; 1 is off");
      info.min_exclusive = true;
      t.push_back(
          {info,
           [info](P& p, const json& v) { p.top_p = static_cast<float>(read_number(info, v)); },
           [](const P& p) { return float_json(p.top_p); }});
    }
    {
      auto info = number_field("seed", "integer", 0, 4294967294.0,
                               "Sampling seed; null: random. Same seed, same tokens");
      info.allow_null = true;
      t.push_back(
          {info,
           [info](P& p, const json& v) {
             p.seed =
                 v.is_null() ? P::kRandomSeed : static_cast<std::uint32_t>(read_number(info, v));
           },
           [](const P& p) { return p.seed == P::kRandomSeed ? json(nullptr) : json(p.seed); }});
    }
    {
      FieldInfo info;
      info.name = "ignore_eos";
      info.type = "boolean";
      info.help = "Keep generating past end-of-text, so that every run has max_tokens tokens";
      t.push_back({info, [info](P& p, const json& v) { p.ignore_eos = read_bool(info, v); },
                   [](const P& p) { return json(p.ignore_eos); }});
    }
    for (auto& f : t) f.info.default_value = f.get(d);
    return t;
  }();
  return table;
}

template <class T>
const std::vector<FieldInfo>& infos(const std::vector<Field<T>>& table) {
  static const std::vector<FieldInfo> out = [&] {
    std::vector<FieldInfo> v;
    for (const auto& f : table) v.push_back(f.info);
    return v;
  }();
  return out;
}

template <class T>
const Field<T>* find(const std::vector<Field<T>>& table, std::string_view key) {
  for (const auto& f : table)
    if (f.info.name == key) return &f;
  return nullptr;
}

template <class T>
std::string names(const std::vector<Field<T>>& table) {
  std::vector<std::string> v;
  for (const auto& f : table) v.push_back(f.info.name);
  return fmt::format("{}", fmt::join(v, ", "));
}

template <class T>
void set_in(const std::vector<Field<T>>& table, const char* what, T& target, std::string_view key,
            const json& value) {
  const auto* f = find(table, key);
  if (!f) {
    throw std::invalid_argument(
        fmt::format("unknown {} key \"{}\" (known: {})", what, key, names(table)));
  }
  f->set(target, value);
}

template <class T>
json to_json_in(const std::vector<Field<T>>& table, const T& v) {
  json j = json::object();
  for (const auto& f : table) j[f.info.name] = f.get(v);
  return j;
}

}  // namespace

const std::vector<FieldInfo>& model_spec_fields() {
  return infos(model_table());
}

const std::vector<FieldInfo>& sampling_fields() {
  return infos(sampling_table());
}

void set_field(ModelSpec& spec, std::string_view key, const nlohmann::json& value) {
  set_in(model_table(), "model", spec, key, value);
}

void set_field(engine::SamplingParams& params, std::string_view key, const nlohmann::json& value) {
  set_in(sampling_table(), "sampling", params, key, value);
}

bool is_model_field(std::string_view key) {
  return find(model_table(), key) != nullptr;
}

bool is_sampling_field(std::string_view key) {
  return find(sampling_table(), key) != nullptr;
}

nlohmann::json to_json(const ModelSpec& spec) {
  return to_json_in(model_table(), spec);
}

nlohmann::json to_json(const engine::SamplingParams& params) {
  return to_json_in(sampling_table(), params);
}

void validate(const ModelSpec& spec) {
  const json j = to_json(spec);
  ModelSpec scratch;
  for (const auto& f : model_table()) {
    if (f.info.name == "model" && spec.model.empty()) {
      throw std::invalid_argument("model: a zoo model name or a model file path is required");
    }
    f.set(scratch, j[f.info.name]);
  }
}

engine::LoadOptions load_options(const ModelSpec& spec) {
  engine::LoadOptions lo;
  lo.provider = spec.provider;
  lo.threads = spec.threads;
  lo.tokenizer = spec.tokenizer;
  lo.context_length = spec.context;
  lo.f32_kv_cache = spec.kv_cache == "f32";
  return lo;
}

zoo::Resolved resolve(const ModelSpec& spec) {
  const std::string zoo_dir = spec.zoo.empty() ? zoo::default_zoo_dir() : spec.zoo;
  return zoo::resolve(spec.model, spec.engine, spec.quant, zoo_dir);
}

LoadedModel load_resolved(const ModelSpec& spec, zoo::Resolved where) {
  LoadedModel out;
  out.spec = spec;
  out.where = std::move(where);
  auto& factory = engine::load_engine(out.where.engine);
  out.engine_version = factory.version();
  out.model = factory.load(out.where.path, load_options(spec));
  return out;
}

LoadedModel load_model(const ModelSpec& spec) {
  validate(spec);
  auto where = resolve(spec);
  if (where.entry && where.entry->kind == "ocr") {
    throw std::invalid_argument(
        fmt::format("{} is a two-stage OCR pipeline (detection, then recognition): run it with "
                    "`wattserve ocr IMAGE...`",
                    where.entry->model));
  }
  return load_resolved(spec, std::move(where));
}

bool is_user_error(const engine::EngineError& e) {
  using K = engine::EngineError::Kind;
  return e.kind() == K::kNotFound || e.kind() == K::kBadFormat || e.kind() == K::kUnknownProvider;
}

}  // namespace wattserve::model
