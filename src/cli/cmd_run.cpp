// `wattserve run --model NAME|PATH [--engine E] [--provider P] ...`: loads one model on one
// runtime engine and execution provider, runs it once under the meter and prints the output with
// its latency, throughput and energy (per run and per token or item) as text, or as a run record
// with --json (kind "run", docs/record.md).
// Exit codes: 0 done, 2 bad arguments or inputs, 1 the engine failed.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/carbon_options.h"
#include "cli/commands.h"
#include "cli/model_options.h"
#include "cli/sensor_options.h"
#include "cli/text_output.h"
#include "energy/core/meter.h"
#include "energy/exporters/run_summary.h"
#include "energy/sensors/discovery.h"
#include "engine/engines.h"
#include "model/model_spec.h"
#include "record/machine_info.h"
#include "record/run_record.h"
#include "run/npy.h"
#include "run/run.h"
#include "zoo/zoo.h"

namespace wattserve::cli {

namespace {

struct RunFlags {
  model::ModelSpec spec = model::default_model_spec();  // what to load and how (and --batch)
  // text
  std::string prompt, prompt_file;
  engine::SamplingParams sampling = model::default_sampling();
  std::int64_t seed = -1;
  bool greedy = false;
  // tensor
  std::vector<std::string> inputs;
  std::string labels;
  int repeat = 1;
  int warmup = 0;
  // measurement and output
  SensorFlags sensors;  // and --interval: sensors.meter.interval_ms
  CarbonFlags carbon;
  double idle_s = 0;
  bool json = false, quiet = false;
};

// Everything measured, for the text output and the run record: the blocks of the record that
// the model's kind fills (docs/record.md, "kind run").
struct Report {
  nlohmann::json config = nlohmann::json::object();  // model_kind, sampling or batching, warm-up
  nlohmann::json timings = nlohmann::json::object();
  nlohmann::json metrics = nlohmann::json::object();
  nlohmann::json output = nlohmann::json::object();  // what the model produced
  energy::WindowReport energy;
};

// NaN is not JSON: null instead.
nlohmann::json num(double x) {
  return std::isfinite(x) ? nlohmann::json(x) : nullptr;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(fmt::format("cannot read --prompt-file {}", path));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Report run_text_model(const RunFlags& f, engine::TextModel& model, energy::Meter& meter) {
  if (!f.prompt.empty() && !f.prompt_file.empty()) {
    throw std::invalid_argument("give --prompt or --prompt-file, not both");
  }
  const std::string prompt = f.prompt_file.empty() ? f.prompt : read_file(f.prompt_file);
  if (prompt.empty()) {
    throw std::invalid_argument("a text model needs a prompt: --prompt TEXT or --prompt-file FILE");
  }
  engine::SamplingParams p = f.sampling;
  if (f.greedy) p.temperature = 0;
  if (f.seed >= 0) p.seed = static_cast<std::uint32_t>(f.seed);
  for (int i = 0; i < f.warmup; ++i) model.generate(model.tokenize(prompt), p);
  const bool stream = !f.json && !f.quiet;
  if (stream) {
    std::fputs(prompt.c_str(), stdout);
    std::fflush(stdout);
  }
  auto run = run::run_text(model, prompt, p, meter, [&](engine::Token, std::string_view s) {
    if (stream) {
      std::fwrite(s.data(), 1, s.size(), stdout);
      std::fflush(stdout);
    }
    return true;
  });
  if (stream) std::fputs("\n", stdout);
  const auto s = run::text_stats(run);
  const auto prompt_ids = model.tokenize(prompt);
  const double in_tokens = static_cast<double>(run.prompt_tokens);
  const double n = s.output_tokens;
  const double e = run.energy.joules, dyn = run.energy.dynamic_joules;
  const bool base = run.energy.has_baseline;
  Report r;
  r.energy = run.energy;
  r.config = {{"model_kind", "text"},
              {"warmup_runs", f.warmup},
              {"sampling",
               {{"max_tokens", p.max_tokens},
                {"temperature", p.temperature},
                {"top_k", p.top_k},
                {"top_p", p.top_p},
                {"seed", p.seed == engine::SamplingParams::kRandomSeed ? nlohmann::json(nullptr)
                                                                       : nlohmann::json(p.seed)},
                {"stop", p.stop},
                {"ignore_eos", p.ignore_eos}}}};
  r.timings = {{"ttft_s", run.ttft_s}, {"tpot_s", num(s.tpot_s)}, {"total_s", run.total_s}};
  r.metrics = {
      {"input_tokens", run.prompt_tokens},
      {"output_tokens", s.output_tokens},
      {"output_tokens_per_s", num(s.tokens_per_s)},
      {"tokens_per_s", num((in_tokens + n) / run.total_s)},
      {"decode_tokens_per_s", num(s.decode_tokens_per_s)},
      {"joules_per_output_token", num(s.joules_per_token)},
      {"joules_per_token", num(e / (in_tokens + n))},
      {"dynamic_joules_per_output_token",
       base ? num(s.dynamic_joules_per_token) : nlohmann::json(nullptr)},
      {"dynamic_joules_per_token", base ? num(dyn / (in_tokens + n)) : nlohmann::json(nullptr)}};
  r.output = {{"prompt", prompt},
              {"prompt_token_ids", prompt_ids},
              {"text", run.result.text},
              {"token_ids", run.result.tokens},
              {"stop_reason", engine::to_string(run.result.reason)}};
  return r;
}

// --input NAME=FILE or FILE (the model's only input); none: the zoo model's pinned sample.
engine::NamedTensors tensor_inputs(const RunFlags& f, const engine::TensorModel& model,
                                   const std::optional<zoo::ZooEntry>& entry,
                                   std::string& labels_path) {
  const auto declared = model.inputs();
  engine::NamedTensors inputs;
  labels_path = f.labels;
  if (f.inputs.empty()) {
    if (!entry || entry->sample_input.empty() || declared.size() != 1) {
      throw std::invalid_argument(
          "a tensor model needs inputs: --input NAME=FILE.npy (or --input FILE.npy for a "
          "single-input model)");
    }
    inputs.emplace(declared[0].name, run::read_npy(entry->sample_input));
    if (labels_path.empty()) labels_path = entry->sample_labels;
    return inputs;
  }
  for (const auto& spec : f.inputs) {
    const auto eq = spec.find('=');
    std::string name = eq == std::string::npos ? "" : spec.substr(0, eq);
    const std::string file = eq == std::string::npos ? spec : spec.substr(eq + 1);
    if (name.empty()) {
      if (declared.size() != 1) {
        throw std::invalid_argument(fmt::format(
            "the model has {} inputs: name each with --input NAME=FILE.npy", declared.size()));
      }
      name = declared[0].name;
    }
    try {
      inputs[name] = run::read_npy(file);
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument(e.what());
    }
  }
  return inputs;
}

Report run_tensor_model(const RunFlags& f, engine::TensorModel& model,
                        const std::optional<zoo::ZooEntry>& entry, energy::Meter& meter) {
  std::string labels_path;
  const auto inputs = tensor_inputs(f, model, entry, labels_path);
  const std::int64_t rows =
      inputs.begin()->second.shape.empty() ? 0 : inputs.begin()->second.shape[0];
  const int batch =
      f.spec.batch > 0 ? f.spec.batch : static_cast<int>(std::max<std::int64_t>(1, rows));
  if (f.warmup > 0) {  // the same work, unmeasured: one pass per warm-up run
    engine::NamedTensors first;
    for (const auto& [name, t] : inputs) {
      first.emplace(name, run::slice_rows(t, 0, std::min<std::int64_t>(rows, batch)));
    }
    for (int i = 0; i < f.warmup; ++i) model.run(first);
  }
  const auto run = run::run_tensor(model, inputs, batch, f.repeat, meter);
  const auto s = run::tensor_stats(run);
  Report r;
  r.energy = run.energy;
  nlohmann::json outputs = nlohmann::json::object();
  for (const auto& [name, t] : run.outputs)
    outputs[name] = {{"shape", t.shape}, {"dtype", engine::to_string(t.dtype)}};
  nlohmann::json input_files = f.inputs;
  if (f.inputs.empty() && entry) input_files = {entry->sample_input};
  r.config = {
      {"model_kind", "tensor"},
      {"warmup_runs", f.warmup},
      {"inputs", input_files},
      {"input_rows", run.items},
      {"batch_size", run.batch_size},
      {"repeats", run.repeats},
      {"labels", labels_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(labels_path)}};
  r.timings = {{"first_batch_s", run.first_batch_s}, {"total_s", run.total_s}};
  r.metrics = {{"items", s.items},
               {"batches", run.batches},
               {"items_per_s", num(s.items_per_s)},
               {"joules_per_item", num(s.joules_per_item)},
               {"dynamic_joules_per_item", run.energy.has_baseline ? num(s.dynamic_joules_per_item)
                                                                   : nlohmann::json(nullptr)}};
  if (!labels_path.empty()) {
    const auto labels = run::read_npy(labels_path);
    const auto& first = run.outputs.begin()->second;
    r.metrics["accuracy"] = run::argmax_accuracy(first, labels);
  }
  r.output = {{"outputs", outputs}};
  return r;
}

void print_text_report(const nlohmann::json& rec, const energy::WindowReport& w) {
  const auto& c = rec["config"];
  const auto& t = rec["timings"];
  const auto& m = rec["metrics"];
  eprint("\nwattserve run: {} on {} ({}) -- {}\n", c["model"].get<std::string>(),
         c["engine"].get<std::string>(), c["provider"].get<std::string>(),
         c["file"].get<std::string>());
  const auto opt = [](const nlohmann::json& x, const char* unit) {
    return x.is_null() ? std::string("n/a") : fmt::format("{:.2f} {}", x.get<double>(), unit);
  };
  const auto secs = [](const nlohmann::json& x) {
    return x.is_null() ? std::string("n/a") : format_seconds(x.get<double>());
  };
  if (c["model_kind"] == "text") {
    eprint("  tokens      {} prompt + {} generated (stop: {})\n", m["input_tokens"].get<int>(),
           m["output_tokens"].get<int>(), rec["output"]["stop_reason"].get<std::string>());
    eprint("  latency     TTFT {}, time per output token {}, total {}\n", secs(t["ttft_s"]),
           secs(t["tpot_s"]), secs(t["total_s"]));
    eprint("  throughput  {} generated, {} decode\n", opt(m["output_tokens_per_s"], "tokens/s"),
           opt(m["decode_tokens_per_s"], "tokens/s"));
    const auto& per = m["joules_per_output_token"];
    eprint("  energy      {} per run, {} per output token", format_joules(w.joules),
           per.is_null() ? "n/a" : format_joules(per));
  } else {
    eprint("  items       {} x {} repeats in {} batches of up to {}\n", c["input_rows"].get<int>(),
           c["repeats"].get<int>(), m["batches"].get<int>(), c["batch_size"].get<int>());
    if (m.contains("accuracy"))
      eprint("  accuracy    {:.4f} (argmax vs labels)\n", m["accuracy"].get<double>());
    eprint("  latency     first batch {}, total {}\n", secs(t["first_batch_s"]),
           secs(t["total_s"]));
    eprint("  throughput  {}\n", opt(m["items_per_s"], "items/s"));
    eprint("  energy      {} per run, {} per item", format_joules(w.joules),
           m["joules_per_item"].is_null() ? "n/a" : format_joules(m["joules_per_item"]));
  }
  eprint("  (average {:.2f} W, source: {})\n", w.avg_watts, energy::to_string(w.source));
  if (w.has_baseline) eprint("  above idle  {}\n", format_joules(w.dynamic_joules));
  const auto& e = rec["carbon"];
  eprint("  emissions   {} CO2e at {:.0f} gCO2e/kWh [{}]\n", format_mass(e["emissions_kg"]),
         e["g_per_kwh"].get<double>(), e["source"].get<std::string>());
}

// The run record (kind "run") of a finished run. config: the model specification with what
// loading resolved (model, engine, provider, file), then the kind's own settings.
nlohmann::json run_record(const RunFlags& f, const model::LoadedModel& loaded,
                          const energy::Meter& meter, const energy::CarbonIntensity& carbon,
                          Report r) {
  const zoo::Resolved& where = loaded.where;
  auto rec = record::start_record("run", energy::make_uuid_v4());
  record::set_times(rec, r.energy);
  const auto idle = meter.idle_baseline();
  record::EnergyJsonOptions eo;
  eo.domains = &meter.domains();
  if (!idle.watts.empty()) eo.idle = &idle;
  rec["energy"] = record::energy_json(r.energy, eo);
  rec["carbon"] = record::carbon_json(r.energy.joules, carbon, f.carbon.pue);
  const auto sel = f.sensors.selection();
  rec["machine"] = record::machine_json(
      record::machine_info({sel.procfs_root, sel.sysfs_root}, meter.domains()));
  rec["software"] = record::software_json({{where.engine, loaded.engine_version}});
  nlohmann::json config = model::to_json(f.spec);
  config.update({{"model", where.entry ? where.entry->model : f.spec.model},
                 {"file", where.path},
                 {"engine", where.engine},
                 {"provider", loaded.model->provider()},
                 {"zoo_entry", where.entry ? nlohmann::json(where.entry->name) : nullptr},
                 {"format", where.entry ? nlohmann::json(where.entry->format) : nullptr},
                 {"meter_interval_ms", f.sensors.meter.interval_ms},
                 {"idle_s", f.idle_s}});
  config.update(r.config);
  rec["config"] = std::move(config);
  rec["timings"] = std::move(r.timings);
  rec["metrics"] = std::move(r.metrics);
  rec["output"] = std::move(r.output);
  return rec;
}

int run_run(const RunFlags& f) {
  energy::CarbonIntensity carbon;
  try {
    carbon = energy::resolve_carbon(f.carbon.settings());
  } catch (const std::exception& e) {
    eprint("wattserve run: {}\n", e.what());
    return 2;
  }
  model::LoadedModel loaded;
  try {
    loaded = model::load_model(f.spec);
  } catch (const engine::EngineError& e) {
    eprint("wattserve run: {}\n", e.what());
    return model::is_user_error(e) ? 2 : 1;
  } catch (const std::exception& e) {  // what the user can fix: unknown model, engine, quant
    eprint("wattserve run: {}\n", e.what());
    return 2;
  }
  const zoo::Resolved& where = loaded.where;
  std::unique_ptr<engine::Model>& model = loaded.model;
  std::unique_ptr<energy::Meter> meter;
  try {
    meter = energy::make_meter(f.sensors.meter);
  } catch (const std::exception& e) {
    eprint("wattserve run: sensors: {}\n", e.what());
    return 1;
  }
  meter->start();
  if (f.idle_s > 0) {
    if (!f.quiet) eprint("wattserve run: measuring idle power for {} s\n", f.idle_s);
    meter->set_idle_baseline(meter->measure_idle(static_cast<std::int64_t>(f.idle_s * 1e9)));
  }
  Report r;
  try {
    r = model->kind() == engine::ModelKind::kTextGeneration
            ? run_text_model(f, model->text(), *meter)
            : run_tensor_model(f, model->tensor(), where.entry, *meter);
  } catch (const std::invalid_argument& e) {
    eprint("wattserve run: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    eprint("wattserve run: {}\n", e.what());
    return 1;
  }
  meter->stop();
  const auto window = r.energy;
  const auto rec = run_record(f, loaded, *meter, carbon, std::move(r));
  if (f.json) {
    fmt::print("{}\n", rec.dump(2));
  } else if (!f.quiet) {
    print_text_report(rec, window);
  }
  return 0;
}

}  // namespace

Command add_run(CLI::App& app) {
  auto f = std::make_shared<RunFlags>();
  auto* sub = app.add_subcommand(
      "run",
      "Run one model once on one engine and provider, and report its output, latency, "
      "throughput and energy.\n"
      "  wattserve run --model pycode-small --engine onnx --prompt 'def '\n"
      "  wattserve run --model fmnist-cnn-base --engine torch --batch 16\n"
      "Text goes to stdout as it is generated, the report to stderr (--json: one JSON object "
      "on stdout). Exit codes: 0 done, 2 bad arguments or inputs, 1 the engine failed.");
  auto& spec = f->spec;
  add_field_flag(sub, "-m,--model", spec.model, "model",
                 "A zoo model name (pycode-tiny|small|base, fmnist-cnn-tiny|small|base; see "
                 "ZOO/manifest.json) or a model file path")
      ->required();
  add_field_flag(sub, "-e,--engine", spec.engine, "engine");
  add_field_flag(sub, "--provider", spec.provider, "provider");
  add_field_flag(sub, "--quant", spec.quant, "quant");
  add_field_flag(sub, "--zoo", spec.zoo, "zoo");
  add_field_flag(sub, "--threads", spec.threads, "threads");
  add_field_flag(sub, "--context", spec.context, "context");
  add_field_flag(sub, "--kv-cache", spec.kv_cache, "kv_cache");
  add_field_flag(sub, "--tokenizer", spec.tokenizer, "tokenizer");

  const char* text = "Text generation";
  sub->add_option("-p,--prompt", f->prompt, "The prompt")->group(text);
  sub->add_option("--prompt-file", f->prompt_file, "Read the prompt from this file")->group(text);
  auto& s = f->sampling;
  add_field_flag(sub, "-n,--max-tokens", s.max_tokens, "max_tokens")->group(text);
  add_field_flag(sub, "--temperature", s.temperature, "temperature")->group(text);
  add_field_flag(sub, "--top-k", s.top_k, "top_k")->group(text);
  add_field_flag(sub, "--top-p", s.top_p, "top_p")->group(text);
  sub->add_option("--seed", f->seed, "Sampling seed (default: random); same seed, same tokens")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{0xFFFFFFFE}))
      ->group(text);
  sub->add_option("--stop", s.stop, "Stop when the output contains this string (repeatable)")
      ->group(text);
  sub->add_flag("--ignore-eos", s.ignore_eos,
                "Keep generating past end-of-text, so that every run has max-tokens tokens")
      ->group(text);
  sub->add_flag("--greedy", f->greedy, "Greedy decoding (same as --temperature 0)")->group(text);

  const char* tensor = "Tensor inference";
  sub->add_option("-i,--input", f->inputs,
                  "NAME=FILE.npy per model input, or FILE.npy for a single-input model "
                  "(default for zoo classifiers: their pinned 64-image test sample)")
      ->group(tensor);
  sub->add_option("--labels", f->labels,
                  "int64 .npy labels [N]: report the argmax accuracy of the first output")
      ->group(tensor);
  add_field_flag(sub, "-b,--batch", spec.batch, "batch",
                 "Rows per run() call (0: all in one batch)")
      ->group(tensor);
  sub->add_option("--repeat", f->repeat, "Run all inputs this many times in the measured window")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20))
      ->group(tensor);

  sub->add_option("--warmup", f->warmup,
                  "Unmeasured runs of the same work first (JIT compilation, caches, lazy "
                  "allocation stay out of the figures)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  sub->add_option("--interval", f->sensors.meter.interval_ms,
                  "Meter background sampling interval in ms. The run's start and end take "
                  "samples of their own, so counters and the estimate need none in between; "
                  "power-integrating sensors (NVML, external meters) need samples during the run")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 60'000.0));
  sub->add_option("--idle", f->idle_s,
                  "Measure idle power for this many seconds first and also report energy above it")
      ->check(CLI::Range(0.0, 3600.0));
  sub->add_flag("--json", f->json,
                "Print the run record (one JSON object, docs/record.md) on stdout instead of text");
  sub->add_flag("-q,--quiet", f->quiet, "Print nothing (exit code only)");
  add_carbon_flags(sub, f->carbon);
  add_sensor_flags(sub, f->sensors);
  return {sub, [f] { return run_run(*f); }};
}

}  // namespace wattserve::cli
