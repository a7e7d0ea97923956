// `wattserve serve`'s routes over the event-driven HTTP layer (http_server.h): the
// OpenAI-compatible API (/v1/completions, /v1/chat/completions with SSE streaming, /v1/models), the
// KServe Open Inference Protocol v2 (/v2/...: tensor models, and text models through "text_input"),
// /health, /metrics, /recent and a live page at /, over the served models' workers. The API key is
// checked from the request head, before any body is read; request work runs on task threads, never
// on the I/O threads, so /health answers under any load. Every request that reaches a model route
// ends with one status, counted with its energy (the books balance with the meter's unattributed
// energy). A graceful stop finishes the requests in flight, within the drain timeout. Routes and
// fields: docs/serve.md.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "energy/core/carbon.h"
#include "energy/core/meter.h"
#include "serve/http_server.h"
#include "serve/openai_api.h"
#include "serve/serve_metrics.h"
#include "serve/tensor_worker.h"
#include "serve/text_worker.h"

namespace wattserve::energy {
class EnergyMetrics;
}

namespace wattserve::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;               // 0: any free port (see bound_port())
  std::string api_key;           // empty: no authentication
  bool protect_metrics = false;  // with a key: /metrics needs it too (/health never does)
  std::size_t max_body_bytes = 2 << 20;
  std::size_t max_header_bytes = 16 << 10;
  RequestLimits limits;
  double request_timeout_s = 300;  // queue + generation
  double drain_timeout_s = 30;     // stop(): how long requests in flight may finish
  double header_timeout_s = 10;    // a request head must arrive within this from its first byte
  double idle_timeout_s = 30;      // keep-alive connections with no request are closed after
};

struct TextModelSettings {
  std::string chat_template = "plain";
  TextWorkerOptions worker;
  Slo slo;
};

struct TensorModelSettings {
  TensorWorkerOptions worker;
  Slo slo;
};

class Server {
 public:
  Server(ServerOptions options, energy::Meter& meter, energy::CarbonIntensity carbon, double pue);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves `model` (a text model) under `name`. Before bind(). Returns the sequences per decode
  // step its worker runs (1 where the engine has no continuous batching).
  int add_text_model(const std::string& name, std::unique_ptr<engine::Model> model,
                     const TextModelSettings& settings);
  // Serves `model` (a tensor model) under `name`, with dynamic batching. Before bind().
  void add_tensor_model(const std::string& name, std::unique_ptr<engine::Model> model,
                        const TensorModelSettings& settings);
  // Loads another variant of the text model served as `name` (e.g. another quantisation or
  // thread count of it), with the same settings, under the worker label `label` (metrics).
  // New requests go to the active variant (set_active_variant; the first at start); the others
  // finish what they hold. Before bind(). Returns the variant's index.
  size_t add_text_variant(const std::string& name, const std::string& label,
                          std::unique_ptr<engine::Model> model);
  // The workers of a text model's variants, in the order they were added (throws
  // std::invalid_argument for a name that is not a text model).
  std::vector<TextWorker*> text_variants(const std::string& name);
  // Routes `name`'s new requests to variant `index` with at most `parallel_limit` sequences per
  // step (TextWorker::set_parallel_limit). Thread-safe.
  void set_active_variant(const std::string& name, size_t index, int parallel_limit);
  // The Prometheus registry /metrics exposes (for serve --adapt's metrics).
  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }
  // Binds the socket; throws std::runtime_error when it cannot. Returns the port.
  int bind();
  // Serves until stop(); then finishes the requests in flight (at most the drain timeout; what is
  // left is cancelled) and stops the workers.
  void run();
  // Thread-safe and async-signal-unsafe: call from a normal thread (e.g. a sigwait thread).
  void stop();
  // Open HTTP connections now.
  std::size_t connections() const;

 private:
  struct Served {
    TextModelSettings settings;
    std::vector<std::unique_ptr<TextWorker>> variants;  // text models: [0] unless adapting
    std::shared_ptr<std::atomic<size_t>> active = std::make_shared<std::atomic<size_t>>(0);
    std::unique_ptr<TensorWorker> tensor;  // tensor models
    // The text worker new requests go to; null for a tensor model.
    TextWorker* worker() const { return variants.empty() ? nullptr : variants[*active].get(); }
  };
  using ResponderPtr = std::shared_ptr<http::Responder>;
  // Before the body: unknown route (404), wrong method (405), missing key (401).
  std::optional<http::Reply> check_head(const http::Request& head) const;
  void handle(http::Request req, const ResponderPtr& out);
  void metrics(const ResponderPtr& out);
  void completions(const http::Request& req, bool chat, const ResponderPtr& out);
  void stream(const std::shared_ptr<TextJob>& job, const CompletionResult& head, bool chat,
              bool include_usage, Served& served, const ResponderPtr& out);
  void kserve(const http::Request& req, const ResponderPtr& out);
  void kserve_infer(const std::string& name, const std::string& body, const ResponderPtr& out);
  Served& find(const std::string& name);  // ApiError(404) when not served
  // Every request on a model route ends here once, with its status and energy: the request
  // and energy counters by status, and /recent (the last 50).
  void account(const std::string& model, int status, int completion_tokens,
               const RequestEnergy& energy);
  void stop_workers();
  // Runs `task` (a finished job's response) on a task thread; an exception from it becomes a
  // 500 for `model`'s request instead of escaping into the thread.
  void finish_later(const ResponderPtr& out, const std::string& model, bool kserve,
                    std::function<void()> task);
  std::mutex recent_mu_;
  std::deque<nlohmann::json> recent_;

  ServerOptions options_;
  energy::Meter& meter_;
  energy::CarbonIntensity carbon_;
  double pue_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<energy::EnergyMetrics> energy_metrics_;
  std::unique_ptr<ServeMetrics> metrics_;
  std::map<std::string, Served> models_;
  std::unique_ptr<http::HttpServer> http_;
  int port_ = 0;
  bool workers_stopped_ = false;
};

}  // namespace wattserve::serve
