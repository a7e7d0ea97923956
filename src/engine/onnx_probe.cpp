// ONNX Runtime engine plug-in (for now: its version and the execution providers it offers;
// loading models is not implemented yet).
#include <onnxruntime_cxx_api.h>

#include <string>

#include "engine/plugin_abi.h"

namespace {

class OnnxEngine final : public wattserve::engine::EngineFactory {
 public:
  std::string name() const override { return "onnx"; }
  std::string version() const override { return Ort::GetVersionString(); }
  std::vector<std::string> providers() const override {
    // ONNX Runtime names them "CPUExecutionProvider", ...; CPU is always first here.
    std::vector<std::string> out{"cpu"};
    for (const std::string& p : Ort::GetAvailableProviders()) {
      if (p != "CPUExecutionProvider") out.push_back(p);
    }
    return out;
  }
  std::unique_ptr<wattserve::engine::Model> load(
      const std::string& path, const wattserve::engine::LoadOptions& options) override {
    wattserve::engine::check_provider(name(), options.provider, providers());
    wattserve::engine::check_model_file(path);
    throw wattserve::engine::EngineError(wattserve::engine::EngineError::Kind::kUnsupported,
                                         "the onnx engine cannot load models yet");
  }
};

}  // namespace

WATTSERVE_ENGINE_PLUGIN(OnnxEngine)
