// What a bench run against a server needs beyond the model specification: the target (the
// in-process engine, `wattserve serve` started per run, an external server command, or a URL),
// the load (closed loop, open-loop arrivals, trace replay; prompt and output lengths), serve's
// own options, and the latency SLOs. One table of fields, as model::model_spec_fields() is for
// the model: study sections [target], [load], [serve], [slo] set them, and study factors vary
// them by their dotted names ("load.streams", "target.kind"). docs/bench-serving.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "bench/load/load_metrics.h"
#include "model/model_spec.h"

namespace wattserve::bench::load {

// Requests in one run at most (each is planned, with its prompt, before the run starts).
inline constexpr int kMaxRequests = 1'000'000;

struct TargetSpec {
  std::string kind = "engine";  // engine (in-process), serve, external, url
  std::string name;             // label in tables; empty: wattserve / the command's name / url
  // external: the server command, split on spaces after placeholder substitution ({port},
  // {model_file}, {threads}, {parallel}, {context}, {context_total}, {kv_cache},
  // {llama_server}); docs/bench.md lists them.
  std::string command;
  std::string url;                     // url: the server's base URL (http://HOST:PORT)
  std::string ready_path = "/health";  // serve/external: GET answers 200 once ready
  double ready_timeout_s = 300;
  std::string model_name;  // the requests' "model"; empty: the first id of GET /v1/models
  // How requests force their exact output length (client.h); "auto": extension for serve,
  // ignore_eos otherwise.
  std::string length_control = "auto";
};

struct LoadSpec {
  std::string kind = "closed";  // closed, constant, poisson, gamma, trace
  int streams = 1;              // closed: concurrent streams
  double rate = 1;              // constant/poisson/gamma: requests per second
  double cv = 1;                // gamma: coefficient of variation of the gaps
  int requests = 50;            // requests per run (trace: at most; 0 = every one in the window)
  double duration_s = 0;        // open loop: arrivals within this time (0: `requests` of them);
                                // trace: the window's length (0: to the end)
  std::string trace;            // trace: Azure CSV or Mooncake JSONL file
  double start_s = 0;           // trace: the window's start
  double time_scale = 1;        // trace: stretches time
  double rate_scale = 1;        // trace: multiplies the rate
  std::string token_map = "clamp";  // trace: fit token counts to the model by clamp or scale
  int input_tokens = 32;            // closed/open: prompt length (tokens)
  int output_tokens = 64;           // closed/open: exact output length (tokens)
  int max_tokens = 0;               // the cap in max_tokens; 0: the model's context budget
  bool stream = true;               // SSE streaming (TTFT, ITL) or whole responses
  bool chat = false;                // /v1/chat/completions instead of /v1/completions
  int warmup_requests = 1;          // unmeasured requests after the server is ready
  int max_in_flight = 256;          // open loop: sender threads
  std::int64_t seed = 1;            // arrivals and prompt offsets
};

struct ServeSpec {
  std::string schedule = "fcfs";  // serve target: fcfs, sjf, oracle
  int max_queue = 0;              // serve target: --max-queue; 0: serve's default
  // serve --adapt (docs/adapt.md): the controller switches among the served model and these
  // variants ("QUANT[:THREADS],..."), with the profiles file; the SLO is slo.e2e_s.
  bool adapt = false;
  std::string adapt_variants;
  std::string adapt_profiles;
  double adapt_period_s = 2;
};

struct ServingSpec {
  TargetSpec target;
  LoadSpec load;
  ServeSpec serve;
  SloSpec slo;
  bool served() const { return target.kind != "engine"; }
};

// The fields, named "target.kind", "load.streams", ... (model::FieldInfo as the model's are).
const std::vector<model::FieldInfo>& serving_fields();
bool is_serving_field(std::string_view key);
// Sets one field from JSON; std::invalid_argument for an unknown key, a wrong type or a value
// out of range (as model::set_field).
void set_field(ServingSpec& spec, std::string_view key, const nlohmann::json& value);
// Every field, by name.
nlohmann::json to_json(const ServingSpec& spec);
// Cross-field checks a run needs (a command for external, a URL for url, a trace for trace,
// output_tokens <= max_tokens when a cap is set); std::invalid_argument naming the field.
void validate(const ServingSpec& spec);

}  // namespace wattserve::bench::load
