// One served tensor model (a classifier, an OCR stage): a bounded queue of infer requests and
// one thread that batches them dynamically: it takes the oldest request, adds waiting requests
// whose inputs fit (same names, dtypes and non-batch dimensions) until max_batch rows or until
// max_wait has passed since the oldest arrived, runs one batch and splits the outputs by rows.
// Each request's meter window runs from arrival to its answer, with weight 0 while it waits and
// its row count while its batch runs, so a batch's energy is split by rows (docs/measurement.md).
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "energy/core/carbon.h"
#include "energy/core/clock.h"
#include "energy/core/meter.h"
#include "engine/engine.h"
#include "serve/job_queue.h"
#include "serve/openai_api.h"

namespace wattserve::serve {

class ServeMetrics;

struct TensorJobResult {
  std::optional<ApiError> error;
  engine::NamedTensors outputs;
  int batch_rows = 0;  // rows of the batch this request ran in
  double queue_s = 0, run_s = 0;
  RequestEnergy energy;
};

struct TensorJob {
  std::string id;
  engine::NamedTensors inputs;  // all with the same first dimension (the request's rows)
  std::int64_t rows = 0;
  int64_t submitted_ns = 0;  // set by submit(), on the worker's clock (TensorWorker::clock())
  std::promise<TensorJobResult> result;
  // Called on the worker thread right after `result` is set; may be empty.
  std::function<void()> on_done;
  std::optional<energy::Meter::WindowId> window;
};

struct TensorWorkerOptions {
  std::size_t max_queue = 256;
  std::int64_t max_batch = 32;  // rows
  double max_wait_s = 0.005;    // on `clock`, from the oldest request's arrival
  // Times the jobs and the batching delay. Null: the meter's clock, so that the timings and the
  // energy windows share one clock (a FakeClock in tests and replays).
  std::shared_ptr<energy::Clock> clock;
};

class TensorWorker {
 public:
  TensorWorker(std::string name, std::unique_ptr<engine::Model> model, energy::Meter& meter,
               energy::CarbonIntensity carbon, double pue, TensorWorkerOptions options,
               ServeMetrics* metrics = nullptr);
  ~TensorWorker();
  TensorWorker(const TensorWorker&) = delete;
  TensorWorker& operator=(const TensorWorker&) = delete;

  engine::TensorModel& model() { return model_->tensor(); }
  // The clock the worker times its jobs and batches with (never null).
  energy::Clock& clock() const { return *options_.clock; }
  // Checks the inputs (std::invalid_argument naming the problem), then queues; false when the
  // queue is full or shutting down.
  bool submit(std::shared_ptr<TensorJob> job);
  std::size_t queue_length() const;
  void shutdown();

 private:
  void run();
  std::vector<std::shared_ptr<TensorJob>> next_batch(std::unique_lock<std::mutex>& lk);
  void execute(std::vector<std::shared_ptr<TensorJob>>& batch);

  std::string name_;
  std::unique_ptr<engine::Model> model_;
  energy::Meter& meter_;
  energy::CarbonIntensity carbon_;
  double pue_;
  TensorWorkerOptions options_;
  ServeMetrics* metrics_;
  JobQueue<TensorJob> queue_;
  std::thread thread_;
};

}  // namespace wattserve::serve
