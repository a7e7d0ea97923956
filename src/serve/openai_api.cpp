#include "serve/openai_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "serve/request_json.h"

namespace wattserve::serve {

namespace {

using nlohmann::json;

const json* field(const json& body, const char* name) {
  const auto it = body.find(name);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

double number(const json& body, const char* name, double def, double lo, double hi) {
  const json* v = field(body, name);
  if (!v) return def;
  if (!v->is_number()) throw bad_request(name, fmt::format("'{}' must be a number", name));
  const double x = v->get<double>();
  if (!std::isfinite(x) || x < lo || x > hi) {
    throw bad_request(
        name, fmt::format("'{}' must be between {} and {}, got {}", name, lo, hi, v->dump()));
  }
  return x;
}

std::int64_t integer(const json& body, const char* name, std::int64_t def, std::int64_t lo,
                     std::int64_t hi) {
  const json* v = field(body, name);
  if (!v) return def;
  if (!v->is_number_integer())
    throw bad_request(name, fmt::format("'{}' must be an integer", name));
  // Unsigned values above int64's range do not fit and are out of range anyway.
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) {
    throw bad_request(
        name, fmt::format("'{}' must be between {} and {}, got {}", name, lo, hi, v->dump()));
  }
  const auto x = v->get<std::int64_t>();
  if (x < lo || x > hi) {
    throw bad_request(name, fmt::format("'{}' must be between {} and {}, got {}", name, lo, hi, x));
  }
  return x;
}

bool boolean(const json& body, const char* name, bool def) {
  const json* v = field(body, name);
  if (!v) return def;
  if (!v->is_boolean()) throw bad_request(name, fmt::format("'{}' must be true or false", name));
  return v->get<bool>();
}

std::string text_content(const json& content, const std::string& param) {
  if (content.is_string()) return content.get<std::string>();
  if (content.is_array()) {  // [{"type": "text", "text": "..."}]
    std::string out;
    for (const auto& part : content) {
      if (!string_field_is(part, "type", "text") || !part.contains("text") ||
          !part["text"].is_string()) {
        throw bad_request(
            param, "only text content parts ({\"type\": \"text\", \"text\": ...}) are supported");
      }
      out += part["text"].get<std::string>();
    }
    return out;
  }
  throw bad_request(param, "'content' must be a string or an array of text parts");
}

std::vector<std::string> stops(const json& body) {
  const json* v = field(body, "stop");
  if (!v) return {};
  std::vector<std::string> out;
  if (v->is_string()) {
    out.push_back(v->get<std::string>());
  } else if (v->is_array() && v->size() <= 4) {
    for (const auto& s : *v) {
      if (!s.is_string()) throw bad_request("stop", "'stop' must be a string or up to 4 strings");
      out.push_back(s.get<std::string>());
    }
  } else {
    throw bad_request("stop", "'stop' must be a string or up to 4 strings");
  }
  for (const auto& s : out) {
    if (s.empty()) throw bad_request("stop", "stop strings must not be empty");
  }
  return out;
}

}  // namespace

json error_body(const ApiError& e) {
  return {{"error",
           {{"message", e.what()},
            {"type", e.type},
            {"param", e.param.empty() ? json(nullptr) : json(e.param)},
            {"code", nullptr}}}};
}

namespace {

// The fields /v1/completions and /v1/chat/completions accept (docs/serve.md, "Accepted fields"):
// OpenAI's, whose unsupported values are rejected below, and the extensions top_k, ignore_eos,
// bench_output_tokens.
// `max` bounds every array and object inside the field while the body is read: larger ones are
// rejected (their values are never accepted) without being built in memory.
enum : unsigned { kCompletions = 1, kChat = 2, kBoth = 3 };
constexpr std::size_t kAny = std::numeric_limits<std::size_t>::max();
struct AcceptedField {
  const char* name;
  unsigned endpoints;
  std::size_t max;
};
constexpr AcceptedField kAcceptedFields[] = {
    {"model", kBoth, 0},
    {"prompt", kCompletions, 1},  // a string, or an array of one string
    {"messages", kChat, kAny},
    {"max_tokens", kBoth, 0},
    {"max_completion_tokens", kChat, 0},
    {"temperature", kBoth, 0},
    {"top_p", kBoth, 0},
    {"seed", kBoth, 0},
    {"stop", kBoth, 4},
    {"stream", kBoth, 0},
    {"stream_options", kBoth, 8},  // include_usage, include_obfuscation
    {"user", kBoth, 0},
    // Accepted only with the values that ask for nothing wattserve does not do.
    {"n", kBoth, 0},
    {"echo", kBoth, 0},
    {"logprobs", kBoth, 0},
    {"top_logprobs", kChat, 0},
    {"presence_penalty", kBoth, 0},
    {"frequency_penalty", kBoth, 0},
    {"logit_bias", kBoth, 0},
    {"best_of", kCompletions, 0},
    {"suffix", kCompletions, 0},
    {"response_format", kChat, 1},
    {"tools", kChat, 0},
    {"tool_choice", kChat, 0},
    {"functions", kChat, 0},
    {"function_call", kChat, 0},
    {"parallel_tool_calls", kChat, 0},
    {"audio", kChat, 0},
    {"modalities", kChat, 1},
    {"prediction", kChat, 0},
    {"metadata", kChat, 16},
    {"store", kChat, 0},
    {"service_tier", kChat, 0},
    // extensions
    {"top_k", kBoth, 0},
    {"ignore_eos", kBoth, 0},
    {"bench_output_tokens", kBoth, 0},  // benchmarks: the exact output length
};

const AcceptedField* accepted_field(std::string_view name, bool chat) {
  for (const auto& f : kAcceptedFields) {
    if (name == f.name && (f.endpoints & (chat ? kChat : kCompletions))) return &f;
  }
  return nullptr;
}

json* field(json& body, const char* name) {
  const auto it = body.find(name);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

// 400 for an option with a value asking for more than wattserve does; `accepted`: the values it
// takes (null, as an absent field, always).
[[noreturn]] void unsupported(const char* name, const std::string& accepted) {
  throw bad_request(name, fmt::format("'{}' is not supported: wattserve accepts only {}{}", name,
                                      accepted.empty() ? "" : accepted + " or ", "null"));
}

// The options that may only ask for what wattserve does: each is accepted only with the value
// that asks for nothing more (absent, null, or the one named in its message).
void reject_unsupported(const json& j) {
  if (integer(j, "n", 1, 1, 128) != 1) unsupported("n", "1");
  if (integer(j, "best_of", 1, 1, 20) != 1) unsupported("best_of", "1");
  if (boolean(j, "echo", false)) unsupported("echo", "false");
  if (const json* lp = field(j, "logprobs"); lp && !(lp->is_boolean() && !lp->get<bool>())) {
    unsupported("logprobs", "false");
  }
  if (integer(j, "top_logprobs", 0, 0, 20) != 0) unsupported("top_logprobs", "0");
  for (const char* p : {"presence_penalty", "frequency_penalty"}) {
    if (number(j, p, 0, -2, 2) != 0) unsupported(p, "0");
  }
  if (const json* v = field(j, "logit_bias"); v && *v != json::object()) {
    unsupported("logit_bias", "{}");
  }
  if (const json* v = field(j, "suffix"); v && *v != "") unsupported("suffix", "\"\"");
  if (const json* v = field(j, "response_format"); v && *v != json{{"type", "text"}}) {
    unsupported("response_format", "{\"type\": \"text\"}");
  }
  for (const char* p : {"tools", "functions"}) {
    if (const json* v = field(j, p); v && *v != json::array()) {
      unsupported(p, "[] (its models call no tools)");
    }
  }
  for (const char* p : {"tool_choice", "function_call"}) {
    if (const json* v = field(j, p); v && *v != "none") unsupported(p, "\"none\"");
  }
  for (const char* p : {"parallel_tool_calls", "audio", "prediction"}) {
    if (field(j, p)) unsupported(p, "");
  }
  if (const json* v = field(j, "modalities"); v && *v != json::array({"text"})) {
    unsupported("modalities", "[\"text\"]");
  }
  if (boolean(j, "store", false)) unsupported("store", "false (it stores no completions)");
  if (const json* v = field(j, "service_tier"); v && *v != "auto" && *v != "default") {
    unsupported("service_tier", "\"auto\", \"default\"");
  }
  // Metadata that is accepted and ignored.
  if (const json* v = field(j, "user"); v && !v->is_string()) {
    throw bad_request("user", "'user' must be a string");
  }
  if (const json* v = field(j, "metadata")) {
    const bool ok = v->is_object() &&
                    std::all_of(v->begin(), v->end(), [](const json& x) { return x.is_string(); });
    if (!ok) throw bad_request("metadata", "'metadata' must be an object of up to 16 strings");
  }
}

}  // namespace

JsonKeep completion_field_keep(std::span<const JsonStep> path, JsonEvent event, bool chat) {
  const AcceptedField* f = accepted_field(path[0].key, chat);
  if (!f) return JsonKeep::omit();
  if (f->max != kAny) return JsonKeep::keep(f->max);
  // "messages": [{"role", "content": "..." or [{"type": "text", "text": "..."}]}]; what else a
  // message has (name, ...) is ignored, so not read in; an entry that cannot be a message or a
  // text part makes its array invalid.
  const bool object = event == JsonEvent::kObject;
  switch (path.size()) {
    case 1:
      return JsonKeep::keep(event == JsonEvent::kArray ? kAny : 0);
    case 2:
      return object ? JsonKeep::keep() : JsonKeep::mark_parent();
    case 3:
      if (path[2].key == "role") return JsonKeep::keep(0);
      if (path[2].key == "content") return JsonKeep::keep(event == JsonEvent::kArray ? kAny : 0);
      return JsonKeep::omit();
    case 4:
      if (path[2].key != "content") return JsonKeep::keep(0);
      return object ? JsonKeep::keep() : JsonKeep::mark_parent();
    case 5:
      if (path[2].key != "content") return JsonKeep::keep(0);
      return path[4].key == "type" || path[4].key == "text" ? JsonKeep::keep(0) : JsonKeep::omit();
    default:
      return JsonKeep::keep(0);
  }
}

CompletionRequest parse_completion_request(std::string_view body, bool chat,
                                           const RequestLimits& limits) {
  std::string unknown;  // the first field that is not accepted
  json j = parse_request_object(body, [&](std::span<const JsonStep> path, JsonEvent event) {
    JsonKeep keep = completion_field_keep(path, event, chat);
    if (path.size() == 1 && keep.action == JsonKeep::kOmit && unknown.empty()) {
      unknown = path[0].key;
    }
    return keep;
  });
  if (!unknown.empty()) {
    throw bad_request(unknown,
                      fmt::format("'{}' is not a parameter of {} (docs/serve.md lists the "
                                  "accepted ones)",
                                  unknown, chat ? "/v1/chat/completions" : "/v1/completions"));
  }
  return completion_request_from(j, chat, limits);
}

CompletionRequest completion_request_from(json& j, bool chat, const RequestLimits& limits) {
  CompletionRequest r;
  r.chat = chat;
  json* model = field(j, "model");
  if (!model || !model->is_string() || model->get_ref<const std::string&>().empty()) {
    throw bad_request("model", "'model' is required: the name of a served model (GET /v1/models)");
  }
  r.model = std::move(model->get_ref<std::string&>());
  if (chat) {
    json* msgs = field(j, "messages");
    if (!msgs || !msgs->is_array() || msgs->empty()) {
      throw bad_request("messages", "'messages' must be a non-empty array of {role, content}");
    }
    std::size_t bytes = 0;
    for (auto& m : *msgs) {
      if (!m.is_object() || !m.contains("role") || !m["role"].is_string() ||
          !m.contains("content")) {
        throw bad_request("messages", "every message needs a 'role' and a 'content'");
      }
      ChatMessage cm{m["role"].get<std::string>(),
                     m["content"].is_string() ? std::move(m["content"].get_ref<std::string&>())
                                              : text_content(m["content"], "messages")};
      if (cm.role != "system" && cm.role != "user" && cm.role != "assistant" &&
          cm.role != "developer") {
        throw bad_request(
            "messages",
            fmt::format("unknown role '{}' (system, developer, user, assistant)", cm.role));
      }
      bytes += cm.content.size();
      r.messages.push_back(std::move(cm));
    }
    if (bytes > limits.max_prompt_bytes) {
      throw ApiError(413, "invalid_request_error", "messages",
                     fmt::format("the messages are {} bytes; the limit is {}", bytes,
                                 limits.max_prompt_bytes));
    }
  } else {
    json* p = field(j, "prompt");
    if (p && p->is_array() && p->size() == 1 && (*p)[0].is_string()) p = &(*p)[0];
    if (!p || !p->is_string()) {
      throw bad_request("prompt", "'prompt' must be a string (one prompt per request)");
    }
    r.prompt = std::move(p->get_ref<std::string&>());
    if (r.prompt.empty()) throw bad_request("prompt", "'prompt' must not be empty");
    if (r.prompt.size() > limits.max_prompt_bytes) {
      throw ApiError(413, "invalid_request_error", "prompt",
                     fmt::format("the prompt is {} bytes; the limit is {}", r.prompt.size(),
                                 limits.max_prompt_bytes));
    }
  }
  auto& s = r.sampling;
  const char* max_name =
      chat && field(j, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
  s.max_tokens = static_cast<int>(
      integer(j, max_name, chat ? kChatMaxTokens : kCompletionsMaxTokens, 1, limits.max_tokens));
  s.temperature = static_cast<float>(number(j, "temperature", kApiTemperature, 0.0, 2.0));
  s.top_p = static_cast<float>(number(j, "top_p", kApiTopP, 0.0, 1.0));
  if (s.top_p <= 0) throw bad_request("top_p", "'top_p' must be greater than 0");
  s.top_k = static_cast<int>(integer(j, "top_k", kApiTopK, 0, 1 << 20));
  if (field(j, "seed")) s.seed = static_cast<std::uint32_t>(integer(j, "seed", 0, 0, 0xFFFFFFFEll));
  s.stop = stops(j);
  s.ignore_eos = boolean(j, "ignore_eos", false);
  if (field(j, "bench_output_tokens")) {
    const auto n = integer(j, "bench_output_tokens", 0, 1, limits.max_tokens);
    if (n > s.max_tokens) {
      throw bad_request("bench_output_tokens",
                        fmt::format("'bench_output_tokens' ({}) must not exceed the request's "
                                    "{} ({}): it is the exact output length under that cap",
                                    n, max_name, s.max_tokens));
    }
    r.bench_output_tokens = static_cast<int>(n);
  }
  r.stream = boolean(j, "stream", false);
  if (const json* so = field(j, "stream_options")) {
    if (!so->is_object()) {
      throw bad_request("stream_options",
                        "'stream_options' must be an object {include_usage, include_obfuscation}");
    }
    for (const auto& [k, v] : so->items()) {
      if (k != "include_usage" && k != "include_obfuscation") {
        throw bad_request("stream_options",
                          fmt::format("'stream_options.{}' is not supported (include_usage, "
                                      "include_obfuscation)",
                                      k));
      }
    }
    r.include_usage = boolean(*so, "include_usage", false);
    boolean(*so, "include_obfuscation", false);  // type-checked; the chunks are not padded
  }
  reject_unsupported(j);
  return r;
}

RequestEnergy request_energy(const energy::WindowReport& w, const energy::CarbonIntensity& carbon,
                             double pue) {
  RequestEnergy e;
  e.joules = w.attributed_joules;
  e.dynamic_joules = w.has_baseline ? w.attributed_dynamic_joules : -1;
  e.window_joules = w.joules;
  e.duration_s = w.duration_s;
  e.grams_co2e = energy::emissions_kg(w.attributed_joules, carbon, pue) * 1e3;
  e.source = std::string(energy::to_string(w.source));
  e.devices = energy::device_parts(w);
  return e;
}

json energy_json(const RequestEnergy& e, int completion_tokens) {
  return {{"joules", e.joules},
          {"dynamic_joules", e.dynamic_joules < 0 ? json(nullptr) : json(e.dynamic_joules)},
          {"joules_per_output_token",
           completion_tokens > 0 ? json(e.joules / completion_tokens) : json(nullptr)},
          {"average_watts", e.duration_s > 0 ? json(e.joules / e.duration_s) : json(nullptr)},
          {"gco2e", e.grams_co2e},
          {"duration_s", e.duration_s},
          {"window_joules", e.window_joules},
          {"source", e.source},
          {"devices", devices_json(e.devices)}};
}

json devices_json(const std::vector<DevicePart>& parts) {
  json out = json::object();
  for (const auto& p : parts) out[p.device] = {{"joules", p.joules}, {"source", p.source}};
  return out;
}

json usage_json(const CompletionResult& r) {
  return {{"prompt_tokens", r.prompt_tokens},
          {"completion_tokens", r.completion_tokens},
          {"total_tokens", r.prompt_tokens + r.completion_tokens},
          {"energy", energy_json(r.energy, r.completion_tokens)}};
}

json completion_response(const CompletionResult& r, bool chat) {
  json choice = {{"index", 0}, {"finish_reason", r.finish_reason}, {"logprobs", nullptr}};
  if (chat) {
    choice["message"] = {{"role", "assistant"}, {"content", r.text}};
  } else {
    choice["text"] = r.text;
  }
  return {{"id", r.id},
          {"object", chat ? "chat.completion" : "text_completion"},
          {"created", r.created},
          {"model", r.model},
          {"choices", json::array({choice})},
          {"usage", usage_json(r)}};
}

namespace {

// Invalid UTF-8 (a model may emit a lone byte token) becomes U+FFFD instead of an exception.
std::string sse(const json& j) {
  return "data: " + dump_json(j) + "\n\n";
}

json chunk_head(const CompletionResult& r, bool chat) {
  return {{"id", r.id},
          {"object", chat ? "chat.completion.chunk" : "text_completion"},
          {"created", r.created},
          {"model", r.model}};
}

}  // namespace

std::string stream_chunk(const CompletionResult& head, bool chat, std::string_view piece,
                         bool first) {
  json c = chunk_head(head, chat);
  json choice = {{"index", 0}, {"finish_reason", nullptr}, {"logprobs", nullptr}};
  const std::string text(piece);
  if (chat) {
    choice["delta"] =
        first ? json{{"role", "assistant"}, {"content", text}} : json{{"content", text}};
  } else {
    choice["text"] = text;
  }
  c["choices"] = json::array({choice});
  return sse(c);
}

std::string stream_end(const CompletionResult& r, bool chat, bool include_usage) {
  json c = chunk_head(r, chat);
  json choice = {{"index", 0}, {"finish_reason", r.finish_reason}, {"logprobs", nullptr}};
  if (chat) {
    choice["delta"] = json::object();
  } else {
    choice["text"] = "";
  }
  c["choices"] = json::array({choice});
  std::string out;
  if (include_usage) {
    out = sse(c);
    json u = chunk_head(r, chat);
    u["choices"] = json::array();
    u["usage"] = usage_json(r);
    out += sse(u);
  } else {
    c["usage"] = usage_json(r);  // extension: the final chunk always carries the energy
    out = sse(c);
  }
  return out + "data: [DONE]\n\n";
}

std::string dump_json(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::size_t complete_utf8_prefix(std::string_view s) {
  std::size_t i = s.size(), continuation = 0;
  while (i > 0 && continuation < 4 && (static_cast<unsigned char>(s[i - 1]) & 0xC0) == 0x80) {
    --i;
    ++continuation;
  }
  if (i == 0) return s.size();
  const auto lead = static_cast<unsigned char>(s[i - 1]);
  const std::size_t need = (lead >> 5) == 0x6    ? 2
                           : (lead >> 4) == 0xE  ? 3
                           : (lead >> 3) == 0x1E ? 4
                                                 : 1;
  return continuation + 1 >= need ? s.size() : i - 1;
}

std::string finish_reason(engine::StopReason reason) {
  switch (reason) {
    case engine::StopReason::kEndOfGeneration:
    case engine::StopReason::kStopString:
    case engine::StopReason::kCallback:
      return "stop";
    case engine::StopReason::kMaxTokens:
    case engine::StopReason::kContextFull:
      return "length";
  }
  return "stop";
}

}  // namespace wattserve::serve
