#include "serve/server.h"

#include <fmt/format.h>
#include <malloc.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <random>

#include "energy/exporters/prometheus_text.h"
#include "serve/chat_template.h"
#include "serve/live_page.h"

namespace wattserve::serve {

namespace {

using http::Reply;
using nlohmann::json;

Reply json_reply(int status, const json& body) {
  Reply r;
  r.status = status;
  r.body = dump_json(body);
  return r;
}

// OpenAI error body; KServe routes (/v2...) answer {"error": "message"}.
Reply error_reply(const ApiError& e, bool kserve) {
  Reply r = json_reply(e.status, kserve ? json{{"error", e.what()}} : error_body(e));
  if (e.status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

bool is_kserve(const std::string& path) {
  return path == "/v2" || path.rfind("/v2/", 0) == 0;
}

std::string new_id(const char* prefix) {
  static std::atomic<std::uint64_t> counter{0};
  static const std::uint64_t salt = std::random_device{}();
  return fmt::format("{}{:012x}{:06x}", prefix, salt & 0xFFFFFFFFFFFFull, ++counter & 0xFFFFFF);
}

// The response of a finished generation: the stream's or request's head with what it produced.
CompletionResult completed(CompletionResult c, const TextJobResult& r) {
  c.text = r.gen.text;
  c.finish_reason = finish_reason(r.gen.reason);
  c.prompt_tokens = r.prompt_tokens;
  c.completion_tokens = static_cast<int>(r.gen.tokens.size());
  c.energy = r.energy;
  return c;
}

// Large request bodies leave freed memory in the allocator's arenas; give it back to the system
// so that a burst of big requests does not raise the server's footprint for good.
void release_memory_after(std::size_t body_bytes) {
  if (body_bytes >= (256u << 10)) malloc_trim(0);
}

// Routes and who may use them. /health, /v2/health/* and the page are open; /metrics is open
// unless protect_metrics; everything else needs the key when one is set.
enum class Route {
  kNone,
  kPage,
  kHealth,
  kRecent,
  kMetrics,
  kModels,
  kCompletions,
  kChat,
  kV2Server,
  kV2Live,
  kV2Ready,
  kV2Model
};
struct RouteInfo {
  Route route = Route::kNone;
  const char* method = "GET";
};

RouteInfo route_of(const std::string& path) {
  static const std::map<std::string, RouteInfo> fixed = {
      {"/", {Route::kPage, "GET"}},
      {"/health", {Route::kHealth, "GET"}},
      {"/recent", {Route::kRecent, "GET"}},
      {"/metrics", {Route::kMetrics, "GET"}},
      {"/v1/models", {Route::kModels, "GET"}},
      {"/v1/completions", {Route::kCompletions, "POST"}},
      {"/v1/chat/completions", {Route::kChat, "POST"}},
      {"/v2", {Route::kV2Server, "GET"}},
      {"/v2/health/live", {Route::kV2Live, "GET"}},
      {"/v2/health/ready", {Route::kV2Ready, "GET"}},
  };
  if (const auto it = fixed.find(path); it != fixed.end()) return it->second;
  if (path.rfind("/v2/models/", 0) == 0) {
    const bool infer = path.size() > 6 && path.compare(path.size() - 6, 6, "/infer") == 0;
    return {Route::kV2Model, infer ? "POST" : "GET"};
  }
  return {};
}

}  // namespace

Server::Server(ServerOptions options, energy::Meter& meter, energy::CarbonIntensity carbon,
               double pue)
    : options_(std::move(options)),
      meter_(meter),
      carbon_(std::move(carbon)),
      pue_(pue),
      registry_(std::make_shared<prometheus::Registry>()),
      energy_metrics_(std::make_unique<energy::EnergyMetrics>(registry_)),
      metrics_(std::make_unique<ServeMetrics>(registry_)) {
  http::HttpOptions ho;
  ho.host = options_.host;
  ho.port = options_.port;
  ho.max_body_bytes = options_.max_body_bytes;
  ho.max_header_bytes = options_.max_header_bytes;
  ho.drain_timeout_s = options_.drain_timeout_s;
  ho.header_timeout_s = options_.header_timeout_s;
  ho.idle_timeout_s = options_.idle_timeout_s;
  http::Handlers h;
  h.on_head = [this](const http::Request& head) {
    auto refused = check_head(head);
    if (refused) metrics_->count_rejected(refused->status);
    return refused;
  };
  h.on_request = [this](http::Request req, std::shared_ptr<http::Responder> out) {
    handle(std::move(req), out);
  };
  h.error_reply = [this](int status, const std::string& message) {
    metrics_->count_rejected(status);
    return error_reply(
        ApiError(status, status == 413 ? "invalid_request_error" : "http_error", "", message),
        false);
  };
  http_ = std::make_unique<http::HttpServer>(std::move(ho), std::move(h));
}

Server::~Server() {
  stop();
  stop_workers();
}

void Server::stop_workers() {
  if (workers_stopped_) return;
  workers_stopped_ = true;
  // The workers finish their jobs (those of clients that are gone were cancelled and end at
  // once), then every task those jobs posted runs, so no responder outlives the HTTP layer.
  for (auto& [name, m] : models_) {
    for (auto& w : m.variants) w->shutdown();
    if (m.tensor) m.tensor->shutdown();
  }
  http_->join_tasks();
}

void Server::add_tensor_model(const std::string& name, std::unique_ptr<engine::Model> model,
                              const TensorModelSettings& settings) {
  if (models_.count(name))
    throw std::invalid_argument(fmt::format("model {} is served twice", name));
  Served s;
  s.tensor = std::make_unique<TensorWorker>(name, std::move(model), meter_, carbon_, pue_,
                                            settings.worker, metrics_.get());
  metrics_->set_slo(name, settings.slo);
  metrics_->set_queue_length(name, 0);
  models_.emplace(name, std::move(s));
}

Server::Served& Server::find(const std::string& name) {
  const auto it = models_.find(name);
  if (it == models_.end()) {
    throw ApiError(404, "not_found_error", "model",
                   fmt::format("model '{}' is not served here (GET /v1/models)", name));
  }
  return it->second;
}

int Server::add_text_model(const std::string& name, std::unique_ptr<engine::Model> model,
                           const TextModelSettings& settings) {
  if (!is_chat_template(settings.chat_template)) {
    throw std::invalid_argument(fmt::format("model {}: unknown chat template '{}' (plain, chatml)",
                                            name, settings.chat_template));
  }
  if (models_.count(name))
    throw std::invalid_argument(fmt::format("model {} is served twice", name));
  Served s;
  s.settings = settings;
  s.settings.worker.slo_e2e_s = settings.slo.e2e_s;
  s.variants.push_back(std::make_unique<TextWorker>(name, std::move(model), meter_, carbon_, pue_,
                                                    s.settings.worker, metrics_.get()));
  metrics_->set_slo(name, settings.slo);
  metrics_->set_queue_length(name, 0);
  const int parallel = s.variants.front()->parallel();
  models_.emplace(name, std::move(s));
  return parallel;
}

size_t Server::add_text_variant(const std::string& name, const std::string& label,
                                std::unique_ptr<engine::Model> model) {
  Served& s = find(name);
  if (s.variants.empty()) {
    throw std::invalid_argument(fmt::format("model {} is not a text model", name));
  }
  if (models_.count(label)) {
    throw std::invalid_argument(fmt::format("variant label {} is a served model's name", label));
  }
  s.variants.push_back(std::make_unique<TextWorker>(label, std::move(model), meter_, carbon_, pue_,
                                                    s.settings.worker, metrics_.get()));
  metrics_->set_slo(label, s.settings.slo);
  metrics_->set_queue_length(label, 0);
  return s.variants.size() - 1;
}

std::vector<TextWorker*> Server::text_variants(const std::string& name) {
  Served& s = find(name);
  if (s.variants.empty()) {
    throw std::invalid_argument(fmt::format("model {} is not a text model", name));
  }
  std::vector<TextWorker*> out;
  for (auto& w : s.variants) out.push_back(w.get());
  return out;
}

void Server::set_active_variant(const std::string& name, size_t index, int parallel_limit) {
  Served& s = find(name);
  if (index >= s.variants.size()) {
    throw std::invalid_argument(fmt::format("model {} has no variant {}", name, index));
  }
  s.variants[index]->set_parallel_limit(parallel_limit);
  *s.active = index;
}

int Server::bind() {
  port_ = http_->bind();
  return port_;
}

void Server::run() {
  http_->run();
  stop_workers();
}

void Server::stop() {
  http_->stop();
}

std::size_t Server::connections() const {
  return http_->connections();
}

void Server::account(const std::string& model, int status, int completion_tokens,
                     const RequestEnergy& energy) {
  metrics_->count_request(model, status, energy.joules);
  std::lock_guard lk(recent_mu_);
  recent_.push_front({{"time", static_cast<std::int64_t>(std::time(nullptr))},
                      {"model", model},
                      {"status", status},
                      {"completion_tokens", completion_tokens},
                      {"joules", energy.joules},
                      {"duration_s", energy.duration_s},
                      {"source", energy.source.empty() ? json(nullptr) : json(energy.source)}});
  if (recent_.size() > 50) recent_.pop_back();
}

std::optional<http::Reply> Server::check_head(const http::Request& head) const {
  const bool kserve = is_kserve(head.path);
  const RouteInfo r = route_of(head.path);
  if (r.route == Route::kNone) {
    return error_reply(
        ApiError(404, "not_found_error", "", fmt::format("no route {} {}", head.method, head.path)),
        kserve);
  }
  if (head.method != r.method) {
    Reply reply =
        error_reply(ApiError(405, "invalid_request_error", "",
                             fmt::format("{} takes {}, not {}", head.path, r.method, head.method)),
                    kserve);
    reply.headers.emplace_back("Allow", r.method);
    return reply;
  }
  const bool open = r.route == Route::kPage || r.route == Route::kHealth ||
                    r.route == Route::kV2Live || r.route == Route::kV2Ready ||
                    (r.route == Route::kMetrics && !options_.protect_metrics);
  if (open || options_.api_key.empty()) return std::nullopt;
  if (head.header("Authorization") != "Bearer " + options_.api_key) {
    return error_reply(ApiError(401, "authentication_error", "",
                                "missing or wrong API key: send 'Authorization: Bearer KEY'"),
                       kserve);
  }
  return std::nullopt;
}

void Server::handle(http::Request req, const ResponderPtr& out) {
  // Cheap and constant: answered on the I/O thread, so health checks never queue behind work.
  const Route route = route_of(req.path).route;
  switch (route) {
    case Route::kHealth:
      return out->send(json_reply(200, {{"status", "ok"}}));
    case Route::kV2Live:
      return out->send(json_reply(200, {{"live", true}}));
    case Route::kV2Ready:
      return out->send(json_reply(200, {{"ready", true}}));
    case Route::kPage: {
      Reply page;
      page.content_type = "text/html; charset=utf-8";
      page.body = kLivePage;
      page.headers.emplace_back("Content-Security-Policy",
                                "default-src 'self'; script-src 'unsafe-inline'; "
                                "style-src 'unsafe-inline'");
      return out->send(std::move(page));
    }
    default:
      break;
  }
  http_->post([this, route, req = std::move(req), out]() mutable {
    const std::size_t body_bytes = req.body.size();
    try {
      switch (route) {
        case Route::kRecent: {
          json list = json::array();
          {
            std::lock_guard lk(recent_mu_);
            for (const auto& r : recent_) list.push_back(r);
          }
          out->send(json_reply(200, list));
          break;
        }
        case Route::kMetrics:
          metrics(out);
          break;
        case Route::kModels: {
          json data = json::array();
          for (const auto& [name, m] : models_) {
            data.push_back(
                {{"id", name}, {"object", "model"}, {"created", 0}, {"owned_by", "wattserve"}});
          }
          out->send(json_reply(200, {{"object", "list"}, {"data", data}}));
          break;
        }
        case Route::kCompletions:
        case Route::kChat:
          completions(req, route == Route::kChat, out);
          break;
        default:
          kserve(req, out);
          break;
      }
    } catch (const std::exception& e) {
      out->send(error_reply(ApiError(500, "server_error", "", e.what()), is_kserve(req.path)));
    }
    req.body = std::string();
    release_memory_after(body_bytes);
  });
}

void Server::metrics(const ResponderPtr& out) {
  meter_.sample_now();  // the counters up to this instant, not the last background sample
  const auto& domains = meter_.domains();
  const auto timeline = meter_.timeline();
  if (!timeline.empty()) {
    energy_metrics_->update(domains, timeline.back().joules, meter_.last_power());
  }
  metrics_->set_meter_totals(meter_.totals());
  Reply r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = energy_metrics_->serialize();
  out->send(std::move(r));
}

void Server::completions(const http::Request& req, bool chat, const ResponderPtr& out) {
  std::string label = "unknown";
  try {
    auto cr = parse_completion_request(req.body, chat, options_.limits);
    Served& served = find(cr.model);
    label = cr.model;
    if (!served.worker()) {
      throw ApiError(
          400, "invalid_request_error", "model",
          fmt::format("'{}' is a tensor model: POST /v2/models/{}/infer", cr.model, cr.model));
    }
    auto job = std::make_shared<TextJob>();
    job->id = new_id(chat ? "chatcmpl-" : "cmpl-");
    job->sampling = cr.sampling;
    job->exact_output_tokens = cr.bench_output_tokens;  // read only when it runs, and by oracle
    if (chat) {
      job->prompt = render_chat(served.settings.chat_template, cr.messages);
      for (auto& s : chat_stop_strings(served.settings.chat_template)) {
        job->sampling.stop.push_back(std::move(s));
      }
    } else {
      job->prompt = std::move(cr.prompt);
    }
    job->deadline_ns = deadline_after(served.worker()->clock(), options_.request_timeout_s);
    CompletionResult head;
    head.id = job->id;
    head.created = static_cast<std::int64_t>(std::time(nullptr));
    head.model = cr.model;
    if (cr.stream) return stream(job, head, chat, cr.include_usage, served, out);

    auto result = std::make_shared<std::future<TextJobResult>>(job->result.get_future());
    std::weak_ptr<TextJob> weak = job;
    out->on_abort([weak] {
      if (auto j = weak.lock()) j->cancelled = true;
    });
    job->on_done = [this, result, head, chat, label, out] {
      finish_later(out, label, false, [this, result, head, chat, label, out] {
        const TextJobResult r = result->get();
        const int n = static_cast<int>(r.gen.tokens.size());
        if (r.error) {
          account(label, r.error->status, n, r.energy);
          return out->send(error_reply(*r.error, false));
        }
        account(label, out->open() ? 200 : 499, n, r.energy);
        out->send(json_reply(200, completion_response(completed(head, r), chat)));
      });
    };
    if (!served.worker()->submit(job)) throw overloaded(cr.model);
  } catch (const ApiError& e) {
    account(label, e.status, 0, {});
    out->send(error_reply(e, false));
  } catch (const std::exception& e) {  // e.g. the engine's tokenizer
    account(label, 500, 0, {});
    out->send(error_reply(ApiError(500, "server_error", "", e.what()), false));
  }
}

void Server::finish_later(const ResponderPtr& out, const std::string& model, bool kserve,
                          std::function<void()> task) {
  http_->post([this, out, model, kserve, task = std::move(task)] {
    try {
      task();
    } catch (const std::exception& e) {  // nothing may escape into the task threads
      account(model, 500, 0, {});
      out->send(error_reply(ApiError(500, "server_error", "", e.what()), kserve));
    }
  });
}

namespace {

// A stream's events in order. Until the job is queued (and the response head sent) events are
// held back; then they go out as they come. The worker thread and the task threads both emit.
struct StreamState {
  std::mutex mu;
  std::string pending;  // bytes of an unfinished UTF-8 character
  bool first = true;
  bool started = false;
  std::vector<std::string> held;
  bool end_held = false;

  void emit(http::Responder& out, std::string event, bool last) {
    std::lock_guard lk(mu);
    if (!started) {
      held.push_back(std::move(event));
      end_held = end_held || last;
      return;
    }
    out.write(std::move(event));
    if (last) out.end();
  }
  void start(http::Responder& out) {
    std::lock_guard lk(mu);
    out.start_stream(200, "text/event-stream", {{"Cache-Control", "no-cache"}});
    for (auto& e : held) out.write(std::move(e));
    if (end_held) out.end();
    held.clear();
    started = true;
  }
};

}  // namespace

void Server::stream(const std::shared_ptr<TextJob>& job, const CompletionResult& head, bool chat,
                    bool include_usage, Served& served, const ResponderPtr& out) {
  const std::string label = head.model;
  auto st = std::make_shared<StreamState>();
  auto result = std::make_shared<std::future<TextJobResult>>(job->result.get_future());
  // Everything the stream sends is built from this copy of the head: its id is every chunk's.
  job->on_piece = [st, head, chat, out](std::string_view piece) {
    std::string event;
    {
      std::lock_guard lk(st->mu);
      st->pending += piece;
      const std::size_t n = complete_utf8_prefix(st->pending);
      if (n == 0) return;
      event = stream_chunk(head, chat, st->pending.substr(0, n), st->first);
      st->pending.erase(0, n);
      st->first = false;
    }
    st->emit(*out, std::move(event), false);
  };
  job->on_done = [this, st, result, head, chat, include_usage, label, out] {
    finish_later(out, label, false, [this, st, result, head, chat, include_usage, label, out] {
      const TextJobResult r = result->get();
      const int n = static_cast<int>(r.gen.tokens.size());
      if (!out->open()) {
        account(label, 499, n, r.energy);  // the client went away (or the drain ran out)
        return;
      }
      std::string tail;
      {  // bytes of a character the generation never finished: sent as they are (U+FFFD)
        std::lock_guard lk(st->mu);
        if (!st->pending.empty()) {
          tail = stream_chunk(head, chat, st->pending, st->first);
          st->pending.clear();
        }
      }
      if (r.error) {
        tail += "data: " + dump_json(error_body(*r.error)) + "\n\ndata: [DONE]\n\n";
        account(label, r.error->status, n, r.energy);
      } else {
        tail += stream_end(completed(head, r), chat, include_usage);
        account(label, 200, n, r.energy);
      }
      st->emit(*out, std::move(tail), true);
    });
  };
  std::weak_ptr<TextJob> weak = job;
  out->on_abort([weak] {
    if (auto j = weak.lock()) j->cancelled = true;  // stops at its next token
  });
  if (!served.worker()->submit(job)) throw overloaded(label);
  st->start(*out);
}

}  // namespace wattserve::serve
