// The OpenAI-compatible request and response bodies of `wattserve serve`: parsing and
// validating /v1/completions and /v1/chat/completions requests (pure functions, fuzzed), and
// building responses, streaming chunks and error bodies, with `usage.energy` (docs/serve.md).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "energy/core/carbon.h"
#include "energy/core/device_parts.h"
#include "energy/core/meter.h"
#include "engine/engine.h"
#include "serve/request_json.h"

namespace wattserve::serve {

// A request the server rejects: HTTP status (400, 404, 413, ...), OpenAI error type and the
// offending parameter (may be empty).
class ApiError : public std::runtime_error {
 public:
  ApiError(int http_status, std::string error_type, std::string parameter,
           const std::string& message)
      : std::runtime_error(message),
        status(http_status),
        type(std::move(error_type)),
        param(std::move(parameter)) {}
  int status;
  std::string type;   // "invalid_request_error", "not_found_error", "server_error", ...
  std::string param;  // e.g. "max_tokens"
};

// ApiError(400, "invalid_request_error") naming the offending parameter ("" for the whole body).
inline ApiError bad_request(const std::string& param, const std::string& message) {
  return ApiError(400, "invalid_request_error", param, message);
}

// ApiError(503, "overloaded"): the model's queue is full (answered with Retry-After).
inline ApiError overloaded(const std::string& model) {
  return ApiError(503, "overloaded", "",
                  "model '" + model + "' has a full queue (--max-queue): retry later");
}

// {"error": {"message", "type", "param", "code"}}, as OpenAI returns it.
nlohmann::json error_body(const ApiError& e);

struct ChatMessage {
  std::string role;  // system, user, assistant
  std::string content;
};

struct CompletionRequest {
  bool chat = false;
  std::string model;
  std::string prompt;                 // completions; chat: rendered from messages by the server
  std::vector<ChatMessage> messages;  // chat
  engine::SamplingParams sampling;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  // Extension for load generators: generate exactly this many tokens (end-of-generation ignored;
  // a full context or a stop string still ends it), in [1, sampling.max_tokens]. The server
  // hands it to the worker as TextJob::exact_output_tokens, which the scheduler's predictor
  // never reads: sampling.max_tokens stays the realistic cap it sees (docs/serve.md).
  std::optional<int> bench_output_tokens;
};

// The HTTP APIs' per-request defaults, for fields a request leaves out: the OpenAI API's own
// (max_tokens 16 for completions; temperature 1, top_p 1), so that OpenAI clients get what they
// expect, not model::default_sampling()'s (run and bench). All listed in docs/serve.md,
// "Request defaults".
inline constexpr int kCompletionsMaxTokens = 16;
inline constexpr int kChatMaxTokens = 256;
inline constexpr int kKServeTextMaxTokens = 64;
inline constexpr double kApiTemperature = 1.0;
inline constexpr double kApiTopP = 1.0;
inline constexpr int kApiTopK = 0;  // off (an extension)

struct RequestLimits {
  std::size_t max_prompt_bytes = 1 << 20;
  int max_tokens = 4096;  // upper bound for max_tokens / max_completion_tokens
};

// Parses and validates a /v1/completions (chat = false) or /v1/chat/completions body. Throws
// ApiError(400) naming the parameter for malformed JSON, wrong types, out-of-range values,
// unsupported options (n > 1, logprobs, tools, a response_format other than text, ...) and
// fields that are not among the endpoint's accepted ones (docs/serve.md lists them). Defaults:
// max_tokens 16 (completions) or 256 (chat), temperature 1, top_p 1, top_k 0 (off); ignore_eos,
// top_k and bench_output_tokens (at most the max_tokens cap) are extensions. What the checks do not
// need (an unknown field's value, a prompt that is not a string, more stop strings than 4, ...) is
// not read into memory.
CompletionRequest parse_completion_request(std::string_view body, bool chat,
                                           const RequestLimits& limits = {});

// What parse_completion_request reads in of a value at `path` (from a top-level field's key):
// JsonKeep::omit() for a field the endpoint does not accept; bounded sizes for fields whose
// accepted values are small. For KServe text requests, whose "parameters" are these fields...
JsonKeep completion_field_keep(std::span<const JsonStep> path, JsonEvent event, bool chat);
// ... and the checks of parse_completion_request on a body parsed with it ("model" and "prompt"
// or "messages" set; the strings are moved out of `body`).
CompletionRequest completion_request_from(nlohmann::json& body, bool chat,
                                          const RequestLimits& limits);

// One part of a request's energy: its attributed joules on one device, with that device's
// source (energy/core/device_parts.h).
using DevicePart = energy::DevicePart;

// What the server measured for one request.
struct RequestEnergy {
  double joules = 0;           // attributed to the request (docs/measurement.md)
  double dynamic_joules = -1;  // above idle; < 0: no idle baseline
  double window_joules = 0;    // everything the machine used while the request ran
  double duration_s = 0;
  double grams_co2e = 0;
  std::string source;  // counter, power, estimate: the weakest of the counted domains
  // joules split by device (gpu first, then cpu, system), each with its own source: on a GPU
  // machine the GPU's counter sits beside the CPU's estimate instead of being hidden by it.
  std::vector<DevicePart> devices;
};
// A request's figures from its closed meter window: attributed joules (above idle with a
// baseline), the window's total, emissions of the attributed joules, the weakest source.
RequestEnergy request_energy(const energy::WindowReport& w, const energy::CarbonIntensity& carbon,
                             double pue);
nlohmann::json energy_json(const RequestEnergy& e, int completion_tokens);
// {"gpu": {"joules", "source"}, "cpu": {...}}: the "devices" field of energy_json.
nlohmann::json devices_json(const std::vector<DevicePart>& parts);

struct CompletionResult {
  std::string id;  // "cmpl-..." / "chatcmpl-..."
  std::int64_t created = 0;
  std::string model;
  std::string text;
  std::string finish_reason;  // "stop" or "length"
  int prompt_tokens = 0;
  int completion_tokens = 0;
  RequestEnergy energy;
};

nlohmann::json usage_json(const CompletionResult& r);
// The whole non-streaming response body.
nlohmann::json completion_response(const CompletionResult& r, bool chat);
// One SSE event "data: {...}\n\n" with a text piece (chat: the first carries the role).
std::string stream_chunk(const CompletionResult& head, bool chat, std::string_view piece,
                         bool first);
// The last events: the chunk with finish_reason (carrying usage when !include_usage), then, with
// include_usage, a chunk with empty choices and the usage, then "data: [DONE]".
std::string stream_end(const CompletionResult& r, bool chat, bool include_usage);

// JSON text for HTTP bodies and SSE events: invalid UTF-8 (a token cut mid-character) becomes
// U+FFFD instead of an exception.
std::string dump_json(const nlohmann::json& j);

// Length of the longest prefix of `s` that does not end inside a UTF-8 character: streamed
// pieces are held back until their character is complete (bytes that are not UTF-8 at all pass
// through; the JSON writer replaces them with U+FFFD).
std::size_t complete_utf8_prefix(std::string_view s);

// "stop" for end-of-generation and stop strings, "length" for max tokens and a full context.
std::string finish_reason(engine::StopReason reason);

}  // namespace wattserve::serve
