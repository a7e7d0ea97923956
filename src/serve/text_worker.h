// One served text model: a bounded queue of generation requests and one thread that runs them,
// with continuous batching where the engine has it (llama.cpp: up to `parallel` sequences share
// each decode step, joining and leaving between steps) and one at a time otherwise. The next
// request is the oldest (FCFS) or the one with the shortest predicted output, aged so nothing
// starves (SJF; LengthPredictor learns from every finished request, under every policy), or, for
// benchmarks, the one with the shortest exact output length a load generator asked for (oracle:
// SJF's upper bound; TextJob::exact_output_tokens, read otherwise only as the job starts). Each
// request has a meter window from its arrival to its end, weighted 0 while it waits and by the
// tokens it puts in each decode step while it runs, so the requests' energies add up to what the
// meter measured (docs/measurement.md). Streaming requests get their text pieces through a
// callback on the worker thread; a cancelled job (client gone, timeout) stops at its next token.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "energy/core/carbon.h"
#include "energy/core/clock.h"
#include "energy/core/meter.h"
#include "engine/engine.h"
#include "serve/job_queue.h"
#include "serve/length_predictor.h"
#include "serve/openai_api.h"

namespace wattserve::serve {

class ServeMetrics;

struct TextJobResult {
  std::optional<ApiError> error;  // set when the job did not run (timeout, cancelled, engine)
  engine::GenerateResult gen;
  int prompt_tokens = 0;
  double queue_s = 0;           // submitted -> started
  double ttft_s = 0;            // started -> first token
  double total_s = 0;           // started -> done
  double predicted_tokens = 0;  // the predictor's output length when it was queued
  RequestEnergy energy;
};

struct TextJob {
  std::string id;
  std::string prompt;
  // What the client asked for; max_tokens is the cap the predictor's features and the metrics'
  // "max_tokens" predictor use, with or without exact_output_tokens.
  engine::SamplingParams sampling;
  // Benchmarks only (the request's bench_output_tokens, in [1, sampling.max_tokens]): generate
  // exactly this many tokens, ignoring end-of-generation (a stop string or a full context still
  // ends it). Read only when the job starts (admit(): run_sampling) and by the oracle policy;
  // never by submit(), the predictor or SJF, so that it cannot hand them the answer.
  std::optional<int> exact_output_tokens;
  // Set by admit() when the job starts: what the engine generates with. `sampling`, or with
  // exact_output_tokens: max_tokens = N and ignore_eos.
  engine::SamplingParams run_sampling;
  // Called on the worker thread with each generated text piece; may be empty.
  std::function<void(std::string_view)> on_piece;
  // Called on the worker thread right after `result` is set; may be empty.
  std::function<void()> on_done;
  std::atomic<bool> cancelled{false};
  // Nanoseconds on the worker's clock (TextWorker::clock()). `submitted` is set by submit();
  // `deadline` (queue + generation) by the caller, e.g. deadline_after(worker.clock(), s).
  int64_t submitted_ns = 0;
  int64_t deadline_ns = energy::kNever;
  std::promise<TextJobResult> result;
  std::optional<energy::Meter::WindowId> window;  // open from submit() to the end of the run
  std::vector<double> features;                   // set by submit(): the predictor's input
  double predicted_tokens = 0;                    // set by submit()
  // Set by submit(), on the caller's thread, so a long prompt never holds the model's thread:
  // the prompt's tokens, or why it cannot run (no tokens, too long for the context).
  std::vector<engine::Token> tokens;
  std::optional<ApiError> prompt_error;
};

// kOracle: as kSjf, but by TextJob::exact_output_tokens where a job has it (its predicted length
// otherwise): the best SJF could do with a perfect predictor, for benchmarks.
enum class SchedulePolicy { kFcfs, kSjf, kOracle };
const char* to_string(SchedulePolicy policy);
// "fcfs", "sjf" or "oracle"; std::invalid_argument otherwise.
SchedulePolicy parse_schedule_policy(const std::string& name);

struct TextWorkerOptions {
  std::size_t max_queue = 64;  // waiting jobs beyond the running ones
  // Sequences sharing a decode step (continuous batching) where the engine has it; others run
  // one at a time.
  int parallel = 4;
  SchedulePolicy policy = SchedulePolicy::kFcfs;
  // SJF and oracle aging: a waiting request's predicted (oracle: exact) length counts
  // x (1 - waited / aging_s), so after aging_s seconds it goes before every newer request.
  double aging_s = 10;
  // End-to-end latency (queue + generation) a finished request must stay within to count as
  // meeting the SLO in counts() (serve --adapt's feedback); 0: every request that ends ok does.
  double slo_e2e_s = 0;
  // Times the jobs (queue, TTFT, total, deadlines, SJF aging). Null: the meter's clock, so that
  // the timings and the energy windows share one clock (a FakeClock in tests and replays).
  std::shared_ptr<energy::Clock> clock;
};

// Totals since the worker started: requests offered to submit() (refused ones too), refused
// (queue full or stopping), finished (ok, timed out or failed in the server; a client's own
// error -- a bad prompt, a cancel -- is not counted) and finished ok within options.slo_e2e_s.
// The ok ones' token sums give the controller its request shape.
struct TextWorkerCounts {
  uint64_t offered = 0, refused = 0, finished = 0, within_slo = 0;
  uint64_t ok = 0;
  double prompt_tokens = 0, output_tokens = 0, output_tokens_sq = 0;  // sums over ok requests
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
  // Sequences per decode step this worker runs: 1 without continuous batching.
  int parallel() const;
  SchedulePolicy policy() const { return options_.policy; }
  // The clock the worker times its jobs with (never null).
  energy::Clock& clock() const { return *options_.clock; }
  // Tokenises the prompt (on the calling thread) and queues the job; false when the queue is
  // full or shutting down. A prompt that cannot run is answered through the job's result.
  bool submit(std::shared_ptr<TextJob> job);
  std::size_t queue_length() const;
  // Caps the sequences admitted to each decode step at `n` (clamped to [1, parallel()]) from the
  // next step on; running sequences above the cap finish (none is cut). For `serve --adapt`.
  void set_parallel_limit(int n);
  int parallel_limit() const { return parallel_limit_.load(); }
  TextWorkerCounts counts() const;
  // Stops accepting, finishes the running and queued jobs, joins the thread. Idempotent.
  void shutdown();

 private:
  void run();
  void run_batched();
  TextJobResult execute(TextJob& job);
  // Under queue_.mu: removes and returns the next job by the policy (queue not empty).
  std::shared_ptr<TextJob> take_next_locked();
  // Ends the job's window if open, records metrics and the predictor's error, learns from it,
  // and hands the result to the waiting HTTP thread.
  void finish(TextJob& job, TextJobResult r);
  // The job's first checks before it runs: cancelled, past its deadline, bad prompt; sets its
  // run_sampling. Returns the prompt's tokens, or an error in `r`.
  std::vector<engine::Token> admit(TextJob& job, TextJobResult& r);

  std::string name_;
  std::unique_ptr<engine::Model> model_;
  energy::Meter& meter_;
  energy::CarbonIntensity carbon_;
  double pue_;
  TextWorkerOptions options_;
  ServeMetrics* metrics_;
  std::unique_ptr<engine::BatchDecoder> decoder_;  // null: one sequence at a time
  LengthPredictor predictor_;
  JobQueue<TextJob> queue_;
  std::atomic<int> parallel_limit_{1};
  mutable std::mutex counts_mu_;  // guards token_counts_ (one consistent snapshot)
  TextWorkerCounts token_counts_;
  std::thread thread_;
};

}  // namespace wattserve::serve
