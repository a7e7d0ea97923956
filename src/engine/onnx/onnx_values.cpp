// Tensor <-> Ort::Value (see onnx_values.h).
#include "engine/onnx/onnx_values.h"

namespace wattserve::engine::onnx {

namespace {

const Ort::MemoryInfo& cpu_memory() {
  static const Ort::MemoryInfo info =
      Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
  return info;
}

template <typename T>
Ort::Value view(const std::vector<T>& data, const std::vector<std::int64_t>& shape) {
  // ONNX Runtime wants a non-null pointer even for an empty tensor (e.g. a KV cache of length 0).
  static T empty{};
  // CreateTensor takes T* for inputs and outputs alike; ONNX Runtime does not write inputs.
  T* p = data.empty() ? &empty : const_cast<T*>(data.data());
  return Ort::Value::CreateTensor<T>(cpu_memory(), p, data.size(), shape.data(), shape.size());
}

}  // namespace

Ort::Value view_as_ort(const Tensor& t) {
  t.validate();
  return t.dtype == DType::kFloat32 ? view(t.f32, t.shape) : view(t.i64, t.shape);
}

Tensor to_tensor(const Ort::Value& value, const std::string& name) {
  if (!value.IsTensor()) {
    throw EngineError(EngineError::Kind::kUnsupported, "output '" + name + "' is not a tensor");
  }
  const auto info = value.GetTensorTypeAndShapeInfo();
  Tensor t;
  t.shape = info.GetShape();
  const std::size_t n = info.GetElementCount();
  switch (info.GetElementType()) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: {
      t.dtype = DType::kFloat32;
      const float* p = value.GetTensorData<float>();
      t.f32.assign(p, p + n);
      break;
    }
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: {
      t.dtype = DType::kInt64;
      const std::int64_t* p = value.GetTensorData<std::int64_t>();
      t.i64.assign(p, p + n);
      break;
    }
    default:
      throw EngineError(EngineError::Kind::kUnsupported,
                        "output '" + name + "' is neither float32 nor int64");
  }
  return t;
}

}  // namespace wattserve::engine::onnx
