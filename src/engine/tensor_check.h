// Checks of the inputs a caller gives a TensorModel against what the model declares (names,
// dtypes, ranks, fixed dimensions), shared by the tensor-inference engines so that they all
// reject bad inputs with the same std::invalid_argument messages before the runtime sees them.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace wattserve::engine {

// One declared input. shape_known = false: the model does not say (e.g. a TorchScript module
// without shape metadata); then only the name and dtype are checked.
struct InputSpec {
  TensorInfo info;
  bool shape_known = true;
};

// Throws std::invalid_argument naming the input and the mismatch when `given` lacks a declared
// input, has one the model does not declare, or one whose dtype, rank or fixed (>= 0)
// dimensions differ, or whose data does not match its shape (Tensor::validate).
void check_inputs(std::span<const InputSpec> declared, const NamedTensors& given);

// "[-1,1,28,28]"
std::string shape_text(std::span<const std::int64_t> shape);

}  // namespace wattserve::engine
