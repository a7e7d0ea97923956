#include "serve/kserve_api.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "serve/request_json.h"

namespace wattserve::serve {

namespace {

using nlohmann::json;

std::string request_id(const json& j) {
  const auto it = j.find("id");
  if (it == j.end() || it->is_null()) return "";
  if (!it->is_string()) throw bad_request("id", "'id' must be a string");
  return it->get<std::string>();
}

// Appends the numbers of a flat or nested array, row-major.
template <typename T>
void flatten(const json& data, std::vector<T>& out, const std::string& name, std::size_t limit) {
  if (data.is_array()) {
    for (const auto& x : data) flatten(x, out, name, limit);
    return;
  }
  if (out.size() >= limit)
    throw bad_request(name, fmt::format("input '{}' has more data than its shape", name));
  if constexpr (std::is_same_v<T, float>) {
    if (!data.is_number())
      throw bad_request(name, fmt::format("input '{}': FP32 data must be numbers", name));
    const double v = data.get<double>();
    if (!std::isfinite(v) || std::abs(v) > std::numeric_limits<float>::max()) {
      throw bad_request(name,
                        fmt::format("input '{}': {} is not a finite float32", name, data.dump()));
    }
    out.push_back(static_cast<float>(v));
  } else {
    if (!data.is_number_integer() ||
        (data.is_number_unsigned() &&
         data.get<std::uint64_t>() >
             static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))) {
      throw bad_request(name, fmt::format("input '{}': INT64 data must be integers", name));
    }
    out.push_back(data.get<std::int64_t>());
  }
}

}  // namespace

InferRequest parse_infer_request(std::string_view body) {
  const json j = parse_request_object(body);
  InferRequest r;
  r.id = request_id(j);
  const auto inputs = j.find("inputs");
  if (inputs == j.end() || !inputs->is_array() || inputs->empty()) {
    throw bad_request("inputs",
                      "'inputs' must be a non-empty array of {name, shape, datatype, data}");
  }
  for (const auto& in : *inputs) {
    if (!in.is_object() || !in.contains("name") || !in["name"].is_string()) {
      throw bad_request("inputs", "every input needs a 'name'");
    }
    const std::string name = in["name"].get<std::string>();
    if (r.inputs.count(name))
      throw bad_request(name, fmt::format("input '{}' is given twice", name));
    if (!in.contains("shape") || !in["shape"].is_array()) {
      throw bad_request(name, fmt::format("input '{}' needs a 'shape' array", name));
    }
    engine::Tensor t;
    std::size_t count = 1;
    for (const auto& d : in["shape"]) {
      if (!d.is_number_unsigned() || d.get<std::uint64_t>() > (1u << 30)) {
        throw bad_request(name,
                          fmt::format("input '{}': shape entries must be integers >= 0", name));
      }
      t.shape.push_back(d.get<std::int64_t>());
      count *= static_cast<std::size_t>(t.shape.back());
      if (count > (std::size_t{1} << 28))
        throw bad_request(name, fmt::format("input '{}' is too large", name));
    }
    const auto dt_it = in.find("datatype");
    if (dt_it == in.end() || !dt_it->is_string()) {
      throw bad_request(name,
                        fmt::format("input '{}' needs a 'datatype' string (FP32, INT64)", name));
    }
    const std::string dt = dt_it->get<std::string>();
    if (!in.contains("data"))
      throw bad_request(name, fmt::format("input '{}' has no 'data'", name));
    if (dt == "FP32") {
      t.dtype = engine::DType::kFloat32;
      t.f32.reserve(count);
      flatten(in["data"], t.f32, name, count);
    } else if (dt == "INT64") {
      t.dtype = engine::DType::kInt64;
      t.i64.reserve(count);
      flatten(in["data"], t.i64, name, count);
    } else {
      throw bad_request(
          name, fmt::format("input '{}': datatype '{}' is not supported (FP32, INT64)", name, dt));
    }
    const std::size_t got = t.dtype == engine::DType::kFloat32 ? t.f32.size() : t.i64.size();
    if (got != count) {
      throw bad_request(
          name, fmt::format("input '{}' has {} values, its shape needs {}", name, got, count));
    }
    r.inputs.emplace(name, std::move(t));
  }
  if (const auto outs = j.find("outputs"); outs != j.end() && !outs->is_null()) {
    if (!outs->is_array()) throw bad_request("outputs", "'outputs' must be an array of {name}");
    for (const auto& o : *outs) {
      if (!o.is_object() || !o.contains("name") || !o["name"].is_string()) {
        throw bad_request("outputs", "every requested output needs a 'name'");
      }
      r.outputs.push_back(o["name"].get<std::string>());
    }
  }
  return r;
}

TextInferRequest parse_text_infer_request(std::string_view body, const RequestLimits& limits) {
  const json j = parse_request_object(body);
  TextInferRequest r;
  r.id = request_id(j);
  const auto inputs = j.find("inputs");
  if (inputs == j.end() || !inputs->is_array() || inputs->size() != 1 ||
      !string_field_is((*inputs)[0], "name", "text_input") ||
      !string_field_is((*inputs)[0], "datatype", "BYTES")) {
    throw bad_request("inputs",
                      "a text model takes one input {\"name\": \"text_input\", \"datatype\": "
                      "\"BYTES\", \"shape\": [1], \"data\": [\"prompt\"]}");
  }
  const json& data = (*inputs)[0].contains("data") ? (*inputs)[0]["data"] : json();
  if (!data.is_array() || data.size() != 1 || !data[0].is_string() ||
      data[0].get<std::string>().empty()) {
    throw bad_request("text_input", "'text_input' data must be one non-empty string");
  }
  // The sampling fields are the OpenAI API's, taken from "parameters".
  json params = j.value("parameters", json::object());
  if (!params.is_object()) throw bad_request("parameters", "'parameters' must be an object");
  params["model"] = "-";
  params["prompt"] = data[0];
  if (!params.contains("max_tokens")) params["max_tokens"] = 64;
  for (const char* k : {"stream", "n", "echo", "logprobs"}) params.erase(k);
  const auto c = parse_completion_request(params.dump(), false, limits);
  r.prompt = c.prompt;
  r.sampling = c.sampling;
  return r;
}

const char* kserve_datatype(engine::DType dtype) {
  return dtype == engine::DType::kFloat32 ? "FP32" : "INT64";
}

bool is_utf8_output(const std::string& name, engine::DType dtype, std::size_t rank) {
  return name.size() > 5 && name.ends_with("_utf8") && dtype == engine::DType::kInt64 && rank > 0;
}

bool is_utf8_output(const std::string& name, const engine::Tensor& t) {
  return is_utf8_output(name, t.dtype, t.shape.size());
}

json infer_response(const std::string& model, const std::string& id,
                    const engine::NamedTensors& outputs, const std::vector<std::string>& wanted,
                    const json& energy) {
  json outs = json::array();
  for (const auto& [name, t] : outputs) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), name) == wanted.end()) continue;
    json o = {{"name", name}, {"shape", t.shape}, {"datatype", kserve_datatype(t.dtype)}};
    if (is_utf8_output(name, t)) {  // [..., bytes] of UTF-8, zero-padded -> BYTES strings
      const auto width = static_cast<std::size_t>(t.shape.back());
      std::size_t count = 1;
      for (std::size_t d = 0; d + 1 < t.shape.size(); ++d) {
        count *= static_cast<std::size_t>(t.shape[d]);
      }
      json strings = json::array();
      for (std::size_t k = 0; k < count; ++k) {
        std::string s;
        for (std::size_t b = k * width; b < (k + 1) * width && t.i64[b] != 0; ++b) {
          s += static_cast<char>(t.i64[b]);
        }
        strings.push_back(std::move(s));
      }
      o = {{"name", name.substr(0, name.size() - 5)},
           {"shape", std::vector<std::int64_t>(t.shape.begin(), t.shape.end() - 1)},
           {"datatype", "BYTES"},
           {"data", std::move(strings)}};
    } else if (t.dtype == engine::DType::kFloat32) {
      o["data"] = t.f32;
    } else {
      o["data"] = t.i64;
    }
    outs.push_back(std::move(o));
  }
  json r = {{"model_name", model}, {"outputs", outs}, {"parameters", {{"energy", energy}}}};
  if (!id.empty()) r["id"] = id;
  return r;
}

json text_infer_response(const std::string& model, const std::string& id, const std::string& text,
                         const json& parameters) {
  json r = {{"model_name", model},
            {"outputs", json::array({{{"name", "text_output"},
                                      {"shape", {1}},
                                      {"datatype", "BYTES"},
                                      {"data", json::array({text})}}})},
            {"parameters", parameters}};
  if (!id.empty()) r["id"] = id;
  return r;
}

}  // namespace wattserve::serve
