// The engine-neutral inference interface every runtime engine plug-in implements (llama.cpp,
// ONNX Runtime, LibTorch). Plain structs with defaults, in the style of llama.h; no engine
// header is included here, so the CLI and the tests see only this file.
//
// An engine (EngineFactory, see plugin_abi.h) lists the execution providers it can use on this
// machine and loads a Model with one of them. A model is one of two kinds:
//   - TextModel:   tokenize / detokenize / generate (streaming tokens through a callback), and
//                  where the engine has it (llama.cpp) a BatchDecoder for continuous batching;
//   - TensorModel: named input tensors -> named output tensors (the first dimension is batch).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace wattserve::engine {

// Every failure of an engine to load or run a model (bad path, wrong format, unknown provider,
// an operation the model does not support). Invalid argument values throw
// std::invalid_argument instead. Header-only so that plug-ins and the binary share it.
class EngineError : public std::runtime_error {
 public:
  enum class Kind { kNotFound, kBadFormat, kUnknownProvider, kUnsupported, kPlugin, kRuntime };
  EngineError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

using Token = std::int32_t;

// How a model is loaded. Engines ignore the fields that do not apply to them.
struct LoadOptions {
  std::string provider = "cpu";  // one of EngineFactory::providers()
  int threads = 0;               // CPU threads; 0: all hardware threads
  bool vocab_only = false;       // text models: load only the tokenizer (llama.cpp vocab GGUFs)
  int context_length = 0;        // text models: tokens of context; 0: min(trained, 4096)
  // Text models of the onnx and torch engines: the SentencePiece model to tokenize with; empty:
  // the one named in the model file's metadata (a path relative to the model file).
  std::string tokenizer;
  // llama: keep the KV cache in f32 with flash attention off (llama.cpp's defaults are an f16
  // cache and flash attention where available), so logits match the f32 engines to ~1e-5.
  bool f32_kv_cache = false;
};

// How generate() picks tokens. temperature == 0 is greedy decoding (deterministic; top_k,
// top_p and seed are then unused).
struct SamplingParams {
  static constexpr std::uint32_t kRandomSeed = 0xFFFFFFFFu;
  int max_tokens = 128;              // >= 1
  float temperature = 0.8f;          // >= 0; 0 = greedy
  int top_k = 40;                    // >= 0; 0 = off
  float top_p = 0.95f;               // in (0, 1]; 1 = off
  std::uint32_t seed = kRandomSeed;  // same seed, same model, same prompt -> same tokens
  std::vector<std::string> stop;     // stop when the generated text contains one of these
  bool ignore_eos = false;           // keep going past end-of-generation tokens
};

// Throws std::invalid_argument naming the first out-of-range field.
void validate(const SamplingParams& params);

enum class StopReason { kMaxTokens, kEndOfGeneration, kStopString, kCallback, kContextFull };
const char* to_string(StopReason reason);

struct GenerateResult {
  std::vector<Token> tokens;  // generated tokens (not the prompt)
  std::string text;           // their text, cut before the stop string when one matched
  StopReason reason = StopReason::kMaxTokens;
};

// Called once per generated token with its text piece (which may be a partial UTF-8
// sequence); return false to stop generation.
using TokenCallback = std::function<bool(Token token, std::string_view piece)>;

enum class DType { kFloat32, kInt64 };
const char* to_string(DType dtype);

// A dense row-major tensor. The data lives in the vector matching dtype; the other is empty.
struct Tensor {
  std::vector<std::int64_t> shape;
  DType dtype = DType::kFloat32;
  std::vector<float> f32;
  std::vector<std::int64_t> i64;

  std::size_t element_count() const;  // product of shape (1 for a scalar)
  void validate() const;              // std::invalid_argument if data and shape disagree
};
using NamedTensors = std::map<std::string, Tensor>;

// A model's declared input or output; -1 in shape is a dynamic dimension (e.g. batch).
struct TensorInfo {
  std::string name;
  std::vector<std::int64_t> shape;
  DType dtype = DType::kFloat32;
};

enum class ModelKind { kTextGeneration, kTensorInference };

class TextModel;
class TensorModel;

// Continuous batching (TextModel::batch_decoder): several generations share every decode step,
// each in a slot of its own; sequences join and leave between steps. Driven by one thread.
class BatchDecoder {
 public:
  // A token sampled for a slot by step(), or context_full when the slot has no room left.
  struct Sampled {
    int slot = 0;
    Token token = 0;
    std::string piece;               // its text (possibly a partial UTF-8 sequence)
    bool end_of_generation = false;  // an end-of-generation token
    bool context_full = false;       // no token: the slot's context is full
  };
  virtual ~BatchDecoder() = default;
  virtual int capacity() const = 0;        // slots
  virtual int context_length() const = 0;  // tokens of prompt + output one slot holds
  // Tokens of prompt one step decodes at most, over all slots.
  virtual int batch_tokens() const = 0;
  // Starts a sequence in a free slot and returns the slot. Its prompt is decoded by the next
  // steps (in chunks when longer than batch_tokens()). Throws std::invalid_argument for a bad
  // prompt or params, std::logic_error when no slot is free.
  virtual int add(std::span<const Token> prompt, const SamplingParams& params) = 0;
  // Ends the slot's sequence and frees its cache. Unknown or free slots are ignored.
  virtual void remove(int slot) = 0;
  // Prompt tokens of the slot not yet decoded (0 once it generates).
  virtual int pending_prompt(int slot) const = 0;
  // One decode over every live slot: the next prompt chunk of new ones, the last sampled token
  // of the others; then samples a token for each slot whose prompt is done. That token is the
  // slot's input to the next step unless remove() ends it. Throws EngineError on failure.
  virtual std::vector<Sampled> step() = 0;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual ModelKind kind() const = 0;
  virtual std::string provider() const = 0;
  // The model as its kind; EngineError(kUnsupported) if it is of the other kind.
  TextModel& text();
  TensorModel& tensor();
};

class TextModel : public Model {
 public:
  ModelKind kind() const override { return ModelKind::kTextGeneration; }
  // add_special: add BOS/EOS as the model is configured to; parse_special: treat special-token
  // text (e.g. "<s>") as the special token rather than plain text.
  virtual std::vector<Token> tokenize(std::string_view text, bool add_special = true,
                                      bool parse_special = false) const = 0;
  virtual std::string detokenize(std::span<const Token> tokens, bool remove_special = false,
                                 bool unparse_special = false) const = 0;
  virtual int vocab_size() const = 0;
  virtual int context_length() const = 0;  // tokens of prompt + output the model can hold
  // The next-token logits (vocab_size() floats) after `prompt` (non-empty), as generate() would
  // see them before its first token; for comparing engines.
  virtual std::vector<float> next_logits(std::span<const Token> prompt) = 0;
  // Generates after `prompt` (non-empty). Throws std::invalid_argument for bad params and
  // EngineError(kUnsupported) for a vocab-only model.
  virtual GenerateResult generate(std::span<const Token> prompt, const SamplingParams& params,
                                  const TokenCallback& on_token = {}) = 0;
  // A continuous-batching decoder with `sequences` slots of context_length() tokens each, with
  // state of its own (it does not disturb generate()). EngineError(kUnsupported) for engines
  // without one (the default).
  virtual std::unique_ptr<BatchDecoder> batch_decoder(int sequences);
};

class TensorModel : public Model {
 public:
  ModelKind kind() const override { return ModelKind::kTensorInference; }
  virtual std::vector<TensorInfo> inputs() const = 0;
  virtual std::vector<TensorInfo> outputs() const = 0;
  // Runs one batch: every input by name -> every output by name.
  virtual NamedTensors run(const NamedTensors& inputs) = 0;
};

// One runtime engine, as a plug-in provides it. Lives as long as the process (plug-ins are
// never unloaded); models it loads must not outlive it.
class EngineFactory {
 public:
  virtual ~EngineFactory() = default;
  virtual std::string name() const = 0;     // "llama", "onnx", "torch"
  virtual std::string version() const = 0;  // the library's own version string
  // Execution providers usable on this machine, the default ("cpu") first.
  virtual std::vector<std::string> providers() const = 0;
  // Throws EngineError: kNotFound (no such file), kBadFormat (not a model this engine reads),
  // kUnknownProvider (message lists the available ones).
  virtual std::unique_ptr<Model> load(const std::string& path, const LoadOptions& options) = 0;
};

// Helpers for engines: EngineError(kUnknownProvider) listing `available` unless `provider` is
// one of them; EngineError(kNotFound) unless `path` is a readable regular file.
void check_provider(const std::string& engine, const std::string& provider,
                    const std::vector<std::string>& available);
void check_model_file(const std::string& path);

}  // namespace wattserve::engine
