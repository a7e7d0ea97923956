// TorchScript tensor models (see torch_tensor_model.h).
#include "engine/torch/torch_tensor_model.h"

#include <c10/core/InferenceMode.h>

#include <algorithm>

namespace wattserve::engine::libtorch {

namespace {

[[noreturn]] void bad_metadata(const std::string& why) {
  throw EngineError(EngineError::Kind::kBadFormat,
                    std::string("TorchScript model metadata (") + kMetadataFile + "): " + why);
}

DType parse_dtype(const std::string& name, const std::string& what) {
  if (name == "float32") return DType::kFloat32;
  if (name == "int64") return DType::kInt64;
  bad_metadata(what + ": dtype '" + name + "' (wattserve tensors are float32 or int64)");
}

// `j` is a shape [d, ...] (-1: dynamic) or {"shape": [...], "dtype": "..."}; fills `info`.
void parse_tensor_info(const nlohmann::ordered_json& j, const std::string& what, TensorInfo& info) {
  const nlohmann::ordered_json* shape = &j;
  if (j.is_object()) {
    if (j.contains("dtype")) {
      if (!j["dtype"].is_string()) bad_metadata(what + ": dtype must be a string");
      info.dtype = parse_dtype(j["dtype"].get<std::string>(), what);
    }
    if (!j.contains("shape")) bad_metadata(what + ": no \"shape\"");
    shape = &j["shape"];
  }
  if (!shape->is_array()) bad_metadata(what + ": the shape must be a list of integers");
  info.shape.clear();
  for (const auto& d : *shape) {
    if (!d.is_number_integer() || d.get<std::int64_t>() < -1) {
      bad_metadata(what + ": the shape must be a list of integers >= -1 (got " + shape->dump() +
                   ")");
    }
    info.shape.push_back(d.get<std::int64_t>());
  }
}

bool is_tensor_type(const c10::TypePtr& t) {
  return t->kind() == c10::TypeKind::TensorType;
}

// The number of tensors forward() returns: 1 for a tensor, N for a tuple of N tensors.
std::size_t output_count(const c10::FunctionSchema& schema) {
  const auto& returns = schema.returns();
  if (returns.size() == 1 && is_tensor_type(returns[0].type())) return 1;
  if (returns.size() == 1 && returns[0].type()->kind() == c10::TypeKind::TupleType) {
    const auto elements = returns[0].type()->containedTypes();
    if (std::all_of(elements.begin(), elements.end(), is_tensor_type)) return elements.size();
  }
  throw EngineError(EngineError::Kind::kUnsupported,
                    "TorchScript forward() returns " + returns[0].type()->str() +
                        "; tensor models return a tensor or a tuple of tensors");
}

at::Tensor to_torch(const Tensor& t, const torch::Device& device) {
  // A copy: the module may write its inputs in place, and ours are const.
  auto* data = t.dtype == DType::kFloat32 ? static_cast<const void*>(t.f32.data())
                                          : static_cast<const void*>(t.i64.data());
  const auto options =
      torch::TensorOptions().dtype(t.dtype == DType::kFloat32 ? torch::kFloat32 : torch::kInt64);
  auto view = torch::from_blob(const_cast<void*>(data), t.shape, options);
  return device.is_cpu() ? view.clone() : view.to(device);
}

Tensor to_tensor(const at::Tensor& value, const std::string& name) {
  const at::Tensor t = value.to(torch::kCPU).contiguous();
  Tensor out;
  out.shape.assign(t.sizes().begin(), t.sizes().end());
  const auto n = static_cast<std::size_t>(t.numel());
  if (t.scalar_type() == torch::kFloat32) {
    out.dtype = DType::kFloat32;
    out.f32.assign(t.data_ptr<float>(), t.data_ptr<float>() + n);
  } else if (t.scalar_type() == torch::kInt64) {
    out.dtype = DType::kInt64;
    out.i64.assign(t.data_ptr<std::int64_t>(), t.data_ptr<std::int64_t>() + n);
  } else {
    throw EngineError(EngineError::Kind::kUnsupported,
                      "output '" + name + "' has dtype " +
                          std::string(c10::toString(t.scalar_type())) +
                          "; wattserve tensors are float32 or int64");
  }
  return out;
}

}  // namespace

TorchTensorModel::TorchTensorModel(LoadedModule loaded) : loaded_(std::move(loaded)) {
  const auto& schema = loaded_.module.get_method("forward").function().getSchema();
  const auto& args = schema.arguments();
  for (std::size_t i = 1; i < args.size(); ++i) {  // args[0] is self
    if (!is_tensor_type(args[i].type())) {
      throw EngineError(EngineError::Kind::kUnsupported,
                        "TorchScript forward() argument '" + args[i].name() + "' is " +
                            args[i].type()->str() + "; tensor models take tensors only");
    }
    InputSpec spec;
    spec.info.name = args[i].name();
    spec.shape_known = false;
    inputs_.push_back(std::move(spec));
  }
  const std::size_t n_out = output_count(schema);
  for (std::size_t i = 0; i < n_out; ++i) {
    outputs_.push_back({"output" + std::to_string(i), {}, DType::kFloat32});
  }

  const auto& meta = loaded_.metadata;
  if (meta.is_object() && meta.contains("inputs")) {
    if (!meta["inputs"].is_object()) bad_metadata("\"inputs\" must be an object name -> shape");
    for (const auto& [name, j] : meta["inputs"].items()) {
      auto it = std::find_if(inputs_.begin(), inputs_.end(),
                             [&](const InputSpec& s) { return s.info.name == name; });
      if (it == inputs_.end()) {
        std::string list;
        for (const auto& s : inputs_) list += (list.empty() ? "" : ", ") + s.info.name;
        bad_metadata("input '" + name + "' is not an argument of forward(" + list + ")");
      }
      parse_tensor_info(j, "input '" + name + "'", it->info);
      it->shape_known = true;
    }
  }
  if (meta.is_object() && meta.contains("outputs")) {
    const auto& j = meta["outputs"];
    if (!j.is_array() && !j.is_object()) {
      bad_metadata("\"outputs\" must be a list of names or an object name -> shape");
    }
    if (j.size() != outputs_.size()) {
      bad_metadata("names " + std::to_string(j.size()) + " outputs, forward() returns " +
                   std::to_string(outputs_.size()));
    }
    std::size_t i = 0;
    for (const auto& [key, value] : j.items()) {
      if (j.is_array()) {
        if (!value.is_string()) bad_metadata("\"outputs\" must be a list of names");
        outputs_[i].name = value.get<std::string>();
      } else {
        outputs_[i].name = key;
        parse_tensor_info(value, "output '" + key + "'", outputs_[i]);
      }
      ++i;
    }
  }
}

std::vector<TensorInfo> TorchTensorModel::inputs() const {
  std::vector<TensorInfo> out;
  for (const auto& in : inputs_) out.push_back(in.info);
  return out;
}

NamedTensors TorchTensorModel::run(const NamedTensors& inputs) {
  check_inputs(inputs_, inputs);
  c10::InferenceMode no_autograd;
  std::vector<c10::IValue> args;
  args.reserve(inputs_.size());
  for (const auto& in : inputs_)
    args.emplace_back(to_torch(inputs.at(in.info.name), loaded_.device));
  c10::IValue result;
  try {
    result = loaded_.module.forward(std::move(args));
  } catch (const std::exception& e) {
    throw EngineError(EngineError::Kind::kRuntime,
                      "TorchScript forward() failed: " + torch_message(e));
  }
  std::vector<at::Tensor> tensors;
  if (result.isTensor()) {
    tensors.push_back(result.toTensor());
  } else if (result.isTuple()) {
    for (const auto& v : result.toTupleRef().elements()) {
      if (!v.isTensor()) break;
      tensors.push_back(v.toTensor());
    }
  }
  if (tensors.size() != outputs_.size()) {
    throw EngineError(EngineError::Kind::kRuntime,
                      "TorchScript forward() returned " + std::string(result.tagKind()) +
                          ", expected " + std::to_string(outputs_.size()) + " tensor(s)");
  }
  NamedTensors out;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    out.emplace(outputs_[i].name, to_tensor(tensors[i], outputs_[i].name));
  }
  return out;
}

}  // namespace wattserve::engine::libtorch
