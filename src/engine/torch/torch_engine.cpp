// The LibTorch engine plug-in, libwattserve_engine_torch.so: lists the providers LibTorch can
// use here and loads TorchScript files as tensor models (TorchTensorModel); KV-cache text LMs
// (metadata "kind": "text", or a forward() argument "past_len") as text models
// (torch_text_model.h).
#include <torch/version.h>

#include "engine/plugin_abi.h"
#include "engine/torch/torch_module.h"
#include "engine/torch/torch_tensor_model.h"
#include "engine/torch/torch_text_model.h"

namespace wattserve::engine::libtorch {

namespace {

bool is_text_model(const LoadedModule& m) {
  if (m.metadata.is_object() && m.metadata.value("kind", "") == "text") return true;
  for (const auto& arg : m.module.get_method("forward").function().getSchema().arguments()) {
    if (arg.name() == "past_len") return true;
  }
  return false;
}

class TorchEngine final : public EngineFactory {
 public:
  std::string name() const override { return "torch"; }
  std::string version() const override { return std::string("LibTorch ") + TORCH_VERSION; }
  std::vector<std::string> providers() const override { return available_providers(); }

  std::unique_ptr<Model> load(const std::string& path, const LoadOptions& opt) override {
    LoadedModule m = load_module(path, opt);
    if (is_text_model(m)) {
      const std::string config = m.metadata.is_null() ? "" : m.metadata.dump();
      return make_text_model(std::move(m.module), config, m.device, path, opt);
    }
    return std::make_unique<TorchTensorModel>(std::move(m));
  }
};

}  // namespace

}  // namespace wattserve::engine::libtorch

WATTSERVE_ENGINE_PLUGIN(wattserve::engine::libtorch::TorchEngine)
