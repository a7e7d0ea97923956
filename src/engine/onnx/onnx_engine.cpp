// The ONNX Runtime engine plug-in, libwattserve_engine_onnx.so: lists the execution providers
// this ONNX Runtime can use and loads .onnx files as tensor models (OnnxTensorModel); KV-cache
// text LMs (inputs "input_ids" and "past_len") as text models (onnx_text_model.h).
#include <algorithm>

#include "engine/onnx/onnx_session.h"
#include "engine/onnx/onnx_tensor_model.h"
#include "engine/onnx/onnx_text_model.h"
#include "engine/plugin_abi.h"

namespace wattserve::engine::onnx {

namespace {

bool has_input(const Ort::Session& session, const std::string& name) {
  const auto names = session.GetInputNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

class OnnxEngine final : public EngineFactory {
 public:
  std::string name() const override { return "onnx"; }
  std::string version() const override { return "ONNX Runtime " + Ort::GetVersionString(); }
  std::vector<std::string> providers() const override { return available_providers(); }

  std::unique_ptr<Model> load(const std::string& path, const LoadOptions& opt) override {
    Ort::Session session = open_session(path, opt);
    if (has_input(session, "input_ids") && has_input(session, "past_len")) {
      return make_text_model(std::move(session), path, opt);
    }
    return std::make_unique<OnnxTensorModel>(std::move(session), opt.provider);
  }
};

}  // namespace

}  // namespace wattserve::engine::onnx

WATTSERVE_ENGINE_PLUGIN(wattserve::engine::onnx::OnnxEngine)
