#include "serve/tensor_worker.h"

#include <fmt/format.h>

#include "engine/tensor_check.h"
#include "run/run.h"
#include "serve/serve_metrics.h"

namespace wattserve::serve {

namespace {

// Same names, dtypes and dimensions after the first: can share a batch.
bool compatible(const engine::NamedTensors& a, const engine::NamedTensors& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia->first != ib->first || ia->second.dtype != ib->second.dtype ||
        ia->second.shape.size() != ib->second.shape.size() ||
        !std::equal(ia->second.shape.begin() + 1, ia->second.shape.end(),
                    ib->second.shape.begin() + 1)) {
      return false;
    }
  }
  return true;
}

}  // namespace

TensorWorker::TensorWorker(std::string name, std::unique_ptr<engine::Model> model,
                           energy::Meter& meter, energy::CarbonIntensity carbon, double pue,
                           TensorWorkerOptions options, ServeMetrics* metrics)
    : name_(std::move(name)),
      model_(std::move(model)),
      meter_(meter),
      carbon_(std::move(carbon)),
      pue_(pue),
      options_(options),
      metrics_(metrics),
      queue_(options.max_queue) {
  model_->tensor();  // throws EngineError(kUnsupported) for a text model
  if (!options_.clock) options_.clock = meter_.options().clock;
  if (options_.max_batch < 1) throw std::invalid_argument("max batch must be at least 1");
  thread_ = std::thread([this] { run(); });
}

TensorWorker::~TensorWorker() {
  shutdown();
}

bool TensorWorker::submit(std::shared_ptr<TensorJob> job) {
  // Checked here, not in the batch: one bad request must not fail the others batched with it.
  std::vector<engine::InputSpec> specs;
  for (const auto& info : model_->tensor().inputs()) specs.push_back({info, !info.shape.empty()});
  engine::check_inputs(specs, job->inputs);
  std::int64_t rows = -1;
  for (const auto& [name, t] : job->inputs) {
    t.validate();
    if (t.shape.empty())
      throw std::invalid_argument(fmt::format("input '{}' has no batch dimension", name));
    if (rows >= 0 && t.shape[0] != rows) {
      throw std::invalid_argument("all inputs need the same first (batch) dimension");
    }
    rows = t.shape[0];
  }
  if (rows < 1) throw std::invalid_argument("the request has no rows");
  if (rows > options_.max_batch) {
    throw std::invalid_argument(fmt::format("the request has {} rows; this model takes at most {}",
                                            rows, options_.max_batch));
  }
  job->rows = rows;
  job->submitted_ns = clock().now_ns();
  TensorJob& j = *job;
  return queue_.push(std::move(job), [&](std::size_t length) {
    j.window = meter_.begin(j.id, 0.0);
    if (metrics_) metrics_->set_queue_length(name_, length);
  });
}

std::size_t TensorWorker::queue_length() const {
  return queue_.size();
}

void TensorWorker::shutdown() {
  queue_.stop();
  if (thread_.joinable()) thread_.join();
}

std::vector<std::shared_ptr<TensorJob>> TensorWorker::next_batch(std::unique_lock<std::mutex>& lk) {
  auto& jobs = queue_.jobs;
  std::vector<std::shared_ptr<TensorJob>> batch;
  batch.push_back(std::move(jobs.front()));
  jobs.pop_front();
  std::int64_t rows = batch.front()->rows;
  const int64_t deadline = after_seconds(batch.front()->submitted_ns, options_.max_wait_s);
  // Moves the waiting requests that fit (rows and shapes) into the batch, oldest first.
  const auto take_fitting = [&] {
    for (auto it = jobs.begin(); it != jobs.end() && rows < options_.max_batch;) {
      if (rows + (*it)->rows <= options_.max_batch &&
          compatible(batch.front()->inputs, (*it)->inputs)) {
        rows += (*it)->rows;
        batch.push_back(std::move(*it));
        it = jobs.erase(it);
      } else {
        ++it;
      }
    }
  };
  for (;;) {
    take_fitting();
    if (rows >= options_.max_batch || queue_.stopping) break;
    // Until a request arrives (it may fit), the queue stops, or the oldest has waited max_wait.
    const std::size_t left = jobs.size();  // those that do not fit
    if (!clock().wait_until(lk, queue_.cv, deadline,
                            [&] { return queue_.stopping || jobs.size() > left; })) {
      take_fitting();  // what arrived with the timeout
      break;
    }
  }
  return batch;
}

void TensorWorker::run() {
  for (;;) {
    std::vector<std::shared_ptr<TensorJob>> batch;
    {
      std::unique_lock lk(queue_.mu);
      queue_.wait(lk);
      if (queue_.jobs.empty()) return;  // stopping and drained
      batch = next_batch(lk);
      if (metrics_) metrics_->set_queue_length(name_, queue_.jobs.size());
    }
    execute(batch);
  }
}

void TensorWorker::execute(std::vector<std::shared_ptr<TensorJob>>& batch) {
  const int64_t start = clock().now_ns();
  std::int64_t rows = 0;
  for (auto& j : batch) {
    meter_.set_weight(*j->window, static_cast<double>(j->rows));
    rows += j->rows;
  }
  // Concatenate along the first dimension.
  engine::NamedTensors inputs = batch.front()->inputs;
  for (std::size_t k = 1; k < batch.size(); ++k) {
    for (auto& [name, t] : inputs) {
      const auto& more = batch[k]->inputs.at(name);
      t.shape[0] += more.shape[0];
      t.f32.insert(t.f32.end(), more.f32.begin(), more.f32.end());
      t.i64.insert(t.i64.end(), more.i64.begin(), more.i64.end());
    }
  }
  std::optional<ApiError> error;
  engine::NamedTensors outputs;
  try {
    outputs = model_->tensor().run(inputs);
    for (const auto& [name, t] : outputs) {
      if (t.shape.empty() || t.shape[0] != rows) {
        throw std::runtime_error(
            fmt::format("output '{}' does not have the batch's {} rows", name, rows));
      }
    }
  } catch (const std::invalid_argument& e) {
    error = bad_request("inputs", e.what());
  } catch (const std::exception& e) {
    error = ApiError(500, "server_error", "", fmt::format("the engine failed: {}", e.what()));
  }
  const double run_s = energy::ns_to_s(clock().now_ns() - start);
  std::int64_t offset = 0;
  for (auto& j : batch) {
    TensorJobResult r;
    r.error = error;
    r.batch_rows = static_cast<int>(rows);
    r.queue_s = energy::ns_to_s(start - j->submitted_ns);
    r.run_s = run_s;
    if (!error) {
      for (const auto& [name, t] : outputs)
        r.outputs.emplace(name, run::slice_rows(t, offset, offset + j->rows));
    }
    offset += j->rows;
    const auto w = meter_.end(*j->window);
    j->window.reset();
    r.energy = request_energy(w, carbon_, pue_);
    if (metrics_) metrics_->on_tensor_request(name_, r);
    j->result.set_value(std::move(r));
    if (j->on_done) j->on_done();
  }
}

}  // namespace wattserve::serve
