// TorchTextModel: KvTextModel::forward() as one forward() call with the cache fed back.
#include "engine/torch/torch_text_model.h"

#include <nlohmann/json.hpp>

#include "engine/textgen/kv_text_model.h"
#include "engine/textgen/model_dir.h"

namespace wattserve::engine::libtorch {

namespace {

struct Shape {
  int layers, heads, head_dim, vocab, ctx;
};

class TorchTextModel final : public textgen::KvTextModel {
 public:
  TorchTextModel(torch::jit::Module module, c10::Device device, const Shape& shape,
                 std::unique_ptr<textgen::SpmTokenizer> tok, std::string provider)
      : KvTextModel(std::move(tok), shape.vocab, shape.ctx, std::move(provider)),
        module_(std::move(module)),
        device_(device),
        shape_(shape) {}

 protected:
  void reset() override {
    past_.clear();
    past_len_ = 0;
  }

  std::vector<float> forward(std::span<const Token> tokens) override {
    c10::InferenceMode guard;
    std::vector<std::int64_t> ids(tokens.begin(), tokens.end());
    std::vector<torch::jit::IValue> in;
    in.reserve(2 + static_cast<std::size_t>(2 * shape_.layers));
    in.emplace_back(
        torch::from_blob(ids.data(), {1, static_cast<std::int64_t>(ids.size())}, torch::kInt64)
            .to(device_));
    in.emplace_back(torch::tensor(past_len_, torch::kInt64));
    if (past_.empty()) {
      const auto empty =
          torch::zeros({1, shape_.heads, 0, shape_.head_dim},
                       torch::TensorOptions().dtype(torch::kFloat32).device(device_));
      for (int i = 0; i < 2 * shape_.layers; ++i) in.emplace_back(empty);
    } else {
      for (auto& t : past_) in.emplace_back(std::move(t));
    }
    c10::IValue out;
    try {
      out = module_.forward(in);
    } catch (const c10::Error& e) {
      past_.clear();
      throw EngineError(EngineError::Kind::kRuntime,
                        std::string("LibTorch: ") + e.what_without_backtrace());
    }
    const auto& elems = out.toTupleRef().elements();
    if (elems.size() != 1 + static_cast<std::size_t>(2 * shape_.layers)) {
      throw EngineError(EngineError::Kind::kRuntime, "unexpected outputs from the model");
    }
    const at::Tensor logits = elems[0].toTensor();
    if (logits.dim() != 3 || logits.size(2) != shape_.vocab) {
      throw EngineError(EngineError::Kind::kRuntime, "unexpected logits shape from the model");
    }
    const at::Tensor last = logits[0][logits.size(1) - 1].to(torch::kCPU).contiguous();
    const float* p = last.data_ptr<float>();
    std::vector<float> result(p, p + shape_.vocab);
    past_.clear();
    for (std::size_t i = 1; i < elems.size(); ++i) past_.push_back(elems[i].toTensor());
    past_len_ += static_cast<std::int64_t>(ids.size());
    return result;
  }

 private:
  torch::jit::Module module_;
  c10::Device device_;
  Shape shape_;
  std::vector<at::Tensor> past_;
  std::int64_t past_len_ = 0;
};

[[noreturn]] void bad(const std::string& path, const std::string& why) {
  throw EngineError(EngineError::Kind::kBadFormat,
                    path + " is not a KV-cache text model wattserve can run: " + why);
}

int positive(const nlohmann::json& j, const std::string& path, const char* key) {
  if (!j.contains(key) || !j[key].is_number_integer() || j[key].get<long>() <= 0 ||
      j[key].get<long>() > (1L << 24)) {
    bad(path, std::string("wattserve.json: '") + key + "' missing or not a positive integer");
  }
  return j[key].get<int>();
}

}  // namespace

std::unique_ptr<Model> make_text_model(torch::jit::Module module, const std::string& config,
                                       c10::Device device, const std::string& path,
                                       const LoadOptions& options) {
  const auto j = nlohmann::json::parse(config, nullptr, false);
  if (j.is_discarded() || !j.is_object()) bad(path, "its wattserve.json is not a JSON object");
  if (j.contains("tokenizer") && !j["tokenizer"].is_string()) {
    bad(path, "wattserve.json: 'tokenizer' is not a string");
  }
  Shape shape{};
  shape.layers = positive(j, path, "n_layers");
  shape.heads = positive(j, path, "n_heads");
  shape.head_dim = positive(j, path, "head_dim");
  shape.vocab = positive(j, path, "vocab");
  shape.ctx = options.context_length > 0 ? options.context_length : positive(j, path, "ctx");
  const std::string named = j.value("tokenizer", std::string());
  const std::string tok = textgen::tokenizer_path(path, named, options.tokenizer);
  const bool add_bos = j.value("add_bos", false);
  return std::make_unique<TorchTextModel>(std::move(module), device, shape,
                                          std::make_unique<textgen::SpmTokenizer>(tok, add_bos),
                                          options.provider);
}

}  // namespace wattserve::engine::libtorch
