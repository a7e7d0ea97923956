// Input checks for tensor models (see tensor_check.h).
#include "engine/tensor_check.h"

#include <stdexcept>

namespace wattserve::engine {

std::string shape_text(std::span<const std::int64_t> shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    s += (i ? "," : "") + std::to_string(shape[i]);
  }
  return s + "]";
}

namespace {

std::string declared_list(std::span<const InputSpec> declared) {
  std::string list;
  for (const auto& d : declared) {
    list += (list.empty() ? "" : ", ") + d.info.name + " " + to_string(d.info.dtype) +
            (d.shape_known ? " " + shape_text(d.info.shape) : "");
  }
  return list.empty() ? "none" : list;
}

void check_one(const InputSpec& spec, const Tensor& t) {
  const TensorInfo& want = spec.info;
  const std::string what = "input '" + want.name + "'";
  if (t.dtype != want.dtype) {
    throw std::invalid_argument(what + ": dtype " + to_string(t.dtype) + ", the model expects " +
                                to_string(want.dtype));
  }
  if (spec.shape_known) {
    if (t.shape.size() != want.shape.size()) {
      throw std::invalid_argument(what + ": shape " + shape_text(t.shape) + " has rank " +
                                  std::to_string(t.shape.size()) + ", the model expects rank " +
                                  std::to_string(want.shape.size()) + " " + shape_text(want.shape));
    }
    for (std::size_t i = 0; i < t.shape.size(); ++i) {
      if (want.shape[i] >= 0 && t.shape[i] != want.shape[i]) {
        throw std::invalid_argument(what + ": shape " + shape_text(t.shape) + ", dimension " +
                                    std::to_string(i) + " must be " +
                                    std::to_string(want.shape[i]) + " " + shape_text(want.shape));
      }
    }
  }
  try {
    t.validate();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(what + ": " + e.what());
  }
}

}  // namespace

void check_inputs(std::span<const InputSpec> declared, const NamedTensors& given) {
  for (const auto& [name, tensor] : given) {
    bool known = false;
    for (const auto& d : declared) known = known || d.info.name == name;
    if (!known) {
      throw std::invalid_argument("unknown input '" + name +
                                  "' (the model's inputs: " + declared_list(declared) + ")");
    }
  }
  for (const auto& d : declared) {
    const auto it = given.find(d.info.name);
    if (it == given.end()) {
      throw std::invalid_argument("missing input '" + d.info.name +
                                  "' (the model's inputs: " + declared_list(declared) + ")");
    }
    check_one(d, it->second);
  }
}

}  // namespace wattserve::engine
