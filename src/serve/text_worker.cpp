// TextWorker: the queue, the scheduling policy and the one-at-a-time loop (text_worker.h). The
// continuous-batching loop is in text_worker_batched.cpp.
#include "serve/text_worker.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "serve/serve_metrics.h"

namespace wattserve::serve {

const char* to_string(SchedulePolicy p) {
  switch (p) {
    case SchedulePolicy::kFcfs:
      return "fcfs";
    case SchedulePolicy::kSjf:
      return "sjf";
    case SchedulePolicy::kOracle:
      return "oracle";
  }
  return "fcfs";
}

SchedulePolicy parse_schedule_policy(const std::string& name) {
  if (name == "fcfs") return SchedulePolicy::kFcfs;
  if (name == "sjf") return SchedulePolicy::kSjf;
  if (name == "oracle") return SchedulePolicy::kOracle;
  throw std::invalid_argument(
      fmt::format("unknown scheduling policy '{}': use fcfs (first come, first served), sjf "
                  "(shortest predicted job first) or oracle (shortest job first by the "
                  "requests' bench_output_tokens, for benchmarks)",
                  name));
}

TextWorker::TextWorker(std::string name, std::unique_ptr<engine::Model> model, energy::Meter& meter,
                       energy::CarbonIntensity carbon, double pue, TextWorkerOptions options,
                       ServeMetrics* metrics)
    : name_(std::move(name)),
      model_(std::move(model)),
      meter_(meter),
      carbon_(std::move(carbon)),
      pue_(pue),
      options_(options),
      metrics_(metrics),
      queue_(options.max_queue) {
  if (!options_.clock) options_.clock = meter_.options().clock;
  if (options_.parallel < 1) throw std::invalid_argument("parallel must be >= 1");
  if (!(options_.aging_s > 0)) throw std::invalid_argument("the SJF aging time must be > 0 s");
  auto& text = model_->text();  // throws EngineError(kUnsupported) for a tensor model
  if (options_.parallel > 1) {
    try {
      decoder_ = text.batch_decoder(options_.parallel);
    } catch (const engine::EngineError& e) {
      if (e.kind() != engine::EngineError::Kind::kUnsupported) throw;
    }
  }
  parallel_limit_ = parallel();
  thread_ = std::thread([this] { decoder_ ? run_batched() : run(); });
}

TextWorker::~TextWorker() {
  shutdown();
}

int TextWorker::parallel() const {
  return decoder_ ? decoder_->capacity() : 1;
}

bool TextWorker::submit(std::shared_ptr<TextJob> job) {
  job->submitted_ns = clock().now_ns();
  auto& m = model_->text();
  try {
    job->tokens = m.tokenize(job->prompt);
    if (job->tokens.empty()) throw std::invalid_argument("the prompt gives no tokens");
    const int context = decoder_ ? decoder_->context_length() : m.context_length();
    if (job->tokens.size() >= static_cast<std::size_t>(context)) {
      throw std::invalid_argument(fmt::format(
          "the prompt has {} tokens; the model's context holds {}", job->tokens.size(), context));
    }
    engine::validate(job->sampling);
  } catch (const std::invalid_argument& e) {
    job->prompt_error = bad_request("", e.what());
  }
  job->features = LengthPredictor::features(job->prompt, job->sampling.max_tokens);
  job->predicted_tokens = predictor_.predict(job->features, job->sampling.max_tokens);
  TextJob& j = *job;
  const bool queued = queue_.push(std::move(job), [&](std::size_t length) {
    j.window = meter_.begin(j.id, 0.0);  // waiting: a share only when nothing runs
    if (metrics_) metrics_->set_queue_length(name_, length);
  });
  std::lock_guard lk(counts_mu_);
  ++token_counts_.offered;
  if (!queued) ++token_counts_.refused;
  return queued;
}

TextWorkerCounts TextWorker::counts() const {
  std::lock_guard lk(counts_mu_);
  return token_counts_;
}

void TextWorker::set_parallel_limit(int n) {
  parallel_limit_ = std::clamp(n, 1, parallel());
}

std::size_t TextWorker::queue_length() const {
  return queue_.size();
}

void TextWorker::shutdown() {
  queue_.stop();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<TextJob> TextWorker::take_next_locked() {
  auto& jobs = queue_.jobs;
  auto next = jobs.begin();
  if (options_.policy != SchedulePolicy::kFcfs) {
    const bool oracle = options_.policy == SchedulePolicy::kOracle;
    const int64_t now = clock().now_ns();
    double best = std::numeric_limits<double>::infinity();
    for (auto it = jobs.begin(); it != jobs.end(); ++it) {
      const TextJob& j = **it;
      // SJF never reads exact_output_tokens: only the oracle knows the true length.
      const double length =
          oracle && j.exact_output_tokens ? *j.exact_output_tokens : j.predicted_tokens;
      const double waited = energy::ns_to_s(now - j.submitted_ns);
      // Past aging_s a request's score stays 0, so the ones that waited that long go in arrival
      // order (a negative factor would put the longest of them first).
      const double score = length * std::max(0.0, 1.0 - waited / options_.aging_s);
      if (score < best) {  // ties: the older request
        best = score;
        next = it;
      }
    }
  }
  auto job = std::move(*next);
  jobs.erase(next);
  if (metrics_) metrics_->set_queue_length(name_, jobs.size());
  return job;
}

void TextWorker::run() {
  for (;;) {
    std::shared_ptr<TextJob> job;
    {
      std::unique_lock lk(queue_.mu);
      queue_.wait(lk);
      if (queue_.jobs.empty()) return;  // stopping and drained
      job = take_next_locked();
    }
    TextJobResult r;
    try {
      r = execute(*job);
    } catch (const std::invalid_argument& e) {
      r.error = bad_request("", e.what());
    } catch (const std::exception& e) {
      r.error = ApiError(500, "server_error", "", fmt::format("the engine failed: {}", e.what()));
    }
    if (metrics_ && !r.error) metrics_->observe_batch(name_, 1);
    finish(*job, std::move(r));
  }
}

std::vector<engine::Token> TextWorker::admit(TextJob& job, TextJobResult& r) {
  const int64_t now = clock().now_ns();
  r.queue_s = energy::ns_to_s(now - job.submitted_ns);
  r.predicted_tokens = job.predicted_tokens;
  if (job.cancelled) {
    r.error = ApiError(499, "cancelled", "", "the client went away before the request ran");
    return {};
  }
  if (now >= job.deadline_ns) {
    r.error = ApiError(503, "timeout", "", "the request timed out waiting in the queue");
    return {};
  }
  if (job.prompt_error) {
    r.error = job.prompt_error;
    return {};
  }
  // The exact output length applies from here on only: submit() and the predictor saw the cap.
  job.run_sampling = job.sampling;
  if (job.exact_output_tokens) {
    if (*job.exact_output_tokens < 1) {
      r.error = bad_request("bench_output_tokens", "'bench_output_tokens' must be >= 1");
      return {};
    }
    job.run_sampling.max_tokens = *job.exact_output_tokens;
    job.run_sampling.ignore_eos = true;
  }
  r.prompt_tokens = static_cast<int>(job.tokens.size());
  return std::move(job.tokens);
}

TextJobResult TextWorker::execute(TextJob& job) {
  TextJobResult r;
  const auto ids = admit(job, r);
  if (r.error) return r;
  energy::Clock& clock = this->clock();
  const int64_t start = clock.now_ns();
  meter_.set_weight(*job.window, 1.0);
  bool first = true;
  bool timed_out = false;
  const engine::SamplingParams& sampling = job.run_sampling;  // with the exact length, if any
  r.gen = model_->text().generate(ids, sampling, [&](engine::Token, std::string_view piece) {
    const int64_t now = clock.now_ns();
    if (first) {
      r.ttft_s = energy::ns_to_s(now - start);
      first = false;
    }
    if (job.on_piece) job.on_piece(piece);
    if (now >= job.deadline_ns) timed_out = true;
    return !job.cancelled && !timed_out;
  });
  r.total_s = energy::ns_to_s(clock.now_ns() - start);
  if (first) r.ttft_s = r.total_s;
  if (timed_out) {
    r.error = ApiError(504, "timeout", "", "the request timed out while generating");
  }
  return r;
}

void TextWorker::finish(TextJob& job, TextJobResult r) {
  if (job.window) {
    const auto w = meter_.end(*job.window);
    job.window.reset();
    r.energy = request_energy(w, carbon_, pue_);  // failed requests too: every joule is charged
  }
  if (!r.error) {
    const int produced = static_cast<int>(r.gen.tokens.size());
    // A generation cut short by the client or the context says nothing about its length.
    if (r.gen.reason != engine::StopReason::kCallback &&
        r.gen.reason != engine::StopReason::kContextFull) {
      predictor_.learn(job.features, produced);
      if (metrics_)
        metrics_->on_prediction(name_, r.predicted_tokens, produced, job.sampling.max_tokens);
    }
  }
  if (metrics_) metrics_->on_text_request(name_, r);
  // A client's own error (a bad prompt 400, a cancel 499) says nothing of the server's speed:
  // not counted as finished; timeouts and server errors count as finished outside the SLO.
  const bool client_error = r.error && r.error->status >= 400 && r.error->status < 500;
  if (!client_error) {
    const bool within =
        !r.error && (options_.slo_e2e_s <= 0 || r.queue_s + r.total_s <= options_.slo_e2e_s);
    const double n = static_cast<double>(r.gen.tokens.size());
    std::lock_guard lk(counts_mu_);
    ++token_counts_.finished;
    if (within) ++token_counts_.within_slo;
    if (!r.error) {
      ++token_counts_.ok;
      token_counts_.prompt_tokens += r.prompt_tokens;
      token_counts_.output_tokens += n;
      token_counts_.output_tokens_sq += n * n;
    }
  }
  job.result.set_value(std::move(r));
  if (job.on_done) job.on_done();
}

}  // namespace wattserve::serve
