// ONNX Runtime tensor models (see onnx_tensor_model.h).
#include "engine/onnx/onnx_tensor_model.h"

#include "engine/onnx/onnx_session.h"
#include "engine/onnx/onnx_values.h"

namespace wattserve::engine::onnx {

OnnxTensorModel::OnnxTensorModel(Ort::Session session, std::string provider)
    : session_(std::move(session)), provider_(std::move(provider)) {
  for (auto& info : session_inputs(session_)) inputs_.push_back({std::move(info), true});
  outputs_ = session_outputs(session_);
  for (const auto& in : inputs_) input_names_.push_back(in.info.name.c_str());
  for (const auto& out : outputs_) output_names_.push_back(out.name.c_str());
}

std::vector<TensorInfo> OnnxTensorModel::inputs() const {
  std::vector<TensorInfo> out;
  for (const auto& in : inputs_) out.push_back(in.info);
  return out;
}

NamedTensors OnnxTensorModel::run(const NamedTensors& inputs) {
  check_inputs(inputs_, inputs);
  std::vector<Ort::Value> values;
  values.reserve(inputs_.size());
  for (const auto& in : inputs_) values.push_back(view_as_ort(inputs.at(in.info.name)));
  std::vector<Ort::Value> results;
  try {
    results = session_.Run(Ort::RunOptions{nullptr}, input_names_.data(), values.data(),
                           values.size(), output_names_.data(), output_names_.size());
  } catch (const Ort::Exception& e) {
    throw EngineError(EngineError::Kind::kRuntime,
                      std::string("ONNX Runtime failed to run the model: ") + e.what());
  }
  NamedTensors out;
  for (std::size_t i = 0; i < results.size(); ++i) {
    out.emplace(outputs_[i].name, to_tensor(results[i], outputs_[i].name));
  }
  return out;
}

}  // namespace wattserve::engine::onnx
