// The load generator (loadgen.h).
#include "bench/load/loadgen.h"

#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>

#include <algorithm>
#include <mutex>
#include <thread>

namespace wattserve::bench::load {

namespace {

// Sleeps until `t_ns` on the clock, waking `spin_ns` early and yielding until then.
void wait_until(energy::Clock& clock, int64_t t_ns, int64_t spin_ns) {
  if (spin_ns > 0 && clock.now_ns() < t_ns - spin_ns) clock.sleep_until(t_ns - spin_ns);
  if (spin_ns <= 0) {
    clock.sleep_until(t_ns);
    return;
  }
  while (clock.now_ns() < t_ns) std::this_thread::yield();
}

// Real-time priority and a fine timer slack for the calling sender thread; true when it got
// SCHED_FIFO.
bool tune_sender_thread(bool realtime) {
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  if (!realtime) return false;
  sched_param p{};
  p.sched_priority = 1;
  return pthread_setschedparam(pthread_self(), SCHED_FIFO, &p) == 0;
}

}  // namespace

LoadOutcome run_load(const ClientOptions& client, const LoadGenOptions& opts,
                     const std::vector<LoadRequest>& requests, energy::Clock& clock,
                     const std::function<void(const RequestResult&)>& on_done,
                     const std::atomic<bool>* stop) {
  LoadOutcome out;
  out.results.resize(requests.size());
  std::vector<bool> sent(requests.size(), false);
  const bool closed = opts.streams > 0;
  const int senders = std::max(
      1, static_cast<int>(std::min<std::size_t>(
             requests.size(),
             static_cast<std::size_t>(closed ? opts.streams : std::max(1, opts.max_in_flight)))));
  std::mutex mu;
  std::size_t next = 0;
  std::atomic<int> realtime{0};
  out.start_ns = clock.now_ns();
  const auto sender = [&] {
    if (tune_sender_thread(opts.realtime)) ++realtime;
    Client c(client, clock);
    int64_t free_since = out.start_ns;
    for (;;) {
      std::size_t i = 0;
      {
        std::lock_guard lk(mu);
        if (next >= requests.size()) return;
        i = next++;
      }
      if (stop && stop->load()) return;
      LoadRequest r = requests[i];
      if (closed) {
        r.scheduled_ns = free_since;
      } else {
        r.scheduled_ns = out.start_ns + requests[i].scheduled_ns;
        wait_until(clock, r.scheduled_ns, opts.spin_ns);
        if (stop && stop->load()) return;
      }
      RequestResult res = c.send(r);
      free_since = res.end_ns;
      if (on_done) on_done(res);
      std::lock_guard lk(mu);
      sent[i] = true;
      out.results[i] = std::move(res);
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(senders));
  for (int k = 0; k < senders; ++k) threads.emplace_back(sender);
  for (auto& t : threads) t.join();
  out.end_ns = clock.now_ns();
  out.realtime = realtime.load() == senders;
  // Requests left out by a stop are not results.
  std::vector<RequestResult> kept;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (sent[i]) kept.push_back(std::move(out.results[i]));
  }
  out.results = std::move(kept);
  return out;
}

}  // namespace wattserve::bench::load
