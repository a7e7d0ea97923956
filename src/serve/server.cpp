#include "serve/server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <random>

#include "energy/prometheus_text.h"
#include "serve/chat_template.h"
#include "serve/live_page.h"

namespace wattserve::serve {

namespace {

using nlohmann::json;

void send_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  if (e.status == 503) res.set_header("Retry-After", "1");
  res.set_content(dump_json(error_body(e)), "application/json");
}

std::string new_id(const char* prefix) {
  static std::atomic<std::uint64_t> counter{0};
  static const std::uint64_t salt = std::random_device{}();
  return fmt::format("{}{:012x}{:06x}", prefix, salt & 0xFFFFFFFFFFFFull, ++counter & 0xFFFFFF);
}

// What a streaming response's content provider reads and the worker writes.
struct StreamState {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> events;  // SSE events ready to send
  std::string pending;              // bytes of an unfinished UTF-8 character
  bool first = true;
  bool done = false;
  std::future<TextJobResult> result;
};

}  // namespace

Server::Server(ServerOptions options, energy::Meter& meter, energy::CarbonIntensity carbon,
               double pue)
    : options_(std::move(options)),
      meter_(meter),
      carbon_(std::move(carbon)),
      pue_(pue),
      registry_(std::make_shared<prometheus::Registry>()),
      energy_metrics_(std::make_unique<energy::EnergyMetrics>(registry_)),
      metrics_(std::make_unique<ServeMetrics>(registry_)),
      http_(std::make_unique<httplib::Server>()) {
  http_->new_task_queue = [n = options_.http_threads] { return new httplib::ThreadPool(n); };
  http_->set_payload_max_length(options_.max_body_bytes);
  // Streamed tokens are small writes: without TCP_NODELAY, Nagle's algorithm holds each one until
  // the client's (delayed) ACK of the last, adding up to ~40 ms to the time to first token.
  http_->set_tcp_nodelay(true);
  http_->set_read_timeout(30, 0);
  http_->set_write_timeout(30, 0);
  routes();
}

Server::~Server() {
  stop();
  for (auto& [name, m] : models_) {
    if (m.worker) m.worker->shutdown();
    if (m.tensor) m.tensor->shutdown();
  }
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
  s.worker = std::make_unique<TextWorker>(name, std::move(model), meter_, carbon_, pue_,
                                          settings.worker, metrics_.get());
  metrics_->set_slo(name, settings.slo);
  metrics_->set_queue_length(name, 0);
  const int parallel = s.worker->parallel();
  models_.emplace(name, std::move(s));
  return parallel;
}

int Server::bind() {
  port_ = options_.port == 0
              ? http_->bind_to_any_port(options_.host)
              : (http_->bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port_ < 0) {
    throw std::runtime_error(fmt::format("cannot listen on {}:{} (in use, or not an address here)",
                                         options_.host, options_.port));
  }
  return port_;
}

void Server::run() {
  http_->listen_after_bind();
}

void Server::stop() {
  if (http_) http_->stop();
}

void Server::remember(const std::string& model, int status, int completion_tokens,
                      const RequestEnergy& energy) {
  std::lock_guard lk(recent_mu_);
  recent_.push_front({{"time", static_cast<std::int64_t>(std::time(nullptr))},
                      {"model", model},
                      {"status", status},
                      {"completion_tokens", completion_tokens},
                      {"joules", energy.joules},
                      {"duration_s", energy.duration_s},
                      {"source", energy.source}});
  if (recent_.size() > 50) recent_.pop_back();
}

void Server::routes() {
  auto& h = *http_;
  h.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kLivePage, "text/html; charset=utf-8");
  });
  h.Get("/recent", [this](const httplib::Request&, httplib::Response& res) {
    json list = json::array();
    {
      std::lock_guard lk(recent_mu_);
      for (const auto& r : recent_) list.push_back(r);
    }
    res.set_content(dump_json(list), "application/json");
  });
  const auto authorised = [this](const httplib::Request& req) {
    if (options_.api_key.empty()) return;
    if (req.get_header_value("Authorization") != "Bearer " + options_.api_key) {
      throw ApiError(401, "authentication_error", "",
                     "missing or wrong API key: send 'Authorization: Bearer KEY'");
    }
  };

  h.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok"})", "application/json");
  });

  h.Get("/v1/models", [this, authorised](const httplib::Request& req, httplib::Response& res) {
    try {
      authorised(req);
    } catch (const ApiError& e) {
      return send_error(res, e);
    }
    json data = json::array();
    for (const auto& [name, m] : models_) {
      data.push_back(
          {{"id", name}, {"object", "model"}, {"created", 0}, {"owned_by", "wattserve"}});
    }
    res.set_content(dump_json({{"object", "list"}, {"data", data}}), "application/json");
  });

  h.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    meter_.sample_now();  // the counters up to this instant, not the last background sample
    const auto& domains = meter_.domains();
    const auto timeline = meter_.timeline();
    if (!timeline.empty()) {
      energy_metrics_->update(domains, timeline.back().joules, meter_.last_power());
    }
    res.set_content(energy_metrics_->serialize(), "text/plain; version=0.0.4; charset=utf-8");
  });

  const auto completions = [this, authorised](bool chat) {
    return [this, authorised, chat](const httplib::Request& req, httplib::Response& res) {
      std::string label = "unknown";
      try {
        authorised(req);
        auto cr = parse_completion_request(req.body, chat, options_.limits);
        Served& served = find(cr.model);
        label = cr.model;
        if (!served.worker) {
          throw ApiError(
              400, "invalid_request_error", "model",
              fmt::format("'{}' is a tensor model: POST /v2/models/{}/infer", cr.model, cr.model));
        }
        auto job = std::make_shared<TextJob>();
        job->id = new_id(chat ? "chatcmpl-" : "cmpl-");
        job->sampling = cr.sampling;
        if (chat) {
          job->prompt = render_chat(served.settings.chat_template, cr.messages);
          for (auto& s : chat_stop_strings(served.settings.chat_template)) {
            job->sampling.stop.push_back(std::move(s));
          }
        } else {
          job->prompt = cr.prompt;
        }
        job->deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(options_.request_timeout_s));
        CompletionResult head;
        head.id = job->id;
        head.created = static_cast<std::int64_t>(std::time(nullptr));
        head.model = cr.model;
        const auto fill = [&head](const TextJobResult& r) {
          CompletionResult out = head;
          out.text = r.gen.text;
          out.finish_reason = finish_reason(r.gen.reason);
          out.prompt_tokens = r.prompt_tokens;
          out.completion_tokens = static_cast<int>(r.gen.tokens.size());
          out.energy = r.energy;
          return out;
        };
        const auto queue_full = [&] {
          return ApiError(503, "overloaded", "",
                          fmt::format("model '{}' has {} requests waiting, its limit: retry later",
                                      cr.model, served.worker->queue_length()));
        };
        if (!cr.stream) {
          auto result = job->result.get_future();
          if (!served.worker->submit(job)) throw queue_full();
          const TextJobResult r = result.get();
          if (r.error) throw *r.error;
          res.set_content(dump_json(completion_response(fill(r), chat)), "application/json");
          metrics_->count_request(label, 200);
          remember(label, 200, static_cast<int>(r.gen.tokens.size()), r.energy);
          return;
        }
        auto st = std::make_shared<StreamState>();
        st->result = job->result.get_future();
        job->on_piece = [st, head, chat](std::string_view piece) {
          std::lock_guard lk(st->mu);
          st->pending += piece;
          const std::size_t n = complete_utf8_prefix(st->pending);
          if (n == 0) return;
          st->events.push_back(stream_chunk(head, chat, st->pending.substr(0, n), st->first));
          st->pending.erase(0, n);
          st->first = false;
          st->cv.notify_one();
        };
        job->on_done = [st] {
          std::lock_guard lk(st->mu);
          st->done = true;
          st->cv.notify_one();
        };
        if (!served.worker->submit(job)) throw queue_full();
        res.set_header("Cache-Control", "no-cache");
        const bool include_usage = cr.include_usage;
        res.set_chunked_content_provider(
            "text/event-stream", [this, st, job, fill, chat, include_usage, label](
                                     std::size_t, httplib::DataSink& sink) {
              try {
                std::unique_lock lk(st->mu);
                st->cv.wait(lk, [&] { return !st->events.empty() || st->done; });
                auto events = std::move(st->events);
                st->events.clear();
                const bool done = st->done;
                lk.unlock();
                for (const auto& e : events) {
                  if (!sink.write(e.data(), e.size())) {
                    job->cancelled = true;  // the client went away: stop generating
                    return false;
                  }
                }
                if (!done) return true;
                const TextJobResult r = st->result.get();
                std::string tail;
                if (r.error) {
                  tail = "data: " + dump_json(error_body(*r.error)) + "\n\ndata: [DONE]\n\n";
                  metrics_->count_request(label, r.error->status);
                } else {
                  tail = stream_end(fill(r), chat, include_usage);
                  metrics_->count_request(label, 200);
                  remember(label, 200, static_cast<int>(r.gen.tokens.size()), r.energy);
                }
                sink.write(tail.data(), tail.size());
                sink.done();
                return true;
              } catch (const std::exception&) {
                job->cancelled = true;  // nothing may escape into the HTTP library's thread
                return false;
              }
            });
      } catch (const ApiError& e) {
        metrics_->count_request(label, e.status);
        send_error(res, e);
      } catch (const std::exception& e) {
        metrics_->count_request(label, 500);
        send_error(res, ApiError(500, "server_error", "", e.what()));
      }
    };
  };
  h.Post("/v1/completions", completions(false));
  h.Post("/v1/chat/completions", completions(true));
  kserve_routes();

  h.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const std::string msg = res.status == 404 ? fmt::format("no route {} {}", req.method, req.path)
                            : res.status == 413 ? "the request body is too large"
                                                : fmt::format("HTTP {}", res.status);
    res.set_content(
        dump_json(error_body(ApiError(
            res.status, res.status == 404 ? "not_found_error" : "invalid_request_error", "", msg))),
        "application/json");
  });
}

}  // namespace wattserve::serve
