// TextWorker's continuous-batching loop (text_worker.h): between decode steps, finished
// sequences leave and waiting requests join by the scheduling policy; each step's energy is
// split among the running requests by the tokens each put in the step.
#include <fmt/format.h>

#include <algorithm>

#include "engine/generation.h"
#include "serve/serve_metrics.h"
#include "serve/text_worker.h"

namespace wattserve::serve {

namespace {

struct Running {
  std::shared_ptr<TextJob> job;
  int slot = 0;
  engine::Generation gen;
  TextJobResult r;
  int64_t start_ns = 0;  // on the worker's clock
  bool first = true;
  bool timed_out = false;
  double weight = 0;  // the meter weight set for the coming step
  Running(std::shared_ptr<TextJob> j, int s, int64_t now_ns)
      : job(std::move(j)), slot(s), gen(job->run_sampling), start_ns(now_ns) {}
};

}  // namespace

void TextWorker::run_batched() {
  auto& dec = *decoder_;
  energy::Clock& clock = this->clock();
  std::vector<std::unique_ptr<Running>> running;
  const auto end_one = [&](std::size_t i) {
    auto& a = *running[i];
    dec.remove(a.slot);
    a.r.total_s = energy::ns_to_s(clock.now_ns() - a.start_ns);
    if (a.first) a.r.ttft_s = a.r.total_s;
    a.r.gen = a.gen.take();
    if (a.timed_out) {
      a.r.error = ApiError(504, "timeout", "", "the request timed out while generating");
    }
    finish(*a.job, std::move(a.r));
    running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
  };
  for (;;) {
    std::vector<std::shared_ptr<TextJob>> joining;
    {
      std::unique_lock lk(queue_.mu);
      if (running.empty()) queue_.wait(lk);
      if (running.empty() && queue_.jobs.empty()) return;  // stopping and drained
      const auto limit = static_cast<std::size_t>(std::min(dec.capacity(), parallel_limit_.load()));
      while (running.size() + joining.size() < limit && !queue_.jobs.empty()) {
        joining.push_back(take_next_locked());
      }
    }
    for (auto& job : joining) {
      TextJobResult r;
      const auto ids = admit(*job, r);
      if (r.error) {
        finish(*job, std::move(r));
        continue;
      }
      try {
        auto a = std::make_unique<Running>(job, dec.add(ids, job->sampling), clock.now_ns());
        a->r = std::move(r);
        running.push_back(std::move(a));
      } catch (const std::invalid_argument& e) {
        r.error = bad_request("", e.what());
        finish(*job, std::move(r));
      }
    }
    if (running.empty()) continue;

    // Weights for this step: the tokens each request puts in it (its prompt chunk, or 1).
    std::vector<std::pair<energy::Meter::WindowId, double>> changed;
    int prompt_room = dec.batch_tokens() - static_cast<int>(running.size());
    for (auto& a : running) {
      const int pending = dec.pending_prompt(a->slot);
      double w = 1;
      if (pending > 0) {
        w = std::max(1, std::min(pending, prompt_room));
        prompt_room -= static_cast<int>(w);
      }
      if (w != a->weight) {
        a->weight = w;
        changed.emplace_back(*a->job->window, w);
      }
    }
    meter_.set_weights(changed);
    if (metrics_) metrics_->observe_batch(name_, static_cast<double>(running.size()));

    std::vector<engine::BatchDecoder::Sampled> sampled;
    try {
      sampled = dec.step();
    } catch (const std::exception& e) {
      while (!running.empty()) {
        running.back()->r.error =
            ApiError(500, "server_error", "", fmt::format("the engine failed: {}", e.what()));
        end_one(running.size() - 1);
      }
      continue;
    }
    const int64_t now = clock.now_ns();
    for (const auto& s : sampled) {
      const auto it = std::find_if(running.begin(), running.end(),
                                   [&](const auto& a) { return a->slot == s.slot; });
      if (it == running.end()) continue;
      auto& a = **it;
      bool more = true;
      if (s.context_full) {
        a.gen.end(engine::StopReason::kContextFull);
        more = false;
      } else {
        if (a.first) {
          a.r.ttft_s = energy::ns_to_s(now - a.start_ns);
          a.first = false;
        }
        more = a.gen.accept(s.token, s.end_of_generation, s.piece,
                            [&](engine::Token, std::string_view piece) {
                              if (a.job->on_piece) a.job->on_piece(piece);
                              if (now >= a.job->deadline_ns) a.timed_out = true;
                              return !a.job->cancelled && !a.timed_out;
                            });
      }
      if (!more) end_one(static_cast<std::size_t>(it - running.begin()));
    }
    // Requests still reading their prompt stop here when cancelled or out of time.
    for (std::size_t i = running.size(); i-- > 0;) {
      auto& a = *running[i];
      if (a.job->cancelled || now >= a.job->deadline_ns) {
        a.timed_out = !a.job->cancelled;
        a.gen.end(engine::StopReason::kCallback);
        end_one(i);
      }
    }
  }
}

}  // namespace wattserve::serve
