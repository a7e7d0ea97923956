// `wattserve run --model NAME|PATH [--engine E] [--provider P] ...`: loads one model on one
// runtime engine and execution provider, runs it once under the meter and prints the output with
// its latency, throughput and energy (per run and per token or item) as text or --json.
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
#include "cli/sensor_options.h"
#include "cli/text_output.h"
#include "energy/sensors/discovery.h"
#include "energy/core/meter.h"
#include "engine/engines.h"
#include "run/npy.h"
#include "run/run.h"
#include "zoo/zoo.h"

namespace wattserve::cli {

namespace {

struct RunFlags {
  std::string model, engine, provider = "cpu", quant, zoo, tokenizer;
  int threads = 0;
  int context = 0;
  std::string kv_cache = "f32";
  // text
  std::string prompt, prompt_file;
  engine::SamplingParams sampling;
  std::int64_t seed = -1;
  bool greedy = false;
  // tensor
  std::vector<std::string> inputs;
  std::string labels;
  int batch = 0, repeat = 1;
  int warmup = 0;
  // measurement and output
  SensorFlags sensors;
  CarbonFlags carbon;
  double interval_ms = 1000, idle_s = 0;
  bool json = false, quiet = false;
};

// Everything measured, for the text and JSON outputs.
struct Report {
  nlohmann::json j;
  energy::WindowReport energy;
};

nlohmann::json energy_json(const energy::WindowReport& w, const energy::CarbonIntensity& c,
                           double pue) {
  nlohmann::json domains = nlohmann::json::array();
  for (const auto& d : w.domains) {
    domains.push_back({{"id", d.id},
                       {"source", energy::to_string(d.source)},
                       {"counted", d.counted},
                       {"joules", d.joules},
                       {"avg_watts", d.avg_watts}});
  }
  return {{"joules", w.joules},
          {"dynamic_joules", w.has_baseline ? nlohmann::json(w.dynamic_joules) : nullptr},
          {"avg_watts", w.avg_watts},
          {"duration_s", w.duration_s},
          {"source", energy::to_string(w.source)},
          {"domains", domains},
          {"emissions_kg", energy::emissions_kg(w.joules, c, pue)},
          {"carbon_intensity_g_per_kwh", c.g_per_kwh},
          {"carbon_source", c.source},
          {"pue", pue}};
}

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
  Report r;
  r.energy = run.energy;
  r.j = {{"kind", "text"},
         {"prompt", prompt},
         {"text", run.result.text},
         {"prompt_tokens", run.prompt_tokens},
         {"prompt_token_ids", model.tokenize(prompt)},
         {"output_tokens", s.output_tokens},
         {"token_ids", run.result.tokens},
         {"stop_reason", engine::to_string(run.result.reason)},
         {"warmup_runs", f.warmup},
         {"ttft_s", run.ttft_s},
         {"total_s", run.total_s},
         {"tpot_s", num(s.tpot_s)},
         {"tokens_per_s", num(s.tokens_per_s)},
         {"decode_tokens_per_s", num(s.decode_tokens_per_s)},
         {"joules_per_token", num(s.joules_per_token)},
         {"dynamic_joules_per_token",
          run.energy.has_baseline ? num(s.dynamic_joules_per_token) : nlohmann::json(nullptr)},
         {"sampling",
          {{"max_tokens", p.max_tokens},
           {"temperature", p.temperature},
           {"top_k", p.top_k},
           {"top_p", p.top_p},
           {"seed", p.seed == engine::SamplingParams::kRandomSeed ? nlohmann::json(nullptr)
                                                                  : nlohmann::json(p.seed)},
           {"stop", p.stop},
           {"ignore_eos", p.ignore_eos}}}};
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
  const int batch = f.batch > 0 ? f.batch : static_cast<int>(std::max<std::int64_t>(1, rows));
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
  r.j = {{"kind", "tensor"},
         {"items", run.items},
         {"batch_size", run.batch_size},
         {"repeats", run.repeats},
         {"batches", run.batches},
         {"outputs", outputs},
         {"warmup_runs", f.warmup},
         {"first_batch_s", run.first_batch_s},
         {"total_s", run.total_s},
         {"items_per_s", num(s.items_per_s)},
         {"joules_per_item", num(s.joules_per_item)},
         {"dynamic_joules_per_item",
          run.energy.has_baseline ? num(s.dynamic_joules_per_item) : nlohmann::json(nullptr)}};
  if (!labels_path.empty()) {
    const auto labels = run::read_npy(labels_path);
    const auto& first = run.outputs.begin()->second;
    r.j["accuracy"] = run::argmax_accuracy(first, labels);
    r.j["labels"] = labels_path;
  }
  if (!f.inputs.empty())
    r.j["inputs"] = f.inputs;
  else if (entry)
    r.j["inputs"] = {entry->sample_input};
  return r;
}

void print_text_report(const nlohmann::json& j, const energy::WindowReport& w) {
  eprint("\nwattserve run: {} on {} ({}) -- {}\n", j["model"].get<std::string>(),
         j["engine"].get<std::string>(), j["provider"].get<std::string>(),
         j["file"].get<std::string>());
  const auto opt = [](const nlohmann::json& x, const char* unit) {
    return x.is_null() ? std::string("n/a") : fmt::format("{:.2f} {}", x.get<double>(), unit);
  };
  const auto secs = [](const nlohmann::json& x) {
    return x.is_null() ? std::string("n/a") : format_seconds(x.get<double>());
  };
  if (j["kind"] == "text") {
    eprint("  tokens      {} prompt + {} generated (stop: {})\n", j["prompt_tokens"].get<int>(),
           j["output_tokens"].get<int>(), j["stop_reason"].get<std::string>());
    eprint("  latency     TTFT {}, time per output token {}, total {}\n", secs(j["ttft_s"]),
           secs(j["tpot_s"]), secs(j["total_s"]));
    eprint("  throughput  {} overall, {} decode\n", opt(j["tokens_per_s"], "tokens/s"),
           opt(j["decode_tokens_per_s"], "tokens/s"));
    eprint("  energy      {} per run, {} per token", format_joules(w.joules),
           j["joules_per_token"].is_null() ? "n/a" : format_joules(j["joules_per_token"]));
  } else {
    eprint("  items       {} x {} repeats in {} batches of up to {}\n", j["items"].get<int>(),
           j["repeats"].get<int>(), j["batches"].get<int>(), j["batch_size"].get<int>());
    if (j.contains("accuracy"))
      eprint("  accuracy    {:.4f} (argmax vs labels)\n", j["accuracy"].get<double>());
    eprint("  latency     first batch {}, total {}\n", secs(j["first_batch_s"]),
           secs(j["total_s"]));
    eprint("  throughput  {}\n", opt(j["items_per_s"], "items/s"));
    eprint("  energy      {} per run, {} per item", format_joules(w.joules),
           j["joules_per_item"].is_null() ? "n/a" : format_joules(j["joules_per_item"]));
  }
  eprint("  (average {:.2f} W, source: {})\n", w.avg_watts, energy::to_string(w.source));
  if (w.has_baseline) eprint("  above idle  {}\n", format_joules(w.dynamic_joules));
  const auto& e = j["energy"];
  eprint("  emissions   {} CO2e at {:.0f} gCO2e/kWh [{}]\n", format_mass(e["emissions_kg"]),
         e["carbon_intensity_g_per_kwh"].get<double>(), e["carbon_source"].get<std::string>());
}

int run_run(const RunFlags& f) {
  const std::string zoo_dir = f.zoo.empty() ? zoo::default_zoo_dir() : f.zoo;
  zoo::Resolved where;
  energy::CarbonIntensity carbon;
  std::unique_ptr<energy::Meter> meter;
  try {
    where = zoo::resolve(f.model, f.engine, f.quant, zoo_dir);
    if (where.entry && where.entry->kind == "ocr") {
      throw std::invalid_argument(
          fmt::format("{} is a two-stage OCR pipeline (detection, then recognition): run it with "
                      "`wattserve ocr IMAGE...`",
                      where.entry->model));
    }
    carbon = energy::resolve_carbon(f.carbon.settings());
  } catch (const std::exception& e) {
    eprint("wattserve run: {}\n", e.what());
    return 2;
  }
  try {
    meter = make_meter(f.sensors, f.interval_ms);
  } catch (const std::exception& e) {
    eprint("wattserve run: sensors: {}\n", e.what());
    return 1;
  }

  engine::LoadOptions lo;
  lo.provider = f.provider;
  lo.threads = f.threads;
  lo.tokenizer = f.tokenizer;
  lo.context_length = f.context;
  lo.f32_kv_cache = f.kv_cache == "f32";
  std::unique_ptr<engine::Model> model;
  try {
    model = engine::load_engine(where.engine).load(where.path, lo);
  } catch (const engine::EngineError& e) {
    eprint("wattserve run: {}\n", e.what());
    const bool user_error = e.kind() == engine::EngineError::Kind::kNotFound ||
                            e.kind() == engine::EngineError::Kind::kBadFormat ||
                            e.kind() == engine::EngineError::Kind::kUnknownProvider;
    return user_error ? 2 : 1;
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
  r.j["model"] = where.entry ? where.entry->model : f.model;
  r.j["file"] = where.path;
  r.j["engine"] = where.engine;
  r.j["provider"] = model->provider();
  if (where.entry) {
    r.j["zoo_entry"] = where.entry->name;
    r.j["format"] = where.entry->format;
  }
  r.j["energy"] = energy_json(r.energy, carbon, f.carbon.pue);
  if (f.json) {
    fmt::print("{}\n", r.j.dump(2));
  } else if (!f.quiet) {
    print_text_report(r.j, r.energy);
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
  sub->add_option("-m,--model", f->model,
                  "A zoo model name (pycode-tiny|small|base, fmnist-cnn-tiny|small|base; see "
                  "ZOO/manifest.json) or a model file path")
      ->required();
  sub->add_option("-e,--engine", f->engine,
                  "llama, onnx or torch (default: llama for GGUF families, else onnx; for a "
                  "path, from its extension)")
      ->check(CLI::IsMember({"llama", "onnx", "torch"}));
  sub->add_option("--provider", f->provider,
                  "Execution provider (`wattserve engines` lists them per engine)")
      ->capture_default_str();
  sub->add_option("--quant", f->quant,
                  "GGUF file of a zoo model for llama: f32, f16, q8_0 or q4_0 (default: f32 "
                  "when the model has it, else its only GGUF)")
      ->check(CLI::IsMember({"f32", "f16", "q8_0", "q4_0"}));
  sub->add_option("--zoo", f->zoo,
                  "Model zoo folder (default: $WATTSERVE_ZOO, else the built one)");
  sub->add_option("--threads", f->threads, "CPU threads for the engine (0: all hardware threads)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  sub->add_option("--context", f->context,
                  "Text models: tokens of context (prompt + output) to allocate; 0: the model's "
                  "trained context, at most 4096")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 20));
  sub->add_option(
         "--kv-cache", f->kv_cache,
         "llama: KV cache precision. f32 (flash attention off) gives the logits of the "
         "f32 ONNX Runtime and LibTorch engines, so greedy decoding yields the same tokens "
         "on all three; f16 is llama.cpp's default (half the KV memory, flash attention)")
      ->capture_default_str()
      ->check(CLI::IsMember({"f32", "f16"}));
  sub->add_option("--tokenizer", f->tokenizer,
                  "SentencePiece model for onnx/torch text models (default: the one the model "
                  "file names)");

  const char* text = "Text generation";
  sub->add_option("-p,--prompt", f->prompt, "The prompt")->group(text);
  sub->add_option("--prompt-file", f->prompt_file, "Read the prompt from this file")->group(text);
  auto& s = f->sampling;
  sub->add_option("-n,--max-tokens", s.max_tokens, "Tokens to generate at most")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20))
      ->group(text);
  sub->add_option("--temperature", s.temperature, "Sampling temperature; 0 is greedy")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0))
      ->group(text);
  sub->add_option("--top-k", s.top_k, "Keep the k most likely tokens; 0 is off")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 24))
      ->group(text);
  sub->add_option("--top-p", s.top_p, "Nucleus sampling mass in (0, 1]; 1 is off")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group(text);
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
  sub->add_option("-b,--batch", f->batch, "Rows per run() call (default: all in one batch)")
      ->check(CLI::Range(1, 1 << 20))
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
  sub->add_option("--interval", f->interval_ms,
                  "Meter background sampling interval in ms. The run's start and end take "
                  "samples of their own, so counters and the estimate need none in between; "
                  "shorter intervals help power-integrating sensors but disturb small models on "
                  "few cores")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 60'000.0));
  sub->add_option("--idle", f->idle_s,
                  "Measure idle power for this many seconds first and also report energy above it")
      ->check(CLI::Range(0.0, 3600.0));
  sub->add_flag("--json", f->json, "Print one JSON object on stdout instead of text");
  sub->add_flag("-q,--quiet", f->quiet, "Print nothing (exit code only)");
  add_carbon_flags(sub, f->carbon);
  add_sensor_flags(sub, f->sensors);
  return {sub, [f] { return run_run(*f); }};
}

}  // namespace wattserve::cli
