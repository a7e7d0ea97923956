// KServe Open Inference Protocol v2 (REST) bodies for `wattserve serve`: parsing infer requests
// into engine tensors (FP32 and INT64 tensors for tensor models; a BYTES "text_input" plus
// sampling parameters for text models) and writing responses whose `parameters.energy` carries
// the request's energy. Pure functions; errors are ApiError(400) naming the tensor.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "serve/openai_api.h"

namespace wattserve::serve {

struct InferRequest {
  std::string id;                    // echoed in the response ("" when not given)
  engine::NamedTensors inputs;       // tensor models
  std::vector<std::string> outputs;  // requested output names as sent; empty: all
};

// Parses {"id"?, "inputs": [{"name", "shape", "datatype", "data"}], "outputs"?: [{"name"}]}.
// `data` may be flat or nested (row-major); its length must equal the product of `shape`. The
// data are read straight into the tensors (a second pass over the body), never as JSON values,
// so the request takes little more memory than its tensors; other fields ("parameters", ...) are
// ignored without being read in. At most 1024 inputs and requested outputs, 64 dimensions.
InferRequest parse_infer_request(std::string_view body);

struct TextInferRequest {
  std::string id;
  std::string prompt;
  engine::SamplingParams sampling;
  std::optional<int> bench_output_tokens;  // as CompletionRequest's
};
// A text model's infer request: one BYTES input "text_input" of shape [1] with the prompt;
// sampling from "parameters" (max_tokens (default 64), temperature (1), top_k, top_p, seed,
// stop, ignore_eos, bench_output_tokens), range-checked as in the OpenAI API.
TextInferRequest parse_text_infer_request(std::string_view body, const RequestLimits& limits);

// "FP32" / "INT64".
const char* kserve_datatype(engine::DType dtype);

// {"model_name", "id", "outputs": [{"name", "shape", "datatype", "data"}],
//  "parameters": {"energy": {...}}}
// An output named "<name>_utf8" (INT64 [..., B]: UTF-8 bytes, zero-padded) is sent as the BYTES
// tensor "<name>" of shape [...] holding the strings (the OCR model's text, ocr_model.h): its
// public name, the one in the model's metadata and in responses.
bool is_utf8_output(const std::string& name, engine::DType dtype, std::size_t rank);
bool is_utf8_output(const std::string& name, const engine::Tensor& t);
std::string public_output_name(const engine::TensorInfo& output);

// The model's own (internal) output names for the names a request asks for (InferRequest::
// outputs), in the order asked, each once: a public name ("text") or the internal one
// ("text_utf8"). Empty `wanted`: empty (all outputs). Throws ApiError(400, param "outputs") for a
// name the model does not have, listing its public output names. The server calls it before it
// queues the request, and passes the result to infer_response.
std::vector<std::string> resolve_requested_outputs(
    const std::vector<engine::TensorInfo>& model_outputs, const std::vector<std::string>& wanted);

// `wanted`: internal output names (resolve_requested_outputs), empty for all; every output is
// sent under its public name.
nlohmann::json infer_response(const std::string& model, const std::string& id,
                              const engine::NamedTensors& outputs,
                              const std::vector<std::string>& wanted, const nlohmann::json& energy);
nlohmann::json text_infer_response(const std::string& model, const std::string& id,
                                   const std::string& text, const nlohmann::json& parameters);

}  // namespace wattserve::serve
