// Engine-neutral parts of the inference interface (engine.h): argument validation, tensor
// checks, names. Linked into the wattserve_engine library and into every engine plug-in.
#include "engine/engine.h"

#include <cmath>
#include <filesystem>
#include <fstream>

namespace wattserve::engine {

void validate(const SamplingParams& p) {
  if (p.max_tokens < 1) {
    throw std::invalid_argument("max_tokens must be >= 1 (got " + std::to_string(p.max_tokens) +
                                ")");
  }
  if (!(p.temperature >= 0.0f) || std::isinf(p.temperature)) {
    throw std::invalid_argument("temperature must be >= 0 and finite (got " +
                                std::to_string(p.temperature) + ")");
  }
  if (p.top_k < 0) {
    throw std::invalid_argument("top_k must be >= 0, 0 = off (got " + std::to_string(p.top_k) +
                                ")");
  }
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) {
    throw std::invalid_argument("top_p must be in (0, 1], 1 = off (got " + std::to_string(p.top_p) +
                                ")");
  }
  for (const auto& s : p.stop) {
    if (s.empty()) throw std::invalid_argument("stop strings must not be empty");
  }
}

const char* to_string(StopReason r) {
  switch (r) {
    case StopReason::kMaxTokens:
      return "max_tokens";
    case StopReason::kEndOfGeneration:
      return "eos";
    case StopReason::kStopString:
      return "stop";
    case StopReason::kCallback:
      return "callback";
    case StopReason::kContextFull:
      return "context_full";
  }
  return "?";
}

const char* to_string(DType d) {
  return d == DType::kFloat32 ? "float32" : "int64";
}

std::size_t Tensor::element_count() const {
  std::size_t n = 1;
  for (const auto d : shape) {
    if (d < 0) throw std::invalid_argument("tensor dimensions must be >= 0");
    n *= static_cast<std::size_t>(d);
  }
  return n;
}

void Tensor::validate() const {
  const std::size_t n = element_count();
  const std::size_t have = dtype == DType::kFloat32 ? f32.size() : i64.size();
  const std::size_t other = dtype == DType::kFloat32 ? i64.size() : f32.size();
  if (have != n || other != 0) {
    throw std::invalid_argument(std::string("tensor of dtype ") + to_string(dtype) + " and " +
                                std::to_string(n) + " elements holds " + std::to_string(have) +
                                (other ? " (and data of the other dtype)" : ""));
  }
}

TextModel& Model::text() {
  if (auto* t = dynamic_cast<TextModel*>(this)) return *t;
  throw EngineError(EngineError::Kind::kUnsupported, "not a text-generation model");
}

TensorModel& Model::tensor() {
  if (auto* t = dynamic_cast<TensorModel*>(this)) return *t;
  throw EngineError(EngineError::Kind::kUnsupported, "not a tensor-inference model");
}

std::unique_ptr<BatchDecoder> TextModel::batch_decoder(int) {
  throw EngineError(EngineError::Kind::kUnsupported,
                    "this engine has no continuous batching: it generates one sequence at a time");
}

void check_provider(const std::string& engine, const std::string& provider,
                    const std::vector<std::string>& available) {
  for (const auto& a : available) {
    if (a == provider) return;
  }
  std::string list;
  for (const auto& a : available) list += (list.empty() ? "" : ", ") + a;
  // cuda is a provider every engine has somewhere: say what it takes (docs/cuda.md).
  const std::string hint =
      provider == "cuda" && engine != "onnx"
          ? "; the " + engine +
                " engine offers cuda when wattserve is built with -DWATTSERVE_CUDA=ON and a CUDA "
                "GPU is present (docs/cuda.md)"
          : "";
  throw EngineError(EngineError::Kind::kUnknownProvider,
                    "engine " + engine + ": unknown execution provider '" + provider +
                        "' (available: " + list + ")" + hint);
}

void check_model_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    throw EngineError(EngineError::Kind::kNotFound, "model file not found: " + path);
  }
  if (!fs::is_regular_file(st)) {
    throw EngineError(EngineError::Kind::kNotFound, "model path is not a regular file: " + path);
  }
  if (!std::ifstream(path, std::ios::binary)) {
    throw EngineError(EngineError::Kind::kNotFound, "model file not readable: " + path);
  }
}

}  // namespace wattserve::engine
