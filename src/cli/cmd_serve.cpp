// `wattserve serve --model NAME [--model NAME ...]`: serves zoo models (or model files) over the
// OpenAI-compatible HTTP API with the energy of every request in its response and in /metrics.
// Binds 127.0.0.1 by default; a non-loopback address needs an API key. SIGINT/SIGTERM stop
// accepting connections and finish in-flight requests. Exit codes: 0 after a clean stop, 2 bad
// arguments, 1 a model or the socket failed.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "cli/carbon_options.h"
#include "cli/commands.h"
#include "cli/model_options.h"
#include "cli/sensor_options.h"
#include "cli/serve_adapt.h"
#include "cli/text_output.h"
#include "energy/core/atomic_file.h"
#include "energy/sensors/discovery.h"
#include "engine/engines.h"
#include "model/model_spec.h"
#if WATTSERVE_WITH_OCR
#include "serve/ocr_model.h"
#endif
#include "serve/serve_config.h"
#include "serve/server.h"
#include "zoo/zoo.h"

namespace wattserve::cli {

namespace {

struct ServeFlags {
  std::vector<std::string> models;
  std::string config_file;
  serve::ModelSpec defaults;  // every --model's settings; where [[model]] tables in --config start
  serve::ServeConfig config;  // server settings; models from --model and --config
  std::string policy = "fcfs";
  double max_wait_ms = 5;
  std::string ready_file;
  SensorFlags sensors;
  CarbonFlags carbon;
  std::function<bool(std::string_view)> given;  // was this [server] key given as a flag?
  AdaptFlags adapt;
};

// SIGINT/SIGTERM write the signal number to a pipe (async-signal-safe) that a normal thread
// reads to stop the server: robust whatever signal masks threads created by engines have.
int g_signal_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int sig) {
  const unsigned char b = static_cast<unsigned char>(sig);
  [[maybe_unused]] const auto n = ::write(g_signal_pipe[1], &b, 1);
}

// Whether every address `host` resolves to is a loopback address (127.0.0.0/8, ::1): decided by
// the resolved addresses, not the name ("127.example.com" is a name like any other). Throws
// std::invalid_argument when the name does not resolve.
bool loopback(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0) {
    throw std::invalid_argument(
        fmt::format("--host {}: cannot resolve it ({})", host, ::gai_strerror(rc)));
  }
  bool all = res != nullptr;
  for (const addrinfo* a = res; a; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      all = all && (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (a->ai_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
      all = all && IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    } else {
      all = false;
    }
  }
  ::freeaddrinfo(res);
  return all;
}

// Removes the ready file when the server exits, however it exits after writing it.
struct ReadyFile {
  std::string path;
  ~ReadyFile() {
    if (!path.empty()) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
  }
};

int run_serve(ServeFlags f) {
  serve::ServeConfig& cfg = f.config;
  try {
    f.defaults.text.worker.policy = serve::parse_schedule_policy(f.policy);
    f.defaults.tensor.max_wait_s = f.max_wait_ms / 1e3;
    for (const auto& m : f.models) {
      serve::ModelSpec spec = f.defaults;
      spec.spec.model = m;
      cfg.models.push_back(std::move(spec));
    }
    if (!f.config_file.empty()) serve::load_serve_config(f.config_file, cfg, f.defaults, f.given);
  } catch (const std::exception& e) {
    eprint("wattserve serve: {}\n", e.what());
    return 2;
  }
  if (cfg.models.empty()) {
    eprint(
        "wattserve serve: nothing to serve: give --model NAME or a --config file with "
        "[[model]] tables\n");
    return 2;
  }
  if (cfg.server.api_key.empty()) {
    if (const char* k = std::getenv("WATTSERVE_API_KEY"); k && *k) cfg.server.api_key = k;
  }
  try {
    if (!loopback(cfg.server.host) && cfg.server.api_key.empty()) {
      eprint(
          "wattserve serve: binding {} exposes the server beyond this machine: set --api-key "
          "(or WATTSERVE_API_KEY)\n",
          cfg.server.host);
      return 2;
    }
  } catch (const std::invalid_argument& e) {
    eprint("wattserve serve: {}\n", e.what());
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

  std::vector<std::pair<serve::ModelSpec, zoo::Resolved>> resolved;
  std::set<std::string> names;
  energy::CarbonIntensity carbon;
  try {
    for (auto& m : cfg.models) {
      model::validate(m.spec);
      auto where = model::resolve(m.spec);
      if (m.name.empty()) m.name = where.entry ? where.entry->model : m.spec.model;
      if (!names.insert(m.name).second) {
        throw std::invalid_argument(fmt::format(
            "two models would be served as '{}': give one a name (name = \"...\" in --config)",
            m.name));
      }
      resolved.emplace_back(m, std::move(where));
    }
    carbon = energy::resolve_carbon(f.carbon.settings());
  } catch (const std::exception& e) {
    eprint("wattserve serve: {}\n", e.what());
    return 2;
  }
  std::unique_ptr<energy::Meter> meter;
  try {
    energy::MeterSpec ms = f.sensors.meter;
    ms.interval_ms = cfg.interval_ms;
    meter = energy::make_meter(ms);
  } catch (const std::exception& e) {
    eprint("wattserve serve: sensors: {}\n", e.what());
    return 1;
  }
  meter->start();
  if (cfg.idle_s > 0) {
    eprint("wattserve serve: measuring idle power for {} s\n", cfg.idle_s);
    meter->set_idle_baseline(meter->measure_idle(static_cast<std::int64_t>(cfg.idle_s * 1e9)));
  }
  auto server = std::make_unique<serve::Server>(cfg.server, *meter, carbon, f.carbon.pue);
  for (auto& [spec, where] : resolved) {
    try {
      // The OCR zoo model by its name ("ppocr-v4"): the whole det + rec pipeline as one model.
      const bool ocr_pipeline =
          where.entry && where.entry->kind == "ocr" && spec.spec.model == where.entry->model;
      std::unique_ptr<engine::Model> model;
      if (ocr_pipeline) {
#if WATTSERVE_WITH_OCR
        ocr::OcrOptions oo;
        oo.provider = spec.spec.provider;
        oo.threads = spec.spec.threads;
        model = std::make_unique<serve::OcrModel>(
            engine::load_engine(where.engine),
            std::filesystem::path(where.path).parent_path().string(), oo);
        where.path = std::filesystem::path(where.path).parent_path().string() + " (det + rec)";
#else
        throw engine::EngineError(engine::EngineError::Kind::kUnsupported,
                                  "this wattserve was built without the OCR pipeline "
                                  "(WATTSERVE_WITH_OCR=OFF)");
#endif
      } else {
        model = model::load_resolved(spec.spec, where).model;
      }
      std::string how;
      if (model->kind() == engine::ModelKind::kTextGeneration) {
        const int parallel =
            server->add_text_model(spec.name, std::move(model), serve::text_settings(spec));
        how = fmt::format("{} sequence{} per step, {}", parallel, parallel == 1 ? "" : "s",
                          serve::to_string(spec.text.worker.policy));
      } else {
        serve::TensorModelSettings ts;
        ts.worker = spec.tensor;
        ts.worker.max_queue = spec.text.worker.max_queue;
        ts.slo = spec.text.slo;
        server->add_tensor_model(spec.name, std::move(model), ts);
        how = fmt::format("batches of up to {} rows", ts.worker.max_batch);
      }
      eprint("wattserve serve: {} -> {} on {} ({}; {})\n", spec.name, where.path, where.engine,
             spec.spec.provider, how);
    } catch (const engine::EngineError& e) {
      eprint("wattserve serve: {}: {}\n", spec.spec.model, e.what());
      return e.kind() == engine::EngineError::Kind::kRuntime ? 1 : 2;
    } catch (const std::invalid_argument& e) {
      eprint("wattserve serve: {}: {}\n", spec.spec.model, e.what());
      return 2;
    }
  }
  AdaptSetup adapt;
  if (f.adapt.enabled) {
    try {
      if (resolved.size() != 1) {
        throw std::invalid_argument("--adapt adapts one served text model: serve exactly one");
      }
      adapt = setup_adapt(f.adapt, *server, resolved.front().first, resolved.front().second);
      for (const auto& line : adapt.notes) eprint("wattserve serve: adapt: {}\n", line);
    } catch (const engine::EngineError& e) {
      eprint("wattserve serve: --adapt: {}\n", e.what());
      return 2;
    } catch (const std::exception& e) {
      eprint("wattserve serve: --adapt: {}\n", e.what());
      return 2;
    }
  } else if (f.adapt.any_given()) {
    eprint("wattserve serve: --adapt-* options, --governor and --allow-actuate need --adapt\n");
    return 2;
  }
  // Every connection is a descriptor: allow as many as the hard limit lets us.
  if (rlimit rl{}; ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  int port = 0;
  try {
    port = server->bind();
  } catch (const std::exception& e) {
    eprint("wattserve serve: {}\n", e.what());
    return 1;
  }
  const std::string url = fmt::format("http://{}:{}", cfg.server.host, port);
  eprint("wattserve serve: listening on {} (OpenAI API at {}/v1, metrics at {}/metrics)\n", url,
         url, url);
  ReadyFile ready;
  if (!f.ready_file.empty()) {
    try {
      energy::write_file_atomic(f.ready_file, url + "\n");
      ready.path = f.ready_file;
    } catch (const std::exception& e) {
      eprint("wattserve serve: --ready-file: {}\n", e.what());
      return 1;
    }
  }
  std::thread signals([&] {
    unsigned char sig = 0;
    while (::read(g_signal_pipe[0], &sig, 1) < 0 && errno == EINTR) {
    }
    if (sig == 0) return;  // woken by the exit path below
    eprint("wattserve serve: signal {}: finishing the requests in flight (at most {} s)\n",
           int{sig}, cfg.server.drain_timeout_s);
    server->stop();
  });
  if (adapt.adapter) adapt.adapter->start();
  server->run();
  if (adapt.adapter) adapt.adapter->stop();
  const unsigned char wake = 0;
  [[maybe_unused]] const auto n = ::write(g_signal_pipe[1], &wake, 1);
  signals.join();
  adapt.adapter.reset();
  if (adapt.actuator) adapt.actuator->restore();
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
                  "Model to serve (repeatable): a zoo name (served under that name) or a file. "
                  "The model flags below apply to each");
  sub->add_option("-c,--config", f->config_file,
                  "TOML file with [server] settings and [[model]] tables, each with its own "
                  "engine, batching, scheduling and SLOs (docs/serve.md; example: "
                  "examples/serve.toml). Flags given as well override its [server] keys")
      ->check(CLI::ExistingFile);
  auto& d = f->defaults;
  const char* model_group = "Per model (also [[model]] keys in --config)";
  add_field_flag(sub, "-e,--engine", d.spec.engine, "engine")->group(model_group);
  add_field_flag(sub, "--provider", d.spec.provider, "provider")->group(model_group);
  add_field_flag(sub, "--quant", d.spec.quant, "quant")->group(model_group);
  add_field_flag(sub, "--threads", d.spec.threads, "threads", "CPU threads per model (0: all)")
      ->group(model_group);
  add_field_flag(sub, "--context", d.spec.context, "context")->group(model_group);
  add_field_flag(sub, "--kv-cache", d.spec.kv_cache, "kv_cache")->group(model_group);
  add_field_flag(sub, "--tokenizer", d.spec.tokenizer, "tokenizer")->group(model_group);
  add_field_flag(sub, "--parallel", d.spec.parallel, "parallel",
                 "Text models on llama.cpp: sequences decoded together in each step "
                 "(continuous batching; requests join and leave between steps). Engines "
                 "without it run one sequence at a time")
      ->group(model_group);
  sub->add_option("--schedule", f->policy,
                  "Which waiting request runs next: fcfs (first come, first served), sjf "
                  "(shortest predicted output first, by a predictor learned from served "
                  "requests, with aging) or oracle (benchmarks: as sjf, by the requests' exact "
                  "bench_output_tokens where given; SJF's upper bound)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fcfs", "sjf", "oracle"}))
      ->group(model_group);
  sub->add_option("--sjf-aging", d.text.worker.aging_s,
                  "sjf, oracle: seconds after which a waiting request goes before every newer one "
                  "(its predicted length counts x (1 - waited / this))")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 86400.0))
      ->group(model_group);
  sub->add_option("--max-queue", d.text.worker.max_queue,
                  "Requests waiting per model before new ones get 503 + Retry-After")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->group(model_group);
  sub->add_option("--max-batch", d.tensor.max_batch,
                  "Tensor models: rows per batch at most (dynamic batching)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20))
      ->group(model_group);
  sub->add_option("--max-wait-ms", f->max_wait_ms,
                  "Tensor models: how long the oldest request waits for others to batch with")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10'000.0))
      ->group(model_group);
  sub->add_option("--chat-template", d.text.chat_template,
                  "How chat messages become a prompt: plain or chatml")
      ->capture_default_str()
      ->check(CLI::IsMember({"plain", "chatml"}))
      ->group(model_group);
  sub->add_option("--slo-ttft", d.text.slo.ttft_s, "TTFT SLO in seconds (0: none)")
      ->group(model_group);
  sub->add_option("--slo-tpot", d.text.slo.tpot_s, "Time-per-output-token SLO in seconds")
      ->group(model_group);
  sub->add_option("--slo-e2e", d.text.slo.e2e_s, "End-to-end latency SLO in seconds")
      ->group(model_group);
  add_field_flag(sub, "--zoo", d.spec.zoo, "zoo");

  // Server settings: also the [server] table of --config, whose keys these flags override.
  auto& c = f->config;
  auto& s = c.server;
  std::map<std::string, CLI::Option*> server_flags;
  server_flags["host"] =
      sub->add_option("--host", s.host, "Address to bind; other than loopback needs --api-key")
          ->capture_default_str();
  server_flags["port"] = sub->add_option("--port", s.port, "TCP port; 0 picks a free one")
                             ->capture_default_str()
                             ->check(CLI::Range(0, 65535));
  server_flags["api_key"] =
      sub->add_option("--api-key", s.api_key,
                      "Require 'Authorization: Bearer KEY' (default: $WATTSERVE_API_KEY; none)");
  sub->add_option("--ready-file", f->ready_file,
                  "Write the server's URL to this file once it accepts connections");
  server_flags["timeout"] =
      sub->add_option("--timeout", s.request_timeout_s, "Seconds a request may wait and run")
          ->capture_default_str()
          ->check(CLI::Range(0.001, 86400.0));
  server_flags["max_body"] =
      sub->add_option("--max-body", s.max_body_bytes, "Largest request body in bytes (413 above)")
          ->capture_default_str()
          ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30));
  server_flags["drain_timeout"] =
      sub->add_option("--drain-timeout", s.drain_timeout_s,
                      "On SIGINT/SIGTERM: seconds the requests in flight may take to finish; "
                      "then their connections are closed and the server exits")
          ->capture_default_str()
          ->check(CLI::Range(0.0, 86400.0));
  server_flags["protect_metrics"] =
      sub->add_flag("--protect-metrics", s.protect_metrics,
                    "With an API key: /metrics needs it too (default: open, as vLLM's; /health "
                    "is always open, /recent always needs the key)");
  server_flags["max_tokens_limit"] = sub->add_option("--max-tokens-limit", s.limits.max_tokens,
                                                     "Largest max_tokens a request may ask")
                                         ->capture_default_str()
                                         ->check(CLI::Range(1, 1 << 20));
  server_flags["idle"] =
      sub->add_option("--idle", c.idle_s,
                      "Measure idle power for this many seconds at start (dynamic energy per "
                      "request)")
          ->check(CLI::Range(0.0, 3600.0));
  server_flags["interval"] =
      sub->add_option("--interval", c.interval_ms, "Meter sampling interval in ms")
          ->capture_default_str()
          ->check(CLI::Range(1.0, 60'000.0));
  f->given = [server_flags](std::string_view key) {
    const auto it = server_flags.find(std::string(key));
    return it != server_flags.end() && it->second->count() > 0;
  };
  add_carbon_flags(sub, f->carbon);
  add_sensor_flags(sub, f->sensors);
  add_adapt_flags(sub, f->adapt);
  return {sub, [f] { return run_serve(*f); }};
}

}  // namespace wattserve::cli
