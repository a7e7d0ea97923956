// Conversions between wattserve's Tensor (engine.h) and ONNX Runtime's Ort::Value, shared by the
// onnx engine's model kinds.
#pragma once

#include <onnxruntime_cxx_api.h>

#include "engine/engine.h"

namespace wattserve::engine::onnx {

// An Ort::Value that views `tensor`'s data (no copy): `tensor` must outlive it and stay
// unchanged. ONNX Runtime only reads inputs.
Ort::Value view_as_ort(const Tensor& tensor);

// A copy of an output value; EngineError(kUnsupported) for anything but a float32 or int64
// tensor, naming it as `name`.
Tensor to_tensor(const Ort::Value& value, const std::string& name);

}  // namespace wattserve::engine::onnx
