// The serving fields of a bench run (serving_spec.h).
#include "bench/load/serving_spec.h"

#include <fmt/format.h>

#include <functional>
#include <stdexcept>

namespace wattserve::bench::load {

using nlohmann::json;

namespace {

struct Field {
  model::FieldInfo info;
  std::function<void(ServingSpec&, const json&)> set;
  std::function<json(const ServingSpec&)> get;
};

model::FieldInfo info(std::string name, std::string type, std::string help) {
  model::FieldInfo f;
  f.name = std::move(name);
  f.type = std::move(type);
  f.help = std::move(help);
  return f;
}

model::FieldInfo ranged(std::string name, std::string type, double min, double max,
                        std::string help, bool min_exclusive = false) {
  auto f = info(std::move(name), std::move(type), std::move(help));
  f.min = min;
  f.max = max;
  f.min_exclusive = min_exclusive;
  return f;
}

model::FieldInfo choice(std::string name, std::vector<std::string> choices, std::string help) {
  auto f = info(std::move(name), "string", std::move(help));
  f.choices = std::move(choices);
  return f;
}

model::FieldInfo any_string(std::string name, std::string help) {
  auto f = info(std::move(name), "string", std::move(help));
  f.allow_empty = true;
  return f;
}

// A field stored in member `m` of sub-struct `part` of ServingSpec.
template <class Part, class T>
Field field(model::FieldInfo fi, Part ServingSpec::*part, T Part::*m) {
  return {fi,
          [fi, part, m](ServingSpec& s, const json& v) {
            s.*part.*m = model::checked_value(fi, v).template get<T>();
          },
          [part, m](const ServingSpec& s) { return json(s.*part.*m); }};
}

const std::vector<Field>& table() {
  static const std::vector<Field> t = [] {
    using S = ServingSpec;
    std::vector<Field> v;
    v.push_back(field(choice("target.kind", {"engine", "serve", "external", "url"},
                             "engine: the model in-process; serve: `wattserve serve` started for "
                             "the run; external: target.command started for the run; url: a "
                             "server already running"),
                      &S::target, &TargetSpec::kind));
    v.push_back(field(any_string("target.name", "The target's label in tables (empty: derived)"),
                      &S::target, &TargetSpec::name));
    v.push_back(field(any_string("target.command",
                                 "external: the server command, with placeholders {port}, "
                                 "{model_file}, {threads}, {parallel}, {context}, "
                                 "{context_total}, {kv_cache}, {llama_server}"),
                      &S::target, &TargetSpec::command));
    v.push_back(field(any_string("target.url", "url: the server's base URL, http://HOST:PORT"),
                      &S::target, &TargetSpec::url));
    v.push_back(field(any_string("target.ready_path",
                                 "serve/external: the path that answers 200 once the server is "
                                 "ready"),
                      &S::target, &TargetSpec::ready_path));
    v.push_back(field(ranged("target.ready_timeout_s", "number", 0, 86400,
                             "serve/external: how long the server may take to get ready", true),
                      &S::target, &TargetSpec::ready_timeout_s));
    v.push_back(field(any_string("target.model_name",
                                 "The requests' \"model\" (empty: the first of GET /v1/models)"),
                      &S::target, &TargetSpec::model_name));
    v.push_back(field(
        choice("target.length_control", {"auto", "extension", "ignore_eos", "min_tokens", "none"},
               "How requests force their exact output length; auto: extension "
               "for serve, ignore_eos otherwise"),
        &S::target, &TargetSpec::length_control));
    v.push_back(field(choice("load.kind", {"closed", "constant", "poisson", "gamma", "trace"},
                             "closed loop (load.streams), open loop (load.rate) or trace replay "
                             "(load.trace)"),
                      &S::load, &LoadSpec::kind));
    v.push_back(field(ranged("load.streams", "integer", 1, 4096, "closed: concurrent streams"),
                      &S::load, &LoadSpec::streams));
    v.push_back(field(
        ranged("load.rate", "number", 0, 1e6, "constant/poisson/gamma: requests per second", true),
        &S::load, &LoadSpec::rate));
    v.push_back(field(ranged("load.cv", "number", 0, 100,
                             "gamma: coefficient of variation of the gaps (1: Poisson; vllm's "
                             "--burstiness b is cv = 1/sqrt(b))",
                             true),
                      &S::load, &LoadSpec::cv));
    v.push_back(field(ranged("load.requests", "integer", 0, kMaxRequests,
                             "requests per run (trace: at most, 0 = all in the window)"),
                      &S::load, &LoadSpec::requests));
    v.push_back(field(ranged("load.duration_s", "number", 0, 1e7,
                             "open loop: arrivals within this time (0: load.requests of them); "
                             "trace: the window's length (0: to the end)"),
                      &S::load, &LoadSpec::duration_s));
    v.push_back(
        field(any_string("load.trace", "trace: an Azure LLM trace CSV or a Mooncake JSONL file"),
              &S::load, &LoadSpec::trace));
    v.push_back(field(ranged("load.start_s", "number", 0, 1e9, "trace: the window's start (s)"),
                      &S::load, &LoadSpec::start_s));
    v.push_back(
        field(ranged("load.time_scale", "number", 0, 1e6,
                     "trace: stretches time (2: the same requests over twice the time)", true),
              &S::load, &LoadSpec::time_scale));
    v.push_back(field(
        ranged("load.rate_scale", "number", 0, 1e6, "trace: multiplies the arrival rate", true),
        &S::load, &LoadSpec::rate_scale));
    v.push_back(field(choice("load.token_map", {"clamp", "scale"},
                             "trace: fit token counts to the model's context by clamping each "
                             "or scaling all"),
                      &S::load, &LoadSpec::token_map));
    v.push_back(field(
        ranged("load.input_tokens", "integer", 1, 1 << 20, "closed/open: prompt length in tokens"),
        &S::load, &LoadSpec::input_tokens));
    v.push_back(field(ranged("load.output_tokens", "integer", 1, 1 << 20,
                             "closed/open: exact output length in tokens"),
                      &S::load, &LoadSpec::output_tokens));
    v.push_back(field(ranged("load.max_tokens", "integer", 0, 1 << 20,
                             "the cap sent as max_tokens (0: the model's context budget)"),
                      &S::load, &LoadSpec::max_tokens));
    v.push_back(field(info("load.stream", "boolean", "SSE streaming (TTFT and ITL need it)"),
                      &S::load, &LoadSpec::stream));
    v.push_back(
        field(info("load.chat", "boolean", "/v1/chat/completions instead of /v1/completions"),
              &S::load, &LoadSpec::chat));
    v.push_back(field(ranged("load.warmup_requests", "integer", 0, 10000,
                             "unmeasured requests once the server is ready"),
                      &S::load, &LoadSpec::warmup_requests));
    v.push_back(field(ranged("load.max_in_flight", "integer", 1, 65536,
                             "open loop: sender threads (requests in flight at most)"),
                      &S::load, &LoadSpec::max_in_flight));
    v.push_back(field(ranged("load.seed", "integer", 0, 9.2e18, "arrivals and prompt offsets"),
                      &S::load, &LoadSpec::seed));
    v.push_back(field(choice("serve.schedule", {"fcfs", "sjf", "oracle"},
                             "serve target: the scheduling policy (oracle reads the exact "
                             "output length: SJF's upper bound)"),
                      &S::serve, &ServeSpec::schedule));
    v.push_back(field(ranged("serve.max_queue", "integer", 0, 1e6,
                             "serve target: --max-queue (0: serve's default)"),
                      &S::serve, &ServeSpec::max_queue));
    v.push_back(field(info("serve.adapt", "boolean",
                           "serve target: serve --adapt (the online controller; needs slo.e2e_s "
                           "and serve.adapt_profiles)"),
                      &S::serve, &ServeSpec::adapt));
    v.push_back(field(any_string("serve.adapt_variants",
                                 "serve --adapt: other variants to load, QUANT[:THREADS],..."),
                      &S::serve, &ServeSpec::adapt_variants));
    v.push_back(field(any_string("serve.adapt_profiles",
                                 "serve --adapt: profiles JSON (relative to the study file)"),
                      &S::serve, &ServeSpec::adapt_profiles));
    v.push_back(field(ranged("serve.adapt_period_s", "number", 0.05, 3600,
                             "serve --adapt: seconds between decisions"),
                      &S::serve, &ServeSpec::adapt_period_s));
    v.push_back(field(ranged("slo.ttft_s", "number", 0, 1e6, "time to first token SLO (0: none)"),
                      &S::slo, &SloSpec::ttft_s));
    v.push_back(field(ranged("slo.tpot_s", "number", 0, 1e6, "time per output token SLO (0: none)"),
                      &S::slo, &SloSpec::tpot_s));
    v.push_back(field(ranged("slo.e2e_s", "number", 0, 1e6, "end-to-end latency SLO (0: none)"),
                      &S::slo, &SloSpec::e2e_s));
    const ServingSpec d;
    for (auto& f : v) f.info.default_value = f.get(d);
    return v;
  }();
  return t;
}

const Field* find(std::string_view key) {
  for (const auto& f : table())
    if (f.info.name == key) return &f;
  return nullptr;
}

}  // namespace

const std::vector<model::FieldInfo>& serving_fields() {
  static const std::vector<model::FieldInfo> v = [] {
    std::vector<model::FieldInfo> out;
    for (const auto& f : table()) out.push_back(f.info);
    return out;
  }();
  return v;
}

bool is_serving_field(std::string_view key) {
  return find(key) != nullptr;
}

void set_field(ServingSpec& spec, std::string_view key, const json& value) {
  const Field* f = find(key);
  if (!f) {
    std::string known;
    for (const auto& x : table()) known += (known.empty() ? "" : ", ") + x.info.name;
    throw std::invalid_argument(fmt::format("unknown field '{}' (known: {})", key, known));
  }
  f->set(spec, value);
}

json to_json(const ServingSpec& spec) {
  json j = json::object();
  for (const auto& f : table()) j[f.info.name] = f.get(spec);
  return j;
}

void validate(const ServingSpec& s) {
  const auto need = [](bool ok, const std::string& msg) {
    if (!ok) throw std::invalid_argument(msg);
  };
  const auto& t = s.target;
  need(t.kind != "external" || !t.command.empty(),
       "target.command: target.kind = \"external\" needs the server command");
  need(t.kind != "url" || !t.url.empty(), "target.url: target.kind = \"url\" needs the URL");
  need(s.load.kind != "trace" || !s.load.trace.empty(),
       "load.trace: load.kind = \"trace\" needs a trace file");
  need(s.load.max_tokens == 0 || s.load.output_tokens <= s.load.max_tokens,
       fmt::format("load.max_tokens: the cap ({}) is below load.output_tokens ({})",
                   s.load.max_tokens, s.load.output_tokens));
}

}  // namespace wattserve::bench::load
