// LibTorch (TorchScript) engine plug-in (for now: its version and whether CUDA is usable;
// loading models is not implemented yet).
#include <ATen/Context.h>
#include <torch/version.h>

#include <string>

#include "engine/plugin_abi.h"

namespace {

class TorchEngine final : public wattserve::engine::EngineFactory {
 public:
  std::string name() const override { return "torch"; }
  std::string version() const override { return TORCH_VERSION; }
  std::vector<std::string> providers() const override {
    std::vector<std::string> out{"cpu"};
    if (at::hasCUDA()) out.push_back("cuda");
    return out;
  }
  std::unique_ptr<wattserve::engine::Model> load(
      const std::string& path, const wattserve::engine::LoadOptions& options) override {
    wattserve::engine::check_provider(name(), options.provider, providers());
    wattserve::engine::check_model_file(path);
    throw wattserve::engine::EngineError(wattserve::engine::EngineError::Kind::kUnsupported,
                                         "the torch engine cannot load models yet");
  }
};

}  // namespace

WATTSERVE_ENGINE_PLUGIN(TorchEngine)
