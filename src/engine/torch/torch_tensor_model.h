// The torch engine's TensorModel: a TorchScript module's forward() as named tensors in and out.
//
// Inputs are forward()'s arguments (all tensors), named as in its schema; outputs are what it
// returns (a tensor or a tuple of tensors), named by kMetadataFile's "outputs" or else
// "output0", "output1", ... A TorchScript schema carries neither shapes nor dtypes, so they come
// from kMetadataFile ("inputs"/"outputs"); without it an input is float32 of any shape (its
// TensorInfo shape is then empty) and an output's shape is reported as empty.
#pragma once

#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/tensor_check.h"
#include "engine/torch/torch_module.h"

namespace wattserve::engine::libtorch {

class TorchTensorModel final : public TensorModel {
 public:
  // EngineError(kUnsupported) if forward() takes or returns anything but tensors;
  // EngineError(kBadFormat) if kMetadataFile disagrees with forward() (an input it does not
  // take, another number of outputs, a bad shape or dtype).
  explicit TorchTensorModel(LoadedModule loaded);

  std::string provider() const override { return loaded_.provider; }
  std::vector<TensorInfo> inputs() const override;
  std::vector<TensorInfo> outputs() const override { return outputs_; }
  // Checks `inputs` (tensor_check.h: std::invalid_argument naming the input and the mismatch),
  // runs forward() without autograd, returns its outputs on the CPU. EngineError(kRuntime) if
  // forward() fails.
  NamedTensors run(const NamedTensors& inputs) override;

 private:
  LoadedModule loaded_;
  std::vector<InputSpec> inputs_;
  std::vector<TensorInfo> outputs_;
};

}  // namespace wattserve::engine::libtorch
