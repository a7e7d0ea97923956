// The ONNX Runtime engine plug-in, libwattserve_engine_onnx.so: lists the execution providers
// this ONNX Runtime can use and loads .onnx files as tensor models (OnnxTensorModel); KV-cache
// text LMs (inputs "input_ids" and "past_len") are recognised, to be loaded as text models.
#include <algorithm>

#include "engine/onnx/onnx_session.h"
#include "engine/onnx/onnx_tensor_model.h"
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
      // ---- ONNX text models (KV-cache LMs, models/text/export_onnx.py): not implemented yet.
      // The text model goes here, built from `session` and opt.tokenizer / the model's
      // "wattserve.tokenizer" metadata.
      throw EngineError(EngineError::Kind::kUnsupported, "onnx text models: not implemented yet");
    }
    return std::make_unique<OnnxTensorModel>(std::move(session), opt.provider);
  }
};

}  // namespace

}  // namespace wattserve::engine::onnx

WATTSERVE_ENGINE_PLUGIN(wattserve::engine::onnx::OnnxEngine)
