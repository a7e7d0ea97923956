// OnnxTextModel: KvTextModel::forward() as one Session::Run with the cache fed back.
#include "engine/onnx/onnx_text_model.h"

#include <cstdlib>

#include "engine/textgen/kv_text_model.h"
#include "engine/textgen/model_dir.h"

namespace wattserve::engine::onnx {

namespace {

using textgen::KvTextModel;

std::vector<std::string> input_names(const Ort::Session& s) {
  Ort::AllocatorWithDefaultOptions alloc;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.GetInputCount(); ++i) {
    out.emplace_back(s.GetInputNameAllocated(i, alloc).get());
  }
  return out;
}

std::vector<std::string> output_names(const Ort::Session& s) {
  Ort::AllocatorWithDefaultOptions alloc;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.GetOutputCount(); ++i) {
    out.emplace_back(s.GetOutputNameAllocated(i, alloc).get());
  }
  return out;
}

std::string metadata(const Ort::Session& s, const char* key) {
  Ort::AllocatorWithDefaultOptions alloc;
  auto v = s.GetModelMetadata().LookupCustomMetadataMapAllocated(key, alloc);
  return v ? std::string(v.get()) : std::string();
}

[[noreturn]] void bad(const std::string& path, const std::string& why) {
  throw EngineError(EngineError::Kind::kBadFormat,
                    path + " is not a KV-cache text model wattserve can run: " + why);
}

class OnnxTextModel final : public KvTextModel {
 public:
  struct Shape {
    int layers, heads, head_dim, vocab, ctx;
  };
  OnnxTextModel(Ort::Session session, const Shape& shape,
                std::unique_ptr<textgen::SpmTokenizer> tok, std::string provider)
      : KvTextModel(std::move(tok), shape.vocab, shape.ctx, std::move(provider)),
        session_(std::move(session)),
        shape_(shape),
        mem_(Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault)) {
    for (const auto& n : input_names(session_)) in_names_.push_back(n);
    for (const auto& n : output_names(session_)) out_names_.push_back(n);
    for (const auto& n : in_names_) in_ptrs_.push_back(n.c_str());
    for (const auto& n : out_names_) out_ptrs_.push_back(n.c_str());
  }

 protected:
  void reset() override {
    past_.clear();
    past_len_ = 0;
  }

  std::vector<float> forward(std::span<const Token> tokens) override {
    std::vector<std::int64_t> ids(tokens.begin(), tokens.end());
    const std::int64_t ids_shape[2] = {1, static_cast<std::int64_t>(ids.size())};
    std::int64_t past_len = past_len_;
    std::vector<Ort::Value> inputs;
    inputs.reserve(in_ptrs_.size());
    inputs.push_back(
        Ort::Value::CreateTensor<std::int64_t>(mem_, ids.data(), ids.size(), ids_shape, 2));
    inputs.push_back(Ort::Value::CreateTensor<std::int64_t>(mem_, &past_len, 1, nullptr, 0));
    if (past_.empty()) {
      const std::int64_t empty[4] = {1, shape_.heads, 0, shape_.head_dim};
      for (int i = 0; i < 2 * shape_.layers; ++i) {
        inputs.push_back(Ort::Value::CreateTensor<float>(mem_, &dummy_, 0, empty, 4));
      }
    } else {
      for (auto& v : past_) inputs.push_back(std::move(v));
    }
    std::vector<Ort::Value> outputs;
    try {
      outputs = session_.Run(Ort::RunOptions{nullptr}, in_ptrs_.data(), inputs.data(),
                             inputs.size(), out_ptrs_.data(), out_ptrs_.size());
    } catch (const Ort::Exception& e) {
      past_.clear();
      throw EngineError(EngineError::Kind::kRuntime, std::string("ONNX Runtime: ") + e.what());
    }
    const auto info = outputs[0].GetTensorTypeAndShapeInfo();
    const auto shape = info.GetShape();
    if (shape.size() != 3 || shape[2] != shape_.vocab) {
      throw EngineError(EngineError::Kind::kRuntime, "unexpected logits shape from the model");
    }
    const float* logits = outputs[0].GetTensorData<float>();
    const auto last = static_cast<std::size_t>(shape[1] - 1) * static_cast<std::size_t>(shape[2]);
    std::vector<float> out(logits + last, logits + last + static_cast<std::size_t>(shape[2]));
    past_.clear();
    for (std::size_t i = 1; i < outputs.size(); ++i) past_.push_back(std::move(outputs[i]));
    past_len_ += static_cast<std::int64_t>(ids.size());
    return out;
  }

 private:
  Ort::Session session_;
  Shape shape_;
  Ort::MemoryInfo mem_;
  std::vector<std::string> in_names_, out_names_;
  std::vector<const char*> in_ptrs_, out_ptrs_;
  std::vector<Ort::Value> past_;  // present_* of the last step, in input order
  std::int64_t past_len_ = 0;
  float dummy_ = 0;
};

int int_metadata(const Ort::Session& s, const std::string& path, const char* key) {
  const std::string v = metadata(s, key);
  char* end = nullptr;
  const long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n <= 0 || n > (1L << 24)) {
    bad(path, std::string("metadata '") + key + "' missing or not a positive integer");
  }
  return static_cast<int>(n);
}

}  // namespace

std::unique_ptr<Model> make_text_model(Ort::Session session, const std::string& path,
                                       const LoadOptions& options) {
  OnnxTextModel::Shape shape{};
  shape.layers = int_metadata(session, path, "n_layers");
  shape.heads = int_metadata(session, path, "n_heads");
  shape.head_dim = int_metadata(session, path, "head_dim");
  shape.vocab = int_metadata(session, path, "vocab");
  shape.ctx =
      options.context_length > 0 ? options.context_length : int_metadata(session, path, "ctx");
  const auto ins = input_names(session);
  const auto outs = output_names(session);
  const auto n_io = static_cast<std::size_t>(2 * shape.layers);
  if (ins.size() != 2 + n_io || outs.size() != 1 + n_io || outs[0] != "logits") {
    bad(path,
        "expected inputs input_ids, past_len, past_key/value_i and outputs logits, "
        "present_key/value_i for " +
            std::to_string(shape.layers) + " layers");
  }
  const std::string tok =
      textgen::tokenizer_path(path, metadata(session, "wattserve.tokenizer"), options.tokenizer);
  const bool add_bos = metadata(session, "wattserve.add_bos") == "1";
  return std::make_unique<OnnxTextModel>(std::move(session), shape,
                                         std::make_unique<textgen::SpmTokenizer>(tok, add_bos),
                                         options.provider);
}

}  // namespace wattserve::engine::onnx
