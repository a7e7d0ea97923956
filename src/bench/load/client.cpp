// One load-generator connection (client.h).
#include "bench/load/client.h"

#include <fmt/format.h>
#include <httplib.h>

#include <stdexcept>

#include "bench/load/sse.h"

namespace wattserve::bench::load {

using nlohmann::json;

const char* to_string(LengthControl c) {
  switch (c) {
    case LengthControl::kExtension:
      return "extension";
    case LengthControl::kIgnoreEos:
      return "ignore_eos";
    case LengthControl::kMinTokens:
      return "min_tokens";
    case LengthControl::kNone:
      return "none";
  }
  return "?";
}

LengthControl parse_length_control(std::string_view s) {
  if (s == "extension") return LengthControl::kExtension;
  if (s == "ignore_eos") return LengthControl::kIgnoreEos;
  if (s == "min_tokens") return LengthControl::kMinTokens;
  if (s == "none") return LengthControl::kNone;
  throw std::invalid_argument(fmt::format(
      "unknown output length control '{}' (known: extension, ignore_eos, min_tokens, none)", s));
}

std::pair<std::string, std::string> split_url(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0 || url.size() == kScheme.size()) {
    throw std::invalid_argument(fmt::format("'{}' is not an http://HOST[:PORT] URL", url));
  }
  const auto slash = url.find('/', kScheme.size());
  if (slash == std::string::npos) return {url, "/"};
  return {url.substr(0, slash), url.substr(slash)};
}

json request_body(const ClientOptions& opts, const LoadRequest& r) {
  json b = json::object();
  b["model"] = opts.model;
  if (opts.chat) {
    b["messages"] = json::array({{{"role", "user"}, {"content", r.prompt}}});
  } else {
    b["prompt"] = r.prompt;
  }
  const auto& s = opts.sampling;
  b["temperature"] = s.temperature;
  b["top_p"] = s.top_p;
  if (s.top_k > 0) b["top_k"] = s.top_k;
  if (s.seed != engine::SamplingParams::kRandomSeed) b["seed"] = s.seed;
  int max_tokens = std::max(r.max_tokens, r.output_tokens);
  if (r.output_tokens > 0) {
    switch (opts.length) {
      case LengthControl::kExtension:
        b["bench_output_tokens"] = r.output_tokens;
        break;
      case LengthControl::kIgnoreEos:
        max_tokens = r.output_tokens;
        b["ignore_eos"] = true;
        break;
      case LengthControl::kMinTokens:
        max_tokens = r.output_tokens;
        b["min_tokens"] = r.output_tokens;
        break;
      case LengthControl::kNone:
        break;
    }
  }
  b["max_tokens"] = std::max(1, max_tokens);
  if (opts.stream) {
    b["stream"] = true;
    b["stream_options"] = {{"include_usage", true}};
  }
  return b;
}

namespace {

std::string error_message(const json& e) {
  if (e.is_object()) {
    if (auto m = e.find("message"); m != e.end() && m->is_string()) return m->get<std::string>();
  }
  if (e.is_string()) return e.get<std::string>();
  return e.dump();
}

void apply_usage(const json& usage, RequestResult& r) {
  if (!usage.is_object()) return;
  if (auto p = usage.find("prompt_tokens"); p != usage.end() && p->is_number_integer()) {
    r.prompt_tokens = p->get<int>();
  }
  if (auto c = usage.find("completion_tokens"); c != usage.end() && c->is_number_integer()) {
    r.output_tokens = c->get<int>();
  }
  if (auto e = usage.find("energy"); e != usage.end() && e->is_object()) {
    if (auto j = e->find("joules"); j != e->end() && j->is_number()) {
      r.response_joules = j->get<double>();
    }
    if (auto s = e->find("source"); s != e->end() && s->is_string()) {
      r.energy_source = s->get<std::string>();
    }
    if (auto d = e->find("devices"); d != e->end() && d->is_object()) {
      const auto joules_of = [&](const char* device, double& out) {
        auto part = d->find(device);
        if (part == d->end() || !part->is_object()) return;
        if (auto j = part->find("joules"); j != part->end() && j->is_number()) {
          out = j->get<double>();
        }
      };
      joules_of("gpu", r.response_gpu_joules);
      joules_of("cpu", r.response_cpu_joules);
    }
  }
}

// The text of a choice: completions' "text", chat's delta/message "content".
std::string_view choice_text(const json& c, bool chat) {
  const json* t = nullptr;
  if (chat) {
    for (const char* k : {"delta", "message"}) {
      if (auto d = c.find(k); d != c.end() && d->is_object()) {
        if (auto ct = d->find("content"); ct != d->end() && ct->is_string()) t = &*ct;
      }
    }
  } else if (auto x = c.find("text"); x != c.end() && x->is_string()) {
    t = &*x;
  }
  return t ? std::string_view(t->get_ref<const std::string&>()) : std::string_view();
}

}  // namespace

bool apply_stream_event(const json& ev, bool chat, int64_t now_ns, RequestResult& r) {
  if (!ev.is_object()) {
    r.error = "a stream event is not a JSON object";
    return false;
  }
  if (auto e = ev.find("error"); e != ev.end()) {
    r.error = "error event in the stream: " + error_message(*e);
    return false;
  }
  if (auto u = ev.find("usage"); u != ev.end()) apply_usage(*u, r);
  if (auto cs = ev.find("choices"); cs != ev.end() && cs->is_array()) {
    for (const auto& c : *cs) {
      if (!c.is_object()) continue;
      if (!choice_text(c, chat).empty()) {
        if (r.first_token_ns == 0) r.first_token_ns = now_ns;
        r.chunk_ns.push_back(now_ns);
      }
      if (auto f = c.find("finish_reason"); f != c.end() && f->is_string()) {
        r.finish_reason = f->get<std::string>();
      }
    }
  }
  return true;
}

Client::Client(ClientOptions opts, energy::Clock& clock) : opts_(std::move(opts)), clock_(clock) {
  // By host and port: httplib's "scheme://host:port" constructor parses with a function-local
  // static std::regex, which the sender threads would share.
  const auto [origin, path] = split_url(opts_.url);
  const std::string hostport = origin.substr(std::string_view("http://").size());
  const auto colon = hostport.rfind(':');
  int port = 80;
  std::string host = hostport;
  if (colon != std::string::npos && hostport.find(']', colon) == std::string::npos) {
    host = hostport.substr(0, colon);
    try {
      port = std::stoi(hostport.substr(colon + 1));
    } catch (const std::exception&) {
      throw std::invalid_argument(fmt::format("'{}' has no valid port", opts_.url));
    }
  }
  http_ = std::make_unique<httplib::Client>(host, port);
  http_->set_keep_alive(true);
  // The request's head and body go out in separate writes: without TCP_NODELAY, Nagle holds the
  // body until the server's (delayed, ~40 ms) ACK of the head on a reused connection.
  http_->set_tcp_nodelay(true);
  const auto t = std::chrono::duration<double>(opts_.timeout_s);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t);
  http_->set_connection_timeout(us);
  http_->set_read_timeout(us);
  http_->set_write_timeout(us);
  if (!opts_.api_key.empty()) http_->set_bearer_token_auth(opts_.api_key.c_str());
}

Client::~Client() = default;

RequestResult Client::send(const LoadRequest& lr) {
  RequestResult r;
  r.index = lr.index;
  r.scheduled_ns = lr.scheduled_ns;
  r.planned_input_tokens = lr.input_tokens;
  r.planned_output_tokens = lr.output_tokens;

  httplib::Request req;
  req.method = "POST";
  req.path = opts_.chat ? "/v1/chat/completions" : "/v1/completions";
  req.headers.emplace("Content-Type", "application/json");
  req.body = request_body(opts_, lr).dump();

  SseParser sse;
  std::string body;  // non-streaming responses and error bodies
  bool done = false;
  bool ok_status = false;
  const bool streaming = opts_.stream;
  req.response_handler = [&](const httplib::Response& res) {
    r.http_status = res.status;
    ok_status = res.status == 200;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (!ok_status || !streaming) {
      if (body.size() < (64u << 20)) body.append(data, n);
      return true;
    }
    std::vector<SseEvent> events;
    try {
      events = sse.feed(std::string_view(data, n));
    } catch (const std::exception& e) {
      r.error = e.what();
      return false;
    }
    const int64_t now = clock_.now_ns();
    for (const auto& ev : events) {
      if (done) continue;
      if (ev.data == "[DONE]") {
        done = true;
        continue;
      }
      if (ev.event == "error") {
        r.error = "error event in the stream: " + ev.data;
        return false;
      }
      json j = json::parse(ev.data, nullptr, false);
      if (j.is_discarded()) {
        r.error = "a stream event is not JSON: " + ev.data.substr(0, 200);
        return false;
      }
      if (!apply_stream_event(j, opts_.chat, now, r)) return false;
    }
    return true;
  };

  r.send_ns = clock_.now_ns();
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  bool sent = http_->send(req, res, err);
  // A kept-alive connection the server closed after its last response fails at once, before
  // any byte of an answer: that request is sent again on a new connection (once).
  if (!sent && r.http_status == 0 && r.error.empty() &&
      (err == httplib::Error::Read || err == httplib::Error::Write)) {
    res = httplib::Response();
    err = httplib::Error::Success;
    sent = http_->send(req, res, err);
  }
  r.end_ns = clock_.now_ns();
  if (!r.error.empty()) return r;
  if (!sent && r.http_status == 0) {
    r.error = fmt::format("request failed: {}", httplib::to_string(err));
    return r;
  }
  if (r.http_status != 200) {
    const json j = json::parse(body, nullptr, false);
    std::string msg = body.substr(0, 300);
    if (!j.is_discarded() && j.is_object() && j.contains("error")) msg = error_message(j["error"]);
    r.error = fmt::format("HTTP {}: {}", r.http_status, msg);
    return r;
  }
  if (!sent) {
    r.error = fmt::format("the response broke off: {}", httplib::to_string(err));
    return r;
  }
  if (streaming) {
    if (!done) {
      r.error = "the stream ended without data: [DONE]";
      return r;
    }
  } else {
    const json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      r.error = "the response is not a JSON object";
      return r;
    }
    if (!apply_stream_event(j, opts_.chat, r.end_ns, r)) return r;
    r.first_token_ns = 0;  // no token times without streaming
    r.chunk_ns.clear();
  }
  if (r.output_tokens == 0) r.output_tokens = static_cast<int>(r.chunk_ns.size());
  return r;
}

}  // namespace wattserve::bench::load
