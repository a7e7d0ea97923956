// ServedRunner: bench runs against a server (served_runner.h).
#include "bench/served_runner.h"

#include <fmt/format.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "bench/design.h"
#include "bench/load/arrivals.h"
#include "bench/load/client.h"
#include "bench/load/load_metrics.h"
#include "bench/load/loadgen.h"
#include "bench/load/prometheus_scrape.h"
#include "bench/load/prompts.h"
#include "bench/load/server_process.h"
#include "bench/load/trace.h"
#include "engine/engines.h"
#include "model/model_spec.h"

namespace wattserve::bench {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("wattserve") : p.string();
}

// The first model id of GET /v1/models.
std::string served_model_name(const std::string& url) {
  const auto [origin, path] = load::split_url(url);
  httplib::Client c(origin);
  c.set_connection_timeout(5);
  c.set_read_timeout(30);
  auto res = c.Get("/v1/models");
  if (!res || res->status != 200) {
    throw std::runtime_error(
        fmt::format("GET {}/v1/models failed ({}): set target.model_name", origin,
                    res ? fmt::format("HTTP {}", res->status) : httplib::to_string(res.error())));
  }
  const json j = json::parse(res->body, nullptr, false);
  if (j.is_object() && j.contains("data") && j["data"].is_array() && !j["data"].empty() &&
      j["data"][0].contains("id") && j["data"][0]["id"].is_string()) {
    return j["data"][0]["id"].get<std::string>();
  }
  throw std::runtime_error(
      fmt::format("GET {}/v1/models names no model: set target.model_name", origin));
}

load::LengthControl length_control(const load::ServingSpec& s) {
  if (s.target.length_control != "auto") return load::parse_length_control(s.target.length_control);
  return s.target.kind == "serve" ? load::LengthControl::kExtension
                                  : load::LengthControl::kIgnoreEos;
}

std::string resolve_path(const std::string& p, const std::string& base) {
  if (p.empty() || fs::path(p).is_absolute() || base.empty()) return p;
  return (fs::path(base) / p).string();
}

}  // namespace

void check_served(const Study& study) {
  const std::string base = fs::path(study.path).parent_path().string();
  std::set<std::size_t> seen;
  for (const auto& r : plan_study(study).runs) {
    if (!seen.insert(r.config_index).second) continue;
    const auto settings = run_settings(study, r.config);
    const auto& sv = settings.serving;
    if (!sv.served()) continue;
    load::validate(sv);
    if (sv.target.kind == "url") load::split_url(sv.target.url);
    if (sv.target.kind == "external") {  // every placeholder known
      std::map<std::string, std::string> dummy;
      for (const char* k : {"port", "model_file", "threads", "parallel", "context", "context_total",
                            "kv_cache", "llama_server"}) {
        dummy[k] = "x";
      }
      expand_command(sv.target.command, dummy);
    }
    if (sv.load.kind == "trace") {
      const auto& ld = sv.load;
      load::window_trace(load::load_trace(resolve_path(ld.trace, base)),
                         {ld.start_s, ld.duration_s, ld.time_scale, ld.rate_scale});
    }
  }
}

std::string llama_server_path() {
  if (const char* e = std::getenv("WATTSERVE_LLAMA_SERVER"); e && *e) return e;
  const char* d = std::getenv("WATTSERVE_DEPS");
  const std::string deps = d && *d ? d : "/opt/wattserve-deps";
  return deps + "/llama.cpp/bench-build/bin/llama-server";
}

std::vector<std::string> expand_command(const std::string& command,
                                        const std::map<std::string, std::string>& values) {
  std::string s;
  for (std::size_t i = 0; i < command.size();) {
    if (command[i] == '{') {
      const auto close = command.find('}', i);
      if (close == std::string::npos) {
        throw std::invalid_argument("target.command: a '{' without its '}'");
      }
      const std::string name = command.substr(i + 1, close - i - 1);
      const auto it = values.find(name);
      if (it == values.end()) {
        std::string known;
        for (const auto& [k, v] : values) known += (known.empty() ? "" : ", ") + ("{" + k + "}");
        throw std::invalid_argument(
            fmt::format("target.command: unknown placeholder {{{}}} (known: {})", name, known));
      }
      s += it->second;
      i = close + 1;
    } else {
      s += command[i++];
    }
  }
  std::vector<std::string> argv;
  std::string cur;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n') {
      if (!cur.empty()) argv.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) argv.push_back(std::move(cur));
  if (argv.empty()) throw std::invalid_argument("target.command is empty");
  return argv;
}

struct ServedRunner::Tokenizer {
  model::LoadedModel loaded;  // model null: no tokenizer (approximate prompts)
  std::string note;
};

// Where the meter's interval listener finds the process tree of the current run. Shared with
// the listener, so a sample after the runner is gone finds it empty rather than dangling.
struct ServedRunner::Slot {
  std::mutex mu;
  std::unique_ptr<energy::ProcessAttribution> current;
};

ServedRunner::ServedRunner(energy::Meter& meter) : meter_(meter) {
  auto slot = std::make_shared<Slot>();
  slot_ = slot;
  meter_.add_listener([slot](int64_t t0, int64_t t1, std::span<const double> d) {
    std::lock_guard lk(slot->mu);
    if (slot->current) slot->current->on_interval(t0, t1, d);
  });
}

ServedRunner::~ServedRunner() = default;

const engine::TextModel* ServedRunner::tokenizer(const model::ModelSpec& spec, std::string& note) {
  const std::string key = model::to_json(spec).dump();
  auto& t = tokenizers_[key];
  if (!t) {
    t = std::make_unique<Tokenizer>();
    try {
      auto where = model::resolve(spec);
      auto opts = model::load_options(spec);
      opts.vocab_only = where.engine == "llama";
      opts.threads = 1;
      auto& factory = engine::load_engine(where.engine);
      t->loaded.model = factory.load(where.path, opts);
      t->loaded.where = std::move(where);
      if (t->loaded.model->kind() != engine::ModelKind::kTextGeneration) {
        throw std::invalid_argument("not a text model");
      }
      t->note = fmt::format("exact: the {} tokenizer of {}", t->loaded.where.engine,
                            t->loaded.where.path);
    } catch (const std::exception& e) {
      t->loaded.model.reset();
      t->note = fmt::format("approximate ({} characters per token): no tokenizer ({})",
                            load::kCharsPerToken, e.what());
    }
  }
  note = t->note;
  return t->loaded.model ? &t->loaded.model->text() : nullptr;
}

RunMeasurement ServedRunner::run(const RunPlan& plan) {
  const auto& sv = plan.serving;
  load::validate(sv);
  validate(plan.workload);
  auto& clock = *meter_.options().clock;
  const auto& spec = plan.spec;
  RunMeasurement m;

  // The prompts: the workload's text, cut to the requested lengths.
  std::string tok_note;
  const engine::TextModel* tok = spec.model.empty() ? nullptr : tokenizer(spec, tok_note);
  if (spec.model.empty()) tok_note = "approximate: no model given";
  WorkloadContext ctx;
  ctx.model_kind = WorkloadKind::kText;
  ctx.model_name = spec.model;
  ctx.zoo_dir = spec.zoo;
  ctx.base_dir = plan.base_dir;
  const Workload w = load_workload(plan.workload, ctx);
  const load::PromptBuilder prompts(w, tok);
  const int context = spec.context > 0 ? spec.context
                      : tok            ? std::min(tok->context_length(), 4096)
                                       : 2048;
  const int room = context - 1;  // a BOS token may come first

  // The requests and their schedule.
  std::vector<load::LoadRequest> reqs;
  const auto& ld = sv.load;
  const auto seed = static_cast<std::uint64_t>(ld.seed);
  const auto add = [&](double t_s, int in, int out) {
    load::LoadRequest r;
    r.index = reqs.size();
    r.input_tokens = in;
    r.output_tokens = out;
    r.max_tokens = ld.max_tokens > 0 ? ld.max_tokens : std::max(out, room - in);
    r.scheduled_ns = static_cast<int64_t>(t_s * 1e9);
    r.prompt = prompts.build(r.index, in, seed);
    reqs.push_back(std::move(r));
  };
  json load_info = {{"kind", ld.kind}};
  if (ld.kind == "trace") {
    const std::string path = resolve_path(ld.trace, plan.base_dir);
    auto trace = load::window_trace(load::load_trace(path),
                                    {ld.start_s, ld.duration_s, ld.time_scale, ld.rate_scale});
    const std::size_t in_window = trace.size();
    if (trace.size() > static_cast<std::size_t>(load::kMaxRequests)) {
      trace.resize(static_cast<std::size_t>(load::kMaxRequests));
    }
    if (ld.requests > 0 && trace.size() > static_cast<std::size_t>(ld.requests)) {
      trace.resize(static_cast<std::size_t>(ld.requests));
    }
    load::TokenBudget budget;
    budget.context = room;
    budget.max_output = ld.max_tokens > 0 ? std::min(ld.max_tokens, room - 1) : room / 2;
    const auto changed = load::fit_tokens(trace, load::parse_token_map(ld.token_map), budget);
    for (const auto& t : trace) add(t.t_s, t.input_tokens, t.output_tokens);
    load_info["trace"] = path;
    load_info["trace_requests_in_window"] = in_window;
    load_info["token_map"] = ld.token_map;
    load_info["token_budget"] = {{"context", budget.context}, {"max_output", budget.max_output}};
    load_info["requests_changed_by_token_map"] = changed;
    load_info["schedule_span_s"] = trace.empty() ? 0.0 : trace.back().t_s;
  } else {
    if (ld.input_tokens + ld.output_tokens > room) {
      throw std::invalid_argument(fmt::format(
          "load.input_tokens + load.output_tokens = {} does not fit the model's context of {} "
          "tokens per sequence (set model.context or shorten them)",
          ld.input_tokens + ld.output_tokens, context));
    }
    std::vector<double> times;
    if (ld.kind == "closed") {
      times.assign(static_cast<std::size_t>(std::max(1, ld.requests)), 0.0);
      load_info["streams"] = ld.streams;
    } else {
      load::ArrivalSpec a;
      a.kind = load::parse_arrival_kind(ld.kind);
      a.rate = ld.rate;
      a.cv = ld.cv;
      a.seed = seed;
      times = ld.duration_s > 0
                  ? load::arrival_times_for(a, ld.duration_s,
                                            ld.requests > 0 ? static_cast<std::size_t>(ld.requests)
                                                            : std::size_t{load::kMaxRequests})
                  : load::arrival_times(a, static_cast<std::size_t>(std::max(1, ld.requests)));
      load_info["rate"] = ld.rate;
      if (ld.kind == "gamma") load_info["cv"] = ld.cv;
    }
    for (double t : times) add(t, ld.input_tokens, ld.output_tokens);
  }
  if (reqs.empty()) throw std::invalid_argument("the load has no requests");
  load_info["requests"] = reqs.size();

  // The target.
  std::unique_ptr<load::ServerProcess> server;
  std::string url = sv.target.url;
  std::vector<std::string> argv;
  zoo::Resolved where;
  if (!spec.model.empty()) where = model::resolve(spec);
  if (sv.target.kind == "serve" && spec.model.empty()) {
    throw std::invalid_argument("target.kind = \"serve\" needs a model (model = \"...\")");
  }
  if (sv.target.kind == "external" && where.path.empty() &&
      sv.target.command.find("{model_file}") != std::string::npos) {
    throw std::invalid_argument(
        "target.command uses {model_file}, which needs a model (model = \"...\")");
  }
  if (sv.target.kind == "serve" || sv.target.kind == "external") {
    const int port = load::free_port();
    url = fmt::format("http://127.0.0.1:{}", port);
    if (sv.target.kind == "serve") {
      argv = {self_exe(),   "serve",
              "--model",    spec.model,
              "--port",     std::to_string(port),
              "--threads",  std::to_string(spec.threads),
              "--parallel", std::to_string(spec.parallel),
              "--kv-cache", spec.kv_cache,
              "--provider", spec.provider,
              "--schedule", sv.serve.schedule};
      for (const auto& [flag, v] :
           std::vector<std::pair<std::string, std::string>>{{"--engine", spec.engine},
                                                            {"--quant", spec.quant},
                                                            {"--zoo", spec.zoo},
                                                            {"--tokenizer", spec.tokenizer}}) {
        if (!v.empty()) argv.insert(argv.end(), {flag, v});
      }
      if (spec.context > 0) argv.insert(argv.end(), {"--context", std::to_string(spec.context)});
      if (sv.serve.max_queue > 0) {
        argv.insert(argv.end(), {"--max-queue", std::to_string(sv.serve.max_queue)});
      }
      if (sv.serve.adapt) {
        if (!(sv.slo.e2e_s > 0) || sv.serve.adapt_profiles.empty()) {
          throw std::invalid_argument(
              "serve.adapt needs slo.e2e_s > 0 and serve.adapt_profiles (a profiles JSON)");
        }
        argv.insert(argv.end(), {"--adapt", "--adapt-profiles",
                                 resolve_path(sv.serve.adapt_profiles, plan.base_dir), "--slo-e2e",
                                 fmt::format("{}", sv.slo.e2e_s), "--adapt-period",
                                 fmt::format("{}", sv.serve.adapt_period_s)});
        if (!sv.serve.adapt_variants.empty()) {
          argv.insert(argv.end(), {"--adapt-variants", sv.serve.adapt_variants});
        }
      }
    } else {
      argv = expand_command(sv.target.command,
                            {{"port", std::to_string(port)},
                             {"model_file", where.path},
                             {"threads", std::to_string(spec.threads)},
                             {"parallel", std::to_string(spec.parallel)},
                             {"context", std::to_string(context)},
                             {"context_total", std::to_string(context * spec.parallel)},
                             {"kv_cache", spec.kv_cache},
                             {"llama_server", llama_server_path()}});
    }
    load::ServerProcessOptions po;
    po.argv = argv;
    po.log_path = plan.log_path;
    if (!plan.log_path.empty()) fs::create_directories(fs::path(plan.log_path).parent_path());
    try {
      server = std::make_unique<load::ServerProcess>(po);
    } catch (const std::system_error& e) {
      throw std::runtime_error(fmt::format("cannot start `{}`: {}{}", argv[0], e.what(),
                                           argv[0].find("llama-server") != std::string::npos
                                               ? " (scripts/setup.sh builds llama-server)"
                                               : ""));
    }
    load::wait_ready(*server, url, sv.target.ready_path, sv.target.ready_timeout_s, clock);
  }
  const std::string model_name =
      sv.target.model_name.empty() ? served_model_name(url) : sv.target.model_name;

  load::ClientOptions co;
  co.url = url;
  co.model = model_name;
  co.chat = ld.chat;
  co.stream = ld.stream;
  co.length = length_control(sv);
  co.sampling = plan.sampling;

  // Warm-up requests (not measured): the first request's shape.
  {
    load::Client c(co, clock);
    for (int k = 0; k < ld.warmup_requests; ++k) {
      load::LoadRequest r = reqs.front();
      r.prompt = prompts.build(1'000'000 + static_cast<std::size_t>(k), r.input_tokens, seed);
      const auto res = c.send(r);
      if (!res.ok()) {
        throw std::runtime_error(
            fmt::format("the warm-up request failed: {}{}", res.error,
                        server ? "; server log: " + server->log_tail(800) : ""));
      }
    }
  }

  json metrics_before, server_metrics = nullptr;
  std::map<std::string, double> scrape0;
  const bool scrape = sv.target.kind == "serve";
  if (scrape) {
    try {
      scrape0 = load::scrape_metrics(url);
    } catch (const std::exception& e) {
      server_metrics = {{"error", e.what()}};
    }
  }

  // The measured load.
  {
    std::lock_guard lk(slot_->mu);
    slot_->current = server ? std::make_unique<energy::ProcessAttribution>(
                                  "/proc", static_cast<int>(server->pid()), meter_.domains())
                            : nullptr;
  }
  const auto window = meter_.begin("bench-served-run", 0);
  load::LoadGenOptions lo;
  lo.streams = ld.kind == "closed" ? ld.streams : 0;
  lo.max_in_flight = ld.max_in_flight;
  load::LoadOutcome outcome;
  try {
    outcome = load::run_load(co, lo, reqs, clock);
  } catch (...) {
    meter_.end(window);
    throw;
  }
  m.energy = meter_.end(window);
  std::optional<energy::ProcessReport> process;
  {
    std::lock_guard lk(slot_->mu);
    if (slot_->current) process = slot_->current->report();
    slot_->current.reset();
  }
  if (scrape && server_metrics.is_null()) {
    try {
      server_metrics = load::metrics_delta(scrape0, load::scrape_metrics(url));
    } catch (const std::exception& e) {
      server_metrics = {{"error", e.what()}};
    }
  }
  std::string server_end;
  // A server that died mid-run refuses the requests after it at once, possibly before its exit
  // is complete (waitpid sees it a moment later): when requests failed without an answer, give
  // it up to 2 s to show whether it is gone.
  bool died = server && !server->running();
  if (server && !died &&
      std::any_of(outcome.results.begin(), outcome.results.end(),
                  [](const load::RequestResult& r) { return !r.ok() && r.http_status == 0; })) {
    for (int i = 0; i < 40 && !died; ++i) {
      clock.sleep_for(50'000'000);
      died = !server->running();
    }
  }
  if (server) server_end = server->stop(10);
  if (died) {
    throw RunFailed(
        fmt::format("the server exited during the run ({}): {}", server_end, server->log_tail(600)),
        m.energy);
  }

  // The figures.
  load::EnergyTrack track;
  std::vector<energy::Sample> samples;
  for (auto& s : meter_.timeline()) {
    if (s.t_ns < m.energy.begin_ns || s.t_ns > m.energy.end_ns) continue;
    double j = 0;
    for (std::size_t k = 0; k < s.joules.size() && k < meter_.domains().size(); ++k) {
      if (meter_.domains()[k].counted) j += s.joules[k];
    }
    track.t_ns.push_back(s.t_ns);
    track.joules.push_back(j);
    samples.push_back(std::move(s));
  }
  double fraction = std::numeric_limits<double>::quiet_NaN();
  if (process && process->domain_joules > 0) fraction = process->joules / process->domain_joules;
  const auto fig = load::load_figures(outcome, track, sv.slo, fraction);
  m.requests = load::request_table(outcome, fig);
  m.timeline = timeline_table(samples, meter_.domains(), m.energy.begin_ns);
  m.failed_requests = fig.metrics.value("requests_failed", std::size_t{0});

  const auto& e = m.energy;
  m.timings = {{"duration_s", e.duration_s},    {"ttft_s", fig.timings["ttft"]},
               {"tpot_s", fig.timings["tpot"]}, {"itl_s", fig.timings["itl"]},
               {"e2e_s", fig.timings["e2e"]},   {"lateness_ms", fig.pacing}};
  m.metrics = fig.metrics;
  m.metrics["joules"] = e.joules;
  m.metrics["dynamic_joules"] = e.has_baseline ? json(e.dynamic_joules) : json(nullptr);
  m.metrics["avg_watts"] = e.avg_watts;
  m.metrics["energy_source"] = energy::to_string(e.source);
  m.metrics["windows"] = fig.windows;

  const std::string name = !sv.target.name.empty() ? sv.target.name
                           : sv.target.kind == "serve"
                               ? "wattserve"
                               : (sv.target.kind == "external"
                                      ? fs::path(argv.empty() ? "" : argv[0]).filename().string()
                                      : url);
  std::string cmdline;
  for (const auto& a : argv) cmdline += (cmdline.empty() ? "" : " ") + a;
  m.model = {
      {"target", sv.target.kind}, {"server", name}, {"url", url}, {"served_model", model_name}};
  if (!cmdline.empty()) m.model["command"] = cmdline;
  if (!where.path.empty()) {
    m.model["file"] = where.path;
    m.model["engine"] = where.engine;
  }
  if (where.entry) m.model["zoo_entry"] = where.entry->name;
  m.workload = {{"name", w.name},    {"origin", w.origin},  {"kind", "text"},
                {"items", w.size()}, {"prompts", tok_note}, {"context", context}};
  m.serving = {{"target", {{"kind", sv.target.kind}, {"name", name}, {"url", url}}},
               {"load", load_info},
               {"length_control", load::to_string(co.length)},
               {"stream", ld.stream},
               {"pacing", fig.pacing},
               {"realtime_senders", outcome.realtime},
               {"windows", fig.windows},
               {"server_metrics", server_metrics}};
  if (!server_end.empty()) m.serving["target"]["ended"] = server_end;
  if (process) {
    m.serving["process"] = {{"root_pid", process->root_pid},
                            {"joules", process->joules},
                            {"fraction", json(std::isfinite(fraction) ? fraction : 0.0)},
                            {"tree_cpu_seconds", process->tree_cpu_seconds}};
  }
  if (fig.metrics.value("requests_ok", std::size_t{0}) == 0) {
    std::string first;
    for (const auto& r : outcome.results) {
      if (!r.ok()) {
        first = r.error;
        break;
      }
    }
    throw RunFailed(first.empty() ? "no request ran" : first, m.energy);
  }
  return m;
}

}  // namespace wattserve::bench
