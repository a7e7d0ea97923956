// The onnx engine's TensorModel: named tensors in, every output of the graph out, through one
// ONNX Runtime session (open_session() in onnx_session.h).
#pragma once

#include <onnxruntime_cxx_api.h>

#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/tensor_check.h"

namespace wattserve::engine::onnx {

class OnnxTensorModel final : public TensorModel {
 public:
  // Reads the session's inputs and outputs; EngineError(kUnsupported) if one is not a float32
  // or int64 tensor.
  OnnxTensorModel(Ort::Session session, std::string provider);

  std::string provider() const override { return provider_; }
  std::vector<TensorInfo> inputs() const override;
  std::vector<TensorInfo> outputs() const override { return outputs_; }
  // Checks `inputs` (tensor_check.h: std::invalid_argument naming the input and the mismatch),
  // runs the graph, returns all its outputs. EngineError(kRuntime) if ONNX Runtime fails.
  // Safe to call from several threads at once.
  NamedTensors run(const NamedTensors& inputs) override;

 private:
  Ort::Session session_;
  std::string provider_;
  std::vector<InputSpec> inputs_;
  std::vector<TensorInfo> outputs_;
  std::vector<const char*> input_names_;   // views of inputs_[i].info.name, for Run()
  std::vector<const char*> output_names_;  // views of outputs_[i].name
};

}  // namespace wattserve::engine::onnx
