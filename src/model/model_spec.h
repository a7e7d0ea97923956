// What model to load and how, and how to sample from it: the one place where these settings and
// their defaults live (in the style of llama.h's *_default_params()). `run`, `serve`, `ocr` and
// `bench` all start from default_model_spec() / default_sampling(), set fields by name from
// flags, config files or study factors (set_field), and load through load_model().
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "zoo/zoo.h"

namespace wattserve::model {

struct ModelSpec {
  std::string model;             // a zoo model name or a model file path (required)
  std::string engine;            // llama, onnx or torch; empty: from the zoo or the extension
  std::string provider = "cpu";  // execution provider (`wattserve engines` lists them)
  std::string quant;             // llama GGUF of a zoo model: f32, f16, q8_0, q4_0; empty: f32
  std::string zoo;               // zoo folder; empty: zoo::default_zoo_dir()
  std::string tokenizer;         // SentencePiece model for onnx/torch text; empty: the file's own
  int threads = 0;               // CPU threads for the engine; 0: all hardware threads
  int context = 0;               // text: tokens of context per sequence; 0: trained, <= 4096
  // llama KV cache: f32 (flash attention off) gives the same logits as the f32 ONNX Runtime and
  // LibTorch engines, so greedy decoding yields the same tokens on all three and engines compare
  // on the same work; f16 is llama.cpp's own default (half the KV memory).
  std::string kv_cache = "f32";
  int batch = 0;  // tensor models: rows per run() call; 0: all rows of the input at once
  // text models: sequences decoded together (continuous batching), 1..256 (llama.cpp's
  // LLAMA_MAX_SEQ); serve's default is 4 (serve::default_served_model()).
  int parallel = 1;
};

ModelSpec default_model_spec();
// The sampling defaults of run and bench (engine::SamplingParams' own): max_tokens 128,
// temperature 0.8, top_k 40, top_p 0.95, random seed, ignore_eos false.
engine::SamplingParams default_sampling();

// A settable field: its name (as flags, config keys and study factors spell it), its JSON type
// ("string", "integer", "number", "boolean"), the allowed choices or range, and its help.
struct FieldInfo {
  std::string name;
  std::string type;
  std::vector<std::string> choices;  // strings: allowed values; empty: any
  std::optional<double> min, max;    // numbers: inclusive bounds (but see min_exclusive)
  std::string help;
  bool min_exclusive = false;    // numbers: min itself is refused (top_p: (0, 1])
  bool allow_empty = false;      // strings: "" is accepted and means the default behaviour
  bool allow_null = false;       // null is accepted (seed: null is a random seed)
  nlohmann::json default_value;  // the field's value in default_model_spec()/default_sampling()
};
const std::vector<FieldInfo>& model_spec_fields();  // model, engine, provider, ...
const std::vector<FieldInfo>& sampling_fields();    // max_tokens, temperature, top_k, ...

// Checks a value against a field's type, choices and bounds (as set_field does) and returns it
// typed by the field (integers as integers, numbers as floats). Throws std::invalid_argument
// "NAME: expected ..., got ...". For field tables beyond the model's (bench's serving fields).
nlohmann::json checked_value(const FieldInfo& field, const nlohmann::json& value);

// Sets one field by name from a JSON value. Throws std::invalid_argument for an unknown key
// (naming the known ones), a wrong type or a value out of range. Integers are accepted for
// number fields; a number with a fractional part is refused for an integer field.
void set_field(ModelSpec& spec, std::string_view key, const nlohmann::json& value);
void set_field(engine::SamplingParams& params, std::string_view key, const nlohmann::json& value);
bool is_model_field(std::string_view key);
bool is_sampling_field(std::string_view key);

// Every field of the table, keyed by name: set_field() reads each value back unchanged.
// (SamplingParams::stop is not a settable field and is left out.)
nlohmann::json to_json(const ModelSpec& spec);
nlohmann::json to_json(const engine::SamplingParams& params);  // seed: null when random

// Checks every field against its table entry (as set_field would) and that spec.model is set.
// Throws std::invalid_argument.
void validate(const ModelSpec& spec);

// The engine's load options of a spec (provider, threads, tokenizer, context, KV cache).
engine::LoadOptions load_options(const ModelSpec& spec);

// Resolves spec.model in spec.zoo (empty: zoo::default_zoo_dir()) or as a path, without loading
// anything. Throws std::invalid_argument with the choices (std::runtime_error when the zoo has no
// readable manifest).
zoo::Resolved resolve(const ModelSpec& spec);

// What load_model() made of a spec.
struct LoadedModel {
  std::unique_ptr<engine::Model> model;
  ModelSpec spec;              // as given
  zoo::Resolved where;         // the file, the engine, and the zoo entry when from the zoo
  std::string engine_version;  // the engine library's own version string
};

// Resolves spec.model in the zoo (or as a path) and loads it on its engine and provider.
// Throws std::invalid_argument for what the user can fix (unknown model, engine or quant; an
// OCR pipeline, which needs ocr::Pipeline) and engine::EngineError from the engine.
LoadedModel load_model(const ModelSpec& spec);

// Loads a model resolve(spec) already found, with the spec's load options, whatever its zoo
// kind (serve loads the single stages of the OCR pipeline this way). Throws engine::EngineError.
LoadedModel load_resolved(const ModelSpec& spec, zoo::Resolved where);

// Whether an engine error is the user's to fix (no such file, not a model the engine reads,
// unknown provider: exit code 2 in the CLI) rather than a failure of the engine (exit code 1).
bool is_user_error(const engine::EngineError& e);

}  // namespace wattserve::model
