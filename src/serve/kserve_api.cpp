#include "serve/kserve_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

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

constexpr std::size_t kMaxTensors = 1024;  // inputs, and requested outputs, of one request
constexpr std::size_t kMaxRank = kMaxRequestJsonDepth;

// Where one input's data goes: its tensor, with room for `count` values.
struct DataSink {
  engine::Tensor* tensor;
  std::string name;
  std::size_t count;
  std::size_t occurrence;  // its "data" is the occurrence-th (1-based) of the input's data keys
  std::size_t got = 0;

  void clear() {
    tensor->f32.clear();
    tensor->i64.clear();
    got = 0;
  }
  // One leaf of the (flat or nested) data, row-major; `v` is a scalar, or null for an object.
  void put(const json& v, bool is_object) {
    if (got >= count)
      throw bad_request(name, fmt::format("input '{}' has more data than its shape", name));
    if (tensor->dtype == engine::DType::kFloat32) {
      if (is_object || !v.is_number())
        throw bad_request(name, fmt::format("input '{}': FP32 data must be numbers", name));
      const double x = v.get<double>();
      if (!std::isfinite(x) || std::abs(x) > std::numeric_limits<float>::max()) {
        throw bad_request(name,
                          fmt::format("input '{}': {} is not a finite float32", name, v.dump()));
      }
      tensor->f32.push_back(static_cast<float>(x));
    } else {
      if (is_object || !v.is_number_integer() ||
          (v.is_number_unsigned() &&
           v.get<std::uint64_t>() >
               static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))) {
        throw bad_request(name, fmt::format("input '{}': INT64 data must be integers", name));
      }
      tensor->i64.push_back(v.get<std::int64_t>());
    }
    ++got;
  }
};

// The second pass over a tensor body: reads each input's data straight into its tensor (of the
// last "inputs" and the last "data" of each input, as a later duplicate key wins in the DOM).
void read_data(std::string_view body, std::vector<DataSink>& sinks, std::size_t inputs_occurrence) {
  std::size_t inputs_seen = 0;
  std::vector<std::size_t> data_seen(sinks.size(), 0);
  DataSink* active = nullptr;
  std::size_t active_depth = 0;  // path length of the data's entries
  std::optional<ApiError> error;
  walk_request_object(body, [&](std::span<const JsonStep> path, JsonEvent e, json&& v) {
    try {
      if (active && path.size() < active_depth) active = nullptr;  // the data has ended
      if (active) {
        if (e != JsonEvent::kArray) active->put(v, e == JsonEvent::kObject);
        return true;
      }
      if (path.size() == 1 && path[0].key == "inputs") ++inputs_seen;
      if (path.size() != 3 || inputs_seen != inputs_occurrence || path[0].key != "inputs" ||
          !path[1].in_array || path[2].in_array || path[2].key != "data" ||
          path[1].index >= sinks.size()) {
        return true;
      }
      DataSink& sink = sinks[path[1].index];
      if (++data_seen[path[1].index] != sink.occurrence) return true;
      sink.clear();
      if (e == JsonEvent::kArray) {
        active = &sink;
        active_depth = 4;
      } else {
        sink.put(v, e == JsonEvent::kObject);
      }
      return true;
    } catch (const ApiError& x) {
      error = x;
      return false;
    }
  });
  if (error) throw *error;
}

}  // namespace

InferRequest parse_infer_request(std::string_view body) {
  // First pass: the body without the inputs' data (marked), what else is ignored left out.
  std::size_t inputs_seen = 0;
  std::vector<std::size_t> data_seen;  // of the last "inputs": each input's "data" keys
  json j = parse_request_object(body, [&](std::span<const JsonStep> p, JsonEvent) {
    const std::string& top = p[0].key;
    if (top == "id") return JsonKeep::keep(0);
    if (top == "inputs") {
      if (p.size() == 1) {
        ++inputs_seen;
        data_seen.clear();
        return JsonKeep::keep(kMaxTensors);
      }
      if (!p[1].in_array) return JsonKeep::omit();  // not an array: rejected below
      if (p.size() == 2) return JsonKeep::keep();
      if (p[2].in_array) return JsonKeep::omit();  // an input that is not an object
      const std::string& key = p[2].key;
      if (key == "name" || key == "datatype") return JsonKeep::keep(0);
      if (key == "shape") return JsonKeep::keep(p.size() == 3 ? kMaxRank : 0);
      if (key == "data") {  // p.size() == 3: nothing inside a mark is asked about
        if (data_seen.size() <= p[1].index) data_seen.resize(p[1].index + 1, 0);
        ++data_seen[p[1].index];
        return JsonKeep::mark();
      }
      return JsonKeep::omit();
    }
    if (top == "outputs") {
      if (p.size() == 1) return JsonKeep::keep(kMaxTensors);
      if (p.size() == 2) return JsonKeep::keep();
      return !p[2].in_array && p[2].key == "name" ? JsonKeep::keep(0) : JsonKeep::omit();
    }
    return JsonKeep::omit();  // "parameters" and the like: tensor models take none
  });
  InferRequest r;
  r.id = request_id(j);
  const auto inputs = j.find("inputs");
  if (inputs != j.end() && is_json_mark(*inputs)) {
    throw bad_request("inputs", fmt::format("'inputs' has more than {} tensors", kMaxTensors));
  }
  if (inputs == j.end() || !inputs->is_array() || inputs->empty()) {
    throw bad_request("inputs",
                      "'inputs' must be a non-empty array of {name, shape, datatype, data}");
  }
  std::vector<engine::Tensor> tensors(inputs->size());
  std::vector<DataSink> sinks;
  sinks.reserve(inputs->size());
  for (std::size_t i = 0; i < inputs->size(); ++i) {
    const json& in = (*inputs)[i];
    if (!in.is_object() || !in.contains("name") || !in["name"].is_string()) {
      throw bad_request("inputs", "every input needs a 'name'");
    }
    const std::string name = in["name"].get<std::string>();
    for (const auto& s : sinks) {
      if (s.name == name) throw bad_request(name, fmt::format("input '{}' is given twice", name));
    }
    if (in.contains("shape") && is_json_mark(in["shape"])) {
      throw bad_request(name,
                        fmt::format("input '{}' has more than {} dimensions", name, kMaxRank));
    }
    if (!in.contains("shape") || !in["shape"].is_array()) {
      throw bad_request(name, fmt::format("input '{}' needs a 'shape' array", name));
    }
    engine::Tensor& t = tensors[i];
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
    } else if (dt == "INT64") {
      t.dtype = engine::DType::kInt64;
    } else {
      throw bad_request(
          name, fmt::format("input '{}': datatype '{}' is not supported (FP32, INT64)", name, dt));
    }
    // Every value takes at least 2 bytes of the body ("0,"): no more room than it can fill.
    const std::size_t room = std::min(count, body.size() / 2 + 1);
    if (t.dtype == engine::DType::kFloat32) {
      t.f32.reserve(room);
    } else {
      t.i64.reserve(room);
    }
    sinks.push_back({&t, name, count, i < data_seen.size() ? data_seen[i] : 0});
  }
  // Second pass: the data, straight into the tensors.
  read_data(body, sinks, inputs_seen);
  for (auto& s : sinks) {
    if (s.got != s.count) {
      throw bad_request(s.name, fmt::format("input '{}' has {} values, its shape needs {}", s.name,
                                            s.got, s.count));
    }
    r.inputs.emplace(s.name, std::move(*s.tensor));
  }
  if (const auto outs = j.find("outputs"); outs != j.end() && !outs->is_null()) {
    if (!outs->is_array()) {
      throw bad_request(
          "outputs", fmt::format("'outputs' must be an array of up to {} {{name}}", kMaxTensors));
    }
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
  // Read in: the one input's name, datatype and data (one string), the id, and the parameters
  // that are sampling fields; other parameters are ignored (KServe clients send their own).
  json j = parse_request_object(body, [](std::span<const JsonStep> p, JsonEvent e) {
    const std::string& top = p[0].key;
    if (top == "id") return JsonKeep::keep(0);
    if (top == "inputs") {
      if (p.size() == 1) return JsonKeep::keep(1);
      if (p.size() == 2) return JsonKeep::keep();
      if (p[2].in_array) return JsonKeep::omit();
      if (p[2].key == "name" || p[2].key == "datatype") return JsonKeep::keep(0);
      if (p[2].key == "data") return JsonKeep::keep(p.size() == 3 ? 1 : 0);
      return JsonKeep::omit();
    }
    if (top == "parameters") {
      if (p.size() == 1) return JsonKeep::keep();
      if (p[1].in_array) return JsonKeep::omit();  // not an object: rejected below
      const std::string& name = p[1].key;
      // Set from the input, or not for KServe (one response, no logprobs).
      for (const char* k : {"model", "prompt", "stream", "stream_options", "n", "echo", "logprobs"})
        if (name == k) return JsonKeep::omit();
      return completion_field_keep(p.subspan(1), e, false);
    }
    return JsonKeep::omit();
  });
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
  json& in = (*inputs)[0];
  json data = in.contains("data") ? std::move(in["data"]) : json();
  if (!data.is_array() || data.size() != 1 || !data[0].is_string() ||
      data[0].get_ref<const std::string&>().empty()) {
    throw bad_request("text_input", "'text_input' data must be one non-empty string");
  }
  // The sampling fields are the OpenAI API's, taken from "parameters".
  json params = j.contains("parameters") ? std::move(j["parameters"]) : json::object();
  if (!params.is_object()) throw bad_request("parameters", "'parameters' must be an object");
  params["model"] = "-";
  params["prompt"] = std::move(data[0]);
  if (!params.contains("max_tokens")) params["max_tokens"] = kKServeTextMaxTokens;
  auto c = completion_request_from(params, false, limits);
  r.prompt = std::move(c.prompt);
  r.sampling = std::move(c.sampling);
  r.bench_output_tokens = c.bench_output_tokens;
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

std::string public_output_name(const engine::TensorInfo& output) {
  return is_utf8_output(output.name, output.dtype, output.shape.size())
             ? output.name.substr(0, output.name.size() - 5)
             : output.name;
}

std::vector<std::string> resolve_requested_outputs(
    const std::vector<engine::TensorInfo>& model_outputs, const std::vector<std::string>& wanted) {
  std::vector<std::string> out;
  for (const auto& w : wanted) {
    // A public name first (what the metadata lists), then an internal one.
    const engine::TensorInfo* found = nullptr;
    for (const auto& o : model_outputs) {
      if (public_output_name(o) == w) {
        found = &o;
        break;
      }
    }
    for (const auto& o : model_outputs) {
      if (!found && o.name == w) found = &o;
    }
    if (!found) {
      std::string names;
      for (const auto& o : model_outputs)
        names += (names.empty() ? "" : ", ") + public_output_name(o);
      throw bad_request("outputs",
                        fmt::format("the model has no output '{}'; its outputs: {}", w, names));
    }
    if (std::find(out.begin(), out.end(), found->name) == out.end()) out.push_back(found->name);
  }
  return out;
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
