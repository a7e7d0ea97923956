#include "serve/text_worker.h"

#include <fmt/format.h>

#include "serve/serve_metrics.h"

namespace wattserve::serve {

namespace {

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

TextWorker::TextWorker(std::string name, std::unique_ptr<engine::Model> model, energy::Meter& meter,
                       energy::CarbonIntensity carbon, double pue, TextWorkerOptions options,
                       ServeMetrics* metrics)
    : name_(std::move(name)),
      model_(std::move(model)),
      meter_(meter),
      carbon_(std::move(carbon)),
      pue_(pue),
      options_(options),
      metrics_(metrics) {
  model_->text();  // throws EngineError(kUnsupported) for a tensor model
  thread_ = std::thread([this] { run(); });
}

TextWorker::~TextWorker() {
  shutdown();
}

bool TextWorker::submit(std::shared_ptr<TextJob> job) {
  {
    std::lock_guard lk(mu_);
    if (stopping_ || queue_.size() >= options_.max_queue) return false;
    job->window = meter_.begin(job->id, 0.0);  // waiting: a share only when nothing runs
    queue_.push_back(std::move(job));
    if (metrics_) metrics_->set_queue_length(name_, queue_.size());
  }
  cv_.notify_one();
  return true;
}

std::size_t TextWorker::queue_length() const {
  std::lock_guard lk(mu_);
  return queue_.size();
}

void TextWorker::shutdown() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TextWorker::run() {
  for (;;) {
    std::shared_ptr<TextJob> job;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      job = std::move(queue_.front());
      queue_.pop_front();
      if (metrics_) metrics_->set_queue_length(name_, queue_.size());
    }
    TextJobResult r;
    try {
      r = execute(*job);
    } catch (const std::invalid_argument& e) {
      r.error = ApiError(400, "invalid_request_error", "", e.what());
    } catch (const std::exception& e) {
      r.error = ApiError(500, "server_error", "", fmt::format("the engine failed: {}", e.what()));
    }
    if (job->window) meter_.end(*job->window);  // a job that failed before its report
    if (metrics_) metrics_->on_text_request(name_, r);
    job->result.set_value(std::move(r));
    if (job->on_done) job->on_done();
  }
}

TextJobResult TextWorker::execute(TextJob& job) {
  TextJobResult r;
  const auto start = std::chrono::steady_clock::now();
  r.queue_s = seconds(start - job.submitted);
  if (job.cancelled) {
    r.error = ApiError(499, "cancelled", "", "the client went away before the request ran");
    return r;
  }
  if (start >= job.deadline) {
    r.error = ApiError(503, "timeout", "", "the request timed out waiting in the queue");
    return r;
  }
  auto& m = model_->text();
  const auto ids = m.tokenize(job.prompt);
  if (ids.empty()) throw std::invalid_argument("the prompt gives no tokens");
  r.prompt_tokens = static_cast<int>(ids.size());
  if (ids.size() >= static_cast<std::size_t>(m.context_length())) {
    throw std::invalid_argument(fmt::format(
        "the prompt has {} tokens; the model's context holds {}", ids.size(), m.context_length()));
  }
  meter_.set_weight(*job.window, 1.0);
  bool first = true;
  bool timed_out = false;
  try {
    r.gen = m.generate(ids, job.sampling, [&](engine::Token, std::string_view piece) {
      const auto now = std::chrono::steady_clock::now();
      if (first) {
        r.ttft_s = seconds(now - start);
        first = false;
      }
      if (job.on_piece) job.on_piece(piece);
      if (now >= job.deadline) timed_out = true;
      return !job.cancelled && !timed_out;
    });
  } catch (...) {
    meter_.end(*job.window);
    job.window.reset();
    throw;
  }
  r.total_s = seconds(std::chrono::steady_clock::now() - start);
  if (first) r.ttft_s = r.total_s;
  const auto w = meter_.end(*job.window);
  job.window.reset();
  r.energy = request_energy(w, carbon_, pue_);
  if (timed_out) {
    r.error = ApiError(504, "timeout", "", "the request timed out while generating");
  }
  return r;
}

}  // namespace wattserve::serve
