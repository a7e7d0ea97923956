// One load-generator connection to an OpenAI-compatible server: builds a /v1/completions or
// /v1/chat/completions request for a planned request (prompt, exact output length, cap), sends
// it over a keep-alive cpp-httplib connection, reads the SSE stream (or the whole body) and
// timestamps every text chunk on the injected clock. How the exact output length is forced
// depends on the server (LengthControl); docs/bench-serving.md "Exact output lengths" gives the
// fields.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "energy/core/clock.h"
#include "engine/engine.h"

namespace httplib {
class Client;
}

namespace wattserve::bench::load {

// How a request asks for exactly N output tokens.
enum class LengthControl {
  // wattserve serve: max_tokens = the realistic cap, bench_output_tokens = N (a benchmark-only
  // extension neither the scheduler nor the length predictor reads; docs/serve.md).
  kExtension,
  // llama-server: max_tokens = N and ignore_eos (the server sees N; its FCFS slots ignore it).
  kIgnoreEos,
  // vLLM-style: min_tokens = max_tokens = N.
  kMinTokens,
  // Only the cap: output lengths are the model's own (J/token then compares less well).
  kNone,
};
const char* to_string(LengthControl c);
// "extension", "ignore_eos", "min_tokens", "none"; std::invalid_argument otherwise.
LengthControl parse_length_control(std::string_view s);

struct ClientOptions {
  std::string url;    // http://HOST:PORT (no path)
  std::string model;  // the "model" field
  bool chat = false;  // /v1/chat/completions (one user message) instead of /v1/completions
  bool stream = true;
  LengthControl length = LengthControl::kExtension;
  std::string api_key;     // Authorization: Bearer, when set
  double timeout_s = 600;  // connect/read/write timeouts of one request
  // Sampling fields sent with every request (temperature, top_p, top_k, seed).
  engine::SamplingParams sampling;
};

// One planned request.
struct LoadRequest {
  std::size_t index = 0;
  std::string prompt;
  int input_tokens = 0;   // the planned prompt length (tokens; approximate without a tokenizer)
  int output_tokens = 0;  // the exact output length to force (0: none, only the cap)
  int max_tokens = 0;     // the cap sent in max_tokens (>= output_tokens)
  int64_t scheduled_ns = 0;
};

// What happened to one request; times on the generator's clock.
struct RequestResult {
  std::size_t index = 0;
  int64_t scheduled_ns = 0;
  int64_t send_ns = 0;            // right before the request was handed to the connection
  int64_t first_token_ns = 0;     // the first chunk with text (0: none)
  int64_t end_ns = 0;             // the response was complete (or failed)
  std::vector<int64_t> chunk_ns;  // arrival of every chunk with text (streaming)
  int planned_input_tokens = 0;
  int planned_output_tokens = 0;
  int prompt_tokens = -1;       // usage.prompt_tokens; -1 when the server did not say
  int output_tokens = 0;        // usage.completion_tokens, else the chunks with text
  double response_joules = -1;  // usage.energy.joules (wattserve); -1 when absent
  std::string energy_source;    // usage.energy.source
  // usage.energy.devices.gpu.joules and .cpu.joules (wattserve); -1 when absent
  double response_gpu_joules = -1, response_cpu_joules = -1;
  std::string finish_reason;
  int http_status = 0;
  std::string error;  // empty when the request ended well
  bool ok() const { return error.empty(); }
};

// The request body for `r` (exposed for tests).
nlohmann::json request_body(const ClientOptions& opts, const LoadRequest& r);

// Folds one streamed event's JSON into the result: text chunks (timestamped `now_ns`), usage,
// finish_reason, an error object. Returns false when the event is an error (result.error set).
bool apply_stream_event(const nlohmann::json& event, bool chat, int64_t now_ns,
                        RequestResult& result);

class Client {
 public:
  Client(ClientOptions opts, energy::Clock& clock);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  // Sends the request and waits for the whole response; never throws for what the server or
  // the network does (the result's error says it).
  RequestResult send(const LoadRequest& r);

 private:
  ClientOptions opts_;
  energy::Clock& clock_;
  std::unique_ptr<httplib::Client> http_;
};

// "http://127.0.0.1:8080/x" -> {"http://127.0.0.1:8080", "/x"}; std::invalid_argument for a URL
// that is not http://HOST[:PORT][/PATH].
std::pair<std::string, std::string> split_url(const std::string& url);

}  // namespace wattserve::bench::load
