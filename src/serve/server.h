// `wattserve serve`'s HTTP server (cpp-httplib): the OpenAI-compatible API
// (/v1/completions, /v1/chat/completions with SSE streaming, /v1/models), the KServe Open
// Inference Protocol v2 (/v2/...: tensor models, and text models through "text_input"), /health,
// /metrics and a live page at /, over the served models' workers, with request limits, an optional
// Bearer API key and a graceful stop that finishes in-flight requests. Routes and fields:
// docs/serve.md.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "energy/carbon.h"
#include "energy/meter.h"
#include "serve/openai_api.h"
#include "serve/serve_metrics.h"
#include "serve/tensor_worker.h"
#include "serve/text_worker.h"

namespace httplib {
class Server;
}
namespace wattserve::energy {
class EnergyMetrics;
}

namespace wattserve::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;      // 0: any free port (see bound_port())
  std::string api_key;  // empty: no authentication
  std::size_t max_body_bytes = 2 << 20;
  RequestLimits limits;
  double request_timeout_s = 300;  // queue + generation
  int http_threads = 64;           // concurrent connections (streams hold one each)
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
  // Binds the socket; throws std::runtime_error when it cannot. Returns the port.
  int bind();
  // Serves until stop(); then finishes in-flight and queued requests.
  void run();
  // Thread-safe and async-signal-unsafe: call from a normal thread (e.g. a sigwait thread).
  void stop();

 private:
  struct Served {
    TextModelSettings settings;
    std::unique_ptr<TextWorker> worker;    // text models
    std::unique_ptr<TensorWorker> tensor;  // tensor models
  };
  void routes();
  void kserve_routes();
  Served& find(const std::string& name);  // ApiError(404) when not served
  // The last 50 answered requests, for GET /recent and the page at /.
  void remember(const std::string& model, int status, int completion_tokens,
                const RequestEnergy& energy);
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
  std::unique_ptr<httplib::Server> http_;
  int port_ = 0;
};

}  // namespace wattserve::serve
