// One served text model: a bounded queue of generation requests and one thread that runs them
// on the model one at a time (FCFS). Each request has a meter window from its arrival to the end
// of its generation, with weight 0 while it waits and 1 while it runs, so the meter splits every
// interval's energy among the requests open in it (the running one; the waiting ones equally
// when nothing runs) and the requests' energies add up to what the meter measured
// (docs/serve.md). Streaming requests get their
// text pieces through a callback on the worker thread; a cancelled job (client gone, timeout)
// stops at the next token.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "energy/carbon.h"
#include "energy/meter.h"
#include "engine/engine.h"
#include "serve/openai_api.h"

namespace wattserve::serve {

class ServeMetrics;

struct TextJobResult {
  std::optional<ApiError> error;  // set when the job did not run (timeout, cancelled, engine)
  engine::GenerateResult gen;
  int prompt_tokens = 0;
  double queue_s = 0;  // submitted -> started
  double ttft_s = 0;   // started -> first token
  double total_s = 0;  // started -> done
  RequestEnergy energy;
};

struct TextJob {
  std::string id;
  std::string prompt;
  engine::SamplingParams sampling;
  // Called on the worker thread with each generated text piece; may be empty.
  std::function<void(std::string_view)> on_piece;
  // Called on the worker thread right after `result` is set; may be empty.
  std::function<void()> on_done;
  std::atomic<bool> cancelled{false};
  std::chrono::steady_clock::time_point submitted = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::promise<TextJobResult> result;
  std::optional<energy::Meter::WindowId> window;  // open from submit() to the end of the run
};

struct TextWorkerOptions {
  std::size_t max_queue = 64;  // waiting jobs beyond the running one
  std::size_t context_length = 0;
};

class TextWorker {
 public:
  TextWorker(std::string name, std::unique_ptr<engine::Model> model, energy::Meter& meter,
             energy::CarbonIntensity carbon, double pue, TextWorkerOptions options,
             ServeMetrics* metrics = nullptr);
  ~TextWorker();  // shutdown()
  TextWorker(const TextWorker&) = delete;
  TextWorker& operator=(const TextWorker&) = delete;

  const std::string& name() const { return name_; }
  engine::TextModel& model() { return model_->text(); }
  // Queues the job; false (and the job untouched) when the queue is full or shutting down.
  bool submit(std::shared_ptr<TextJob> job);
  std::size_t queue_length() const;
  // Stops accepting, finishes the running and queued jobs, joins the thread. Idempotent.
  void shutdown();

 private:
  void run();
  TextJobResult execute(TextJob& job);

  std::string name_;
  std::unique_ptr<engine::Model> model_;
  energy::Meter& meter_;
  energy::CarbonIntensity carbon_;
  double pue_;
  TextWorkerOptions options_;
  ServeMetrics* metrics_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<TextJob>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace wattserve::serve
