// Runner: the in-process target of bench (runner.h).
#include "bench/runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <limits>
#include <mutex>
#include <stdexcept>

#include "bench/served_runner.h"
#include "engine/engines.h"
#include "serve/tensor_worker.h"
#include "serve/text_worker.h"
#if WATTSERVE_WITH_OCR
#include "ocr/evaluate.h"
#include "ocr/ocr.h"
#include "ocr/text_metrics.h"
#endif

namespace wattserve::bench {

using nlohmann::json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double div_or_nan(double a, double b) {
  return b > 0 ? a / b : kNaN;
}

double now_s(const energy::Clock& clock) {
  return energy::ns_to_s(clock.now_ns());
}

// {mean, p50, p90, p99} of a latency, in seconds.
json latency_stats(const std::vector<double>& xs) {
  return {{"mean", num(mean(xs))},
          {"p50", num(percentile(xs, 50))},
          {"p90", num(percentile(xs, 90))},
          {"p99", num(percentile(xs, 99))},
          {"n", xs.size()}};
}

}  // namespace

CsvTable timeline_table(const std::vector<energy::Sample>& samples,
                        const std::vector<energy::Domain>& domains, int64_t begin_ns) {
  CsvTable t;
  t.header = {"t_s", "wall_ns"};
  for (const auto& d : domains) {
    t.header.push_back(d.id + ".joules");
    t.header.push_back(d.id + ".watts");
  }
  const energy::Sample* prev = nullptr;
  for (const auto& s : samples) {
    std::vector<json> row = {energy::ns_to_s(s.t_ns - begin_ns), s.wall_ns};
    for (std::size_t i = 0; i < domains.size(); ++i) {
      const double j = i < s.joules.size() ? s.joules[i] : kNaN;
      double w = kNaN;
      if (prev && s.t_ns > prev->t_ns && i < prev->joules.size()) {
        w = (j - prev->joules[i]) / energy::ns_to_s(s.t_ns - prev->t_ns);
      }
      row.push_back(num(j));
      row.push_back(num(w));
    }
    t.add(row);
    prev = &s;
  }
  return t;
}

struct Runner::Target {
  model::ModelSpec spec;
  zoo::Resolved where;
  std::string engine_version;
  std::string provider;
  WorkloadKind kind = WorkloadKind::kText;
  std::unique_ptr<serve::TextWorker> text;
  std::unique_ptr<serve::TensorWorker> tensor;
  std::string input_name, output_name;
#if WATTSERVE_WITH_OCR
  std::unique_ptr<ocr::OcrPipeline> ocr;
#endif
  std::map<std::string, Workload> workloads;  // by the workload spec's JSON
  // Reference log-likelihoods, by workload key and item: scored once per model.
  std::map<std::pair<std::string, std::size_t>, LogLikelihood> scored;
  std::uint64_t last_used = 0;  // for evicting the least recently used
  ~Target() {
    if (text) text->shutdown();
    if (tensor) tensor->shutdown();
  }
};

Runner::Runner(energy::Meter& meter, energy::CarbonIntensity carbon, double pue)
    : meter_(meter), carbon_(std::move(carbon)), pue_(pue) {}

Runner::~Runner() = default;

std::string Runner::key(const model::ModelSpec& spec) {
  // `batch` only shapes the requests, not the loaded model.
  auto key_json = model::to_json(spec);
  key_json.erase("batch");
  return key_json.dump();
}

bool Runner::loaded(const model::ModelSpec& spec) const {
  return targets_.count(key(spec)) > 0;
}

Runner::Target& Runner::target(const model::ModelSpec& spec, double& load_s) {
  const std::string key = Runner::key(spec);
  load_s = 0;
  if (auto it = targets_.find(key); it != targets_.end()) {
    it->second->last_used = ++uses_;
    return *it->second;
  }
  // Keep at most kMaxLoaded models: the least recently used one goes first.
  while (targets_.size() >= kMaxLoaded) {
    auto lru = std::min_element(targets_.begin(), targets_.end(), [](const auto& a, const auto& b) {
      return a.second->last_used < b.second->last_used;
    });
    targets_.erase(lru);
  }
  const auto& clock = *meter_.options().clock;
  const double t0 = now_s(clock);
  auto t = std::make_unique<Target>();
  t->spec = spec;
  const std::string zoo_dir = spec.zoo.empty() ? zoo::default_zoo_dir() : spec.zoo;
  const auto where = zoo::resolve(spec.model, spec.engine, spec.quant, zoo_dir);
  if (where.entry && where.entry->kind == "ocr") {
#if WATTSERVE_WITH_OCR
    ocr::OcrOptions oo;
    oo.provider = spec.provider;
    oo.threads = spec.threads;
    auto& factory = engine::load_engine(where.engine);
    t->ocr = std::make_unique<ocr::OcrPipeline>(
        factory, std::filesystem::path(where.path).parent_path().string(), oo);
    t->where = where;
    t->engine_version = factory.version();
    t->provider = t->ocr->provider();
    t->kind = WorkloadKind::kOcr;
#else
    throw std::invalid_argument(
        fmt::format("{} is the OCR pipeline, and this wattserve was built without it "
                    "(WATTSERVE_WITH_OCR=OFF)",
                    spec.model));
#endif
  } else {
    auto loaded = model::load_model(spec);
    t->where = loaded.where;
    t->engine_version = loaded.engine_version;
    t->provider = loaded.model->provider();
    if (loaded.model->kind() == engine::ModelKind::kTextGeneration) {
      t->kind = WorkloadKind::kText;
      serve::TextWorkerOptions wo;
      wo.parallel = std::max(1, spec.parallel);
      wo.max_queue = static_cast<std::size_t>(wo.parallel) * 2 + 8;
      t->text = std::make_unique<serve::TextWorker>(spec.model, std::move(loaded.model), meter_,
                                                    carbon_, pue_, wo);
    } else {
      t->kind = WorkloadKind::kTensor;
      const auto ins = loaded.model->tensor().inputs();
      const auto outs = loaded.model->tensor().outputs();
      if (ins.size() != 1 || outs.empty()) {
        throw std::invalid_argument(
            fmt::format("{}: bench runs tensor models with one input (this one has {})", spec.model,
                        ins.size()));
      }
      t->input_name = ins[0].name;
      t->output_name = outs[0].name;
      serve::TensorWorkerOptions wo;
      // One request is one batch: the worker runs it alone, without waiting for company.
      wo.max_batch = std::numeric_limits<std::int32_t>::max();
      wo.max_wait_s = 0;
      t->tensor = std::make_unique<serve::TensorWorker>(spec.model, std::move(loaded.model), meter_,
                                                        carbon_, pue_, wo);
    }
  }
  versions_[where.engine] = t->engine_version;
  load_s = now_s(clock) - t0;
  t->last_used = ++uses_;
  return *targets_.emplace(key, std::move(t)).first->second;
}

const Workload& Runner::workload(const RunPlan& plan, Target& t) {
  const json key = {plan.workload.prompts, plan.workload.labels, plan.base_dir};
  const std::string k = key.dump();
  if (auto it = t.workloads.find(k); it != t.workloads.end()) return it->second;
  WorkloadContext ctx;
  ctx.model_kind = t.kind;
  ctx.model_name = plan.spec.model;
  ctx.entry = t.where.entry;
  ctx.zoo_dir = plan.spec.zoo;
  ctx.base_dir = plan.base_dir;
  return t.workloads.emplace(k, load_workload(plan.workload, ctx)).first->second;
}

namespace {

// A request's joules on one device (serve::DevicePart), null when the meter has no domain of it.
json device_joules(const std::vector<serve::DevicePart>* parts, std::string_view device) {
  if (parts == nullptr) return nullptr;
  for (const auto& p : *parts) {
    if (p.device == device) return p.joules;
  }
  return nullptr;
}

[[maybe_unused]] json device_joules_of(const energy::WindowReport& w, std::string_view device) {
  const auto parts = energy::device_parts(w);
  return device_joules(&parts, device);
}

// Requests go out while fewer than `requests` have been issued or the run is shorter than
// min_duration_s; the later of the two ends it.
struct Pacing {
  int requests;
  double min_duration_s;
  double start_s;
  bool more(int issued, double now) const {
    return issued < requests || now - start_s < min_duration_s;
  }
};

}  // namespace

RunMeasurement Runner::run(const RunPlan& plan) {
  if (plan.serving.served()) {
    if (!served_) served_ = std::make_unique<ServedRunner>(meter_);
    return served_->run(plan);
  }
  return run_in_process(plan);
}

RunMeasurement Runner::run_in_process(const RunPlan& plan) {
  validate(plan.workload);
  engine::validate(plan.sampling);
  RunMeasurement m;
  Target& t = target(plan.spec, m.load_s);
  const Workload& w = workload(plan, t);
  const auto& clock = *meter_.options().clock;

  m.model = {{"file", t.where.path},
             {"engine", t.where.engine},
             {"engine_version", t.engine_version},
             {"provider", t.provider},
             {"load_s", m.load_s}};
  if (t.where.entry) {
    m.model["zoo_entry"] = t.where.entry->name;
    m.model["format"] = t.where.entry->format;
    m.model["size"] = t.where.entry->size;
    m.model["parameters"] = t.where.entry->parameters;
    m.model["file_bytes"] = t.where.entry->file_bytes;
  }
  m.workload = {{"name", w.name},
                {"origin", w.origin},
                {"kind", to_string(w.kind)},
                {"items", w.size()},
                {"requests", plan.workload.requests},
                {"min_duration_s", plan.workload.min_duration_s}};

  m.requests.header = {"request",       "item",          "status",     "error",
                       "prompt_tokens", "output_tokens", "queue_s",    "ttft_s",
                       "tpot_s",        "e2e_s",         "joules",     "dynamic_joules",
                       "window_joules", "stop_reason",   "gpu_joules", "cpu_joules"};
  std::vector<double> ttft, tpot, e2e;
  double in_tokens = 0, out_tokens = 0, items = 0;
  std::size_t ok = 0;
  std::string first_error;
  ClassifierQuality cls;
#if WATTSERVE_WITH_OCR
  ocr::AccuracyTally ocr_tally;
#endif
  // A failed request keeps the energy its window was charged, when it had one.
  const auto fail = [&](std::size_t i, const std::string& id, const std::string& error,
                        const serve::RequestEnergy* e = nullptr) {
    ++m.failed_requests;
    if (first_error.empty()) first_error = error;
    m.requests.add({i, id, "failed", error, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                    e ? json(e->joules) : json(nullptr),
                    e && e->dynamic_joules >= 0 ? json(e->dynamic_joules) : json(nullptr),
                    e ? json(e->window_joules) : json(nullptr), nullptr,
                    device_joules(e ? &e->devices : nullptr, "gpu"),
                    device_joules(e ? &e->devices : nullptr, "cpu")});
  };

  const auto run_window = meter_.begin("bench-run", 0);
  const Pacing pace{plan.workload.requests, plan.workload.min_duration_s, now_s(clock)};
  int issued = 0;
  try {
    if (t.kind == WorkloadKind::kText) {
      // Closed loop: `parallel` requests in flight; a finished one is replaced at once.
      const int in_flight = std::max(1, t.text->parallel());
      // Shared with the jobs' on_done (called on the worker thread), so that it outlives this
      // loop even when the loop leaves by an exception.
      struct Done {
        std::mutex mu;
        std::condition_variable cv;
        std::deque<std::size_t> finished;
      };
      const auto done = std::make_shared<Done>();
      std::map<std::size_t,
               std::pair<std::shared_ptr<serve::TextJob>, std::future<serve::TextJobResult>>>
          open;
      // Leaving early: the jobs still in flight stop at their next token and are waited for, so
      // none runs into the next run's measurements.
      struct Drain {
        decltype(open)& jobs;
        ~Drain() {
          for (auto& [i, jf] : jobs) jf.first->cancelled = true;
          for (auto& [i, jf] : jobs) jf.second.wait();
        }
      } drain{open};
      while (true) {
        while (static_cast<int>(open.size()) < in_flight && pace.more(issued, now_s(clock))) {
          const std::size_t i = static_cast<std::size_t>(issued++);
          auto job = std::make_shared<serve::TextJob>();
          job->id = fmt::format("bench-{}", i);
          job->prompt = text_item(w, i).prompt;
          job->sampling = plan.sampling;
          job->on_done = [done, i] {
            std::lock_guard lk(done->mu);
            done->finished.push_back(i);
            done->cv.notify_all();
          };
          auto fut = job->result.get_future();
          if (!t.text->submit(job)) throw std::runtime_error("the text worker refused a request");
          open.emplace(i, std::make_pair(std::move(job), std::move(fut)));
        }
        if (open.empty()) break;
        std::size_t i;
        {
          std::unique_lock lk(done->mu);
          done->cv.wait(lk, [&] { return !done->finished.empty(); });
          i = done->finished.front();
          done->finished.pop_front();
        }
        auto node = open.extract(i);
        const auto r = node.mapped().second.get();
        const auto& item = text_item(w, i);
        if (r.error) {
          fail(i, item.id, r.error->what(), &r.energy);
          continue;
        }
        ++ok;
        const int n = static_cast<int>(r.gen.tokens.size());
        const double tp = n > 1 ? (r.total_s - r.ttft_s) / (n - 1) : kNaN;
        in_tokens += r.prompt_tokens;
        out_tokens += n;
        ttft.push_back(r.queue_s + r.ttft_s);
        e2e.push_back(r.queue_s + r.total_s);
        if (std::isfinite(tp)) tpot.push_back(tp);
        m.requests.add({i, item.id, "ok", "", r.prompt_tokens, n, r.queue_s, r.queue_s + r.ttft_s,
                        num(tp), r.queue_s + r.total_s, r.energy.joules,
                        r.energy.dynamic_joules < 0 ? json(nullptr) : json(r.energy.dynamic_joules),
                        r.energy.window_joules, engine::to_string(r.gen.reason),
                        device_joules(&r.energy.devices, "gpu"),
                        device_joules(&r.energy.devices, "cpu")});
      }
    } else if (t.kind == WorkloadKind::kTensor) {
      const std::int64_t rows = plan.spec.batch;
      while (pace.more(issued, now_s(clock))) {
        const std::size_t i = static_cast<std::size_t>(issued++);
        auto b = tensor_batch(w, t.input_name, i, rows);
        auto job = std::make_shared<serve::TensorJob>();
        job->id = fmt::format("bench-{}", i);
        job->inputs = std::move(b.inputs);
        job->rows = job->inputs.begin()->second.shape.at(0);
        auto fut = job->result.get_future();
        const auto n_rows = job->rows;
        if (!t.tensor->submit(job)) throw std::runtime_error("the tensor worker refused a request");
        const auto r = fut.get();
        const std::string id = fmt::format("batch-{}", i);
        if (r.error) {
          fail(i, id, r.error->what(), &r.energy);
          continue;
        }
        ++ok;
        items += static_cast<double>(n_rows);
        e2e.push_back(r.queue_s + r.run_s);
        if (b.labels) {
          auto out = r.outputs.find(t.output_name);
          if (out != r.outputs.end()) cls.add(out->second, *b.labels);
        }
        m.requests.add({i, id, "ok", "", n_rows, nullptr, r.queue_s, nullptr, nullptr,
                        r.queue_s + r.run_s, r.energy.joules,
                        r.energy.dynamic_joules < 0 ? json(nullptr) : json(r.energy.dynamic_joules),
                        r.energy.window_joules, nullptr, device_joules(&r.energy.devices, "gpu"),
                        device_joules(&r.energy.devices, "cpu")});
      }
    } else {
#if WATTSERVE_WITH_OCR
      while (pace.more(issued, now_s(clock))) {
        const std::size_t i = static_cast<std::size_t>(issued++);
        const auto& item = image_item(w, i);
        const auto image = ocr::read_image(item.file);  // decoding the file is not inference
        const auto win = meter_.begin(item.id, 1);
        const double t0 = now_s(clock);
        std::string text;
        try {
          text = ocr::joined_text(t.ocr->recognize(image));
        } catch (const std::exception& e) {
          meter_.end(win);
          fail(i, item.id, e.what());
          continue;
        }
        const double dt = now_s(clock) - t0;
        const auto rep = meter_.end(win);
        ++ok;
        items += 1;
        e2e.push_back(dt);
        ocr_tally.add(item.text, text);
        m.requests.add({i, item.id, "ok", "", nullptr, nullptr, 0.0, nullptr, nullptr, dt,
                        rep.attributed_joules,
                        rep.has_baseline ? json(rep.attributed_dynamic_joules) : json(nullptr),
                        rep.joules, nullptr, device_joules_of(rep, "gpu"),
                        device_joules_of(rep, "cpu")});
      }
#endif
    }
  } catch (...) {
    meter_.end(run_window);
    throw;
  }
  m.energy = meter_.end(run_window);
  if (ok == 0) {
    throw RunFailed(first_error.empty() ? "no request ran" : first_error, m.energy);
  }

  std::vector<energy::Sample> samples;
  for (auto& s : meter_.timeline()) {
    if (s.t_ns >= m.energy.begin_ns && s.t_ns <= m.energy.end_ns) samples.push_back(std::move(s));
  }
  m.timeline = timeline_table(samples, meter_.domains(), m.energy.begin_ns);

  const auto& e = m.energy;
  const double dur = e.duration_s;
  const double n_ok = static_cast<double>(ok);
  m.timings = {{"duration_s", dur}, {"e2e_s", latency_stats(e2e)}};
  m.metrics = {{"requests", issued},
               {"requests_ok", ok},
               {"requests_failed", m.failed_requests},
               {"requests_per_s", num(div_or_nan(n_ok, dur))},
               {"joules", e.joules},
               {"dynamic_joules", e.has_baseline ? json(e.dynamic_joules) : json(nullptr)},
               {"avg_watts", e.avg_watts},
               {"joules_per_request", num(div_or_nan(e.joules, n_ok))},
               {"emissions_kg", energy::emissions_kg(e.joules, carbon_, pue_)},
               {"energy_source", energy::to_string(e.source)}};
  const auto per = [&](const char* name, double denom) {
    m.metrics[name] = num(div_or_nan(e.joules, denom));
    m.metrics[std::string("dynamic_") + name] =
        e.has_baseline ? num(div_or_nan(e.dynamic_joules, denom)) : json(nullptr);
  };
  if (t.kind == WorkloadKind::kText) {
    m.timings["ttft_s"] = latency_stats(ttft);
    m.timings["tpot_s"] = latency_stats(tpot);
    m.metrics["input_tokens"] = in_tokens;
    m.metrics["output_tokens"] = out_tokens;
    m.metrics["output_tokens_per_s"] = num(div_or_nan(out_tokens, dur));
    m.metrics["tokens_per_s"] = num(div_or_nan(in_tokens + out_tokens, dur));
    per("joules_per_output_token", out_tokens);
    per("joules_per_token", in_tokens + out_tokens);
    // Quality of the items this run served (outside the meter window; the reference does not
    // depend on sampling, so each item is scored once per model). Shape replicas (random weights,
    // no quality metric in the zoo) are not scored: their figure would mean nothing.
    const bool meaningful = !t.where.entry || !t.where.entry->quality_metric.empty();
    if (w.has_reference() && meaningful) {
      const std::string wk = json({plan.workload.prompts, plan.base_dir}).dump();
      TextQuality q;
      const std::size_t used = std::min<std::size_t>(static_cast<std::size_t>(issued), w.size());
      try {
        for (std::size_t i = 0; i < used; ++i) {
          if (w.text[i].reference.empty()) continue;
          auto it = t.scored.find({wk, i});
          if (it == t.scored.end()) {
            const auto ll =
                reference_loglik(t.text->model(), w.text[i].prompt, w.text[i].reference);
            it = t.scored.emplace(std::make_pair(wk, i), ll).first;
          }
          q.add(it->second);
        }
      } catch (const std::exception& err) {  // the run itself was measured: keep it
        m.metrics["quality_error"] = err.what();
        q = TextQuality{};
      }
      if (q.items > 0) {
        m.metrics["reference_items"] = q.items;
        m.metrics["reference_tokens"] = q.tokens;
        m.metrics["reference_mean_loglik"] = num(q.mean_loglik());
        m.metrics["reference_perplexity"] = num(q.perplexity());
      }
    }
  } else {
    m.metrics["items"] = items;
    m.metrics["items_per_s"] = num(div_or_nan(items, dur));
    per("joules_per_item", items);
    if (cls.items > 0) m.metrics["accuracy"] = num(cls.accuracy());
#if WATTSERVE_WITH_OCR
    if (t.kind == WorkloadKind::kOcr && ocr_tally.items() > 0) {
      m.metrics["character_accuracy"] = ocr_tally.character_accuracy();
      m.metrics["exact_line_accuracy"] = ocr_tally.exact_line_accuracy();
    }
#endif
  }
  return m;
}

}  // namespace wattserve::bench
