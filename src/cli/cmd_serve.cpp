// `wattserve serve --model NAME [--model NAME ...]`: serves zoo models (or model files) over the
// OpenAI-compatible HTTP API with the energy of every request in its response and in /metrics.
// Binds 127.0.0.1 by default; a non-loopback address needs an API key. SIGINT/SIGTERM stop
// accepting connections and finish in-flight requests. Exit codes: 0 after a clean stop, 2 bad
// arguments, 1 a model or the socket failed.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

#include "cli/carbon_options.h"
#include "cli/commands.h"
#include "cli/sensor_options.h"
#include "cli/text_output.h"
#include "energy/atomic_file.h"
#include "energy/discovery.h"
#include "engine/engines.h"
#include "serve/server.h"
#include "zoo/zoo.h"

namespace wattserve::cli {

namespace {

struct ServeFlags {
  std::vector<std::string> models;
  std::string engine, provider = "cpu", quant, zoo;
  int threads = 0;
  serve::ServerOptions server;
  serve::TextModelSettings text;
  serve::TensorModelSettings tensor;
  double max_wait_ms = 5;
  std::string ready_file;
  double idle_s = 0, interval_ms = 100;
  SensorFlags sensors;
  CarbonFlags carbon;
};

// SIGINT/SIGTERM write the signal number to a pipe (async-signal-safe) that a normal thread
// reads to stop the server: robust whatever signal masks threads created by engines have.
int g_signal_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int sig) {
  const unsigned char b = static_cast<unsigned char>(sig);
  [[maybe_unused]] const auto n = ::write(g_signal_pipe[1], &b, 1);
}

bool loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

int run_serve(ServeFlags f) {
  if (f.server.api_key.empty()) {
    if (const char* k = std::getenv("WATTSERVE_API_KEY"); k && *k) f.server.api_key = k;
  }
  if (!loopback(f.server.host) && f.server.api_key.empty()) {
    eprint(
        "wattserve serve: binding {} exposes the server beyond this machine: set --api-key "
        "(or WATTSERVE_API_KEY)\n",
        f.server.host);
    return 2;
  }
  if (::pipe(g_signal_pipe) != 0) {
    eprint("wattserve serve: pipe: {}\n", std::strerror(errno));
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  const std::string zoo_dir = f.zoo.empty() ? zoo::default_zoo_dir() : f.zoo;
  std::vector<std::pair<std::string, zoo::Resolved>> resolved;
  energy::CarbonIntensity carbon;
  try {
    for (const auto& m : f.models)
      resolved.emplace_back(m, zoo::resolve(m, f.engine, f.quant, zoo_dir));
    carbon = energy::resolve_carbon(f.carbon.settings());
  } catch (const std::exception& e) {
    eprint("wattserve serve: {}\n", e.what());
    return 2;
  }
  std::unique_ptr<energy::Meter> meter;
  try {
    meter = make_meter(f.sensors, f.interval_ms);
  } catch (const std::exception& e) {
    eprint("wattserve serve: sensors: {}\n", e.what());
    return 1;
  }
  meter->start();
  if (f.idle_s > 0) {
    eprint("wattserve serve: measuring idle power for {} s\n", f.idle_s);
    meter->set_idle_baseline(meter->measure_idle(static_cast<std::int64_t>(f.idle_s * 1e9)));
  }
  auto server = std::make_unique<serve::Server>(f.server, *meter, carbon, f.carbon.pue);
  for (auto& [name, where] : resolved) {
    try {
      engine::LoadOptions lo;
      lo.provider = f.provider;
      lo.threads = f.threads;
      auto model = engine::load_engine(where.engine).load(where.path, lo);
      const std::string served = where.entry ? where.entry->model : name;
      if (model->kind() == engine::ModelKind::kTextGeneration) {
        server->add_text_model(served, std::move(model), f.text);
      } else {
        serve::TensorModelSettings ts = f.tensor;
        ts.worker.max_queue = f.text.worker.max_queue;
        ts.worker.max_wait_s = f.max_wait_ms / 1e3;
        ts.slo = f.text.slo;
        server->add_tensor_model(served, std::move(model), ts);
      }
      eprint("wattserve serve: {} -> {} on {} ({})\n", served, where.path, where.engine,
             f.provider);
    } catch (const engine::EngineError& e) {
      eprint("wattserve serve: {}: {}\n", name, e.what());
      return e.kind() == engine::EngineError::Kind::kRuntime ? 1 : 2;
    } catch (const std::invalid_argument& e) {
      eprint("wattserve serve: {}: {}\n", name, e.what());
      return 2;
    }
  }
  int port = 0;
  try {
    port = server->bind();
  } catch (const std::exception& e) {
    eprint("wattserve serve: {}\n", e.what());
    return 1;
  }
  const std::string url = fmt::format("http://{}:{}", f.server.host, port);
  eprint("wattserve serve: listening on {} (OpenAI API at {}/v1, metrics at {}/metrics)\n", url,
         url, url);
  if (!f.ready_file.empty()) energy::write_file_atomic(f.ready_file, url + "\n");
  std::thread signals([&] {
    unsigned char sig = 0;
    while (::read(g_signal_pipe[0], &sig, 1) < 0 && errno == EINTR) {
    }
    if (sig == 0) return;  // woken by the exit path below
    eprint("wattserve serve: signal {}: finishing in-flight requests\n", int{sig});
    server->stop();
  });
  server->run();
  const unsigned char wake = 0;
  [[maybe_unused]] const auto n = ::write(g_signal_pipe[1], &wake, 1);
  signals.join();
  server.reset();  // drains the workers
  meter->stop();
  eprint("wattserve serve: stopped\n");
  return 0;
}

}  // namespace

Command add_serve(CLI::App& app) {
  auto f = std::make_shared<ServeFlags>();
  auto* sub = app.add_subcommand(
      "serve",
      "Serve models over the OpenAI-compatible HTTP API (text models) and KServe v2 (tensor "
      "and text models), with the energy of every request in its response and in Prometheus "
      "metrics.\n"
      "  wattserve serve --model pycode-tiny --port 8080\n"
      "  curl -s localhost:8080/v1/completions -d '{\"model\":\"pycode-tiny\",\"prompt\":\"def "
      "\"}'\n"
      "SIGINT/SIGTERM finish in-flight requests, then exit 0.");
  sub->add_option("-m,--model", f->models,
                  "Model to serve (repeatable): a zoo name (served under that name) or a file")
      ->required();
  sub->add_option("-e,--engine", f->engine, "llama, onnx or torch (default: as `wattserve run`)")
      ->check(CLI::IsMember({"llama", "onnx", "torch"}));
  sub->add_option("--provider", f->provider, "Execution provider")->capture_default_str();
  sub->add_option("--quant", f->quant, "GGUF quantisation of zoo models: f32, f16, q8_0, q4_0")
      ->check(CLI::IsMember({"f32", "f16", "q8_0", "q4_0"}));
  sub->add_option("--zoo", f->zoo,
                  "Model zoo folder (default: $WATTSERVE_ZOO, else the built one)");
  sub->add_option("--threads", f->threads, "CPU threads per model (0: all)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  auto& s = f->server;
  sub->add_option("--host", s.host, "Address to bind; other than loopback needs --api-key")
      ->capture_default_str();
  sub->add_option("--port", s.port, "TCP port; 0 picks a free one")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  sub->add_option("--api-key", s.api_key,
                  "Require 'Authorization: Bearer KEY' (default: $WATTSERVE_API_KEY; none)");
  sub->add_option("--ready-file", f->ready_file,
                  "Write the server's URL to this file once it accepts connections");
  sub->add_option("--max-queue", f->text.worker.max_queue,
                  "Requests waiting per model before new ones get 503 + Retry-After")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  sub->add_option("--max-batch", f->tensor.worker.max_batch,
                  "Tensor models: rows per batch at most (dynamic batching)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20));
  sub->add_option("--max-wait-ms", f->max_wait_ms,
                  "Tensor models: how long the oldest request waits for others to batch with")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10'000.0));
  sub->add_option("--timeout", s.request_timeout_s, "Seconds a request may wait and run")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 86400.0));
  sub->add_option("--max-body", s.max_body_bytes, "Largest request body in bytes (413 above)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30));
  sub->add_option("--max-tokens-limit", s.limits.max_tokens, "Largest max_tokens a request may ask")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  sub->add_option("--chat-template", f->text.chat_template,
                  "How chat messages become a prompt: plain or chatml")
      ->capture_default_str()
      ->check(CLI::IsMember({"plain", "chatml"}));
  sub->add_option("--slo-ttft", f->text.slo.ttft_s, "TTFT SLO in seconds (0: none)")->group("SLO");
  sub->add_option("--slo-tpot", f->text.slo.tpot_s, "Time-per-output-token SLO in seconds")
      ->group("SLO");
  sub->add_option("--slo-e2e", f->text.slo.e2e_s, "End-to-end latency SLO in seconds")
      ->group("SLO");
  sub->add_option("--idle", f->idle_s,
                  "Measure idle power for this many seconds at start (dynamic energy per request)")
      ->check(CLI::Range(0.0, 3600.0));
  sub->add_option("--interval", f->interval_ms, "Meter sampling interval in ms")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 60'000.0));
  add_carbon_flags(sub, f->carbon);
  add_sensor_flags(sub, f->sensors);
  return {sub, [f] { return run_serve(*f); }};
}

}  // namespace wattserve::cli
