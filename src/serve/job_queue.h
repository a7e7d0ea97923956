// What both served-model workers (TextWorker, TensorWorker) put in front of their one thread: a
// bounded queue of jobs with its lock, condition variable and stop flag, and deadline_after() for
// their deadlines. The workers take jobs out under `mu` in their own order (FCFS/SJF, or batches).
// Job times are nanoseconds on the worker's clock (energy::Clock::now_ns()).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>

#include "energy/core/clock.h"

namespace wattserve::serve {

// `s` seconds after `t_ns`; energy::kNever when that is beyond int64_t (or `s` is NaN).
inline int64_t after_seconds(int64_t t_ns, double s) {
  const double t = static_cast<double>(t_ns) + s * 1e9;
  if (!(t < 9.2e18)) return energy::kNever;
  if (t < -9.2e18) return std::numeric_limits<int64_t>::min();
  return t_ns + static_cast<int64_t>(s * 1e9);
}

// A job's deadline `s` seconds from now on `clock`.
inline int64_t deadline_after(const energy::Clock& clock, double s) {
  return after_seconds(clock.now_ns(), s);
}

template <typename Job>
struct JobQueue {
  explicit JobQueue(std::size_t limit) : max_size(limit) {}

  // Queues the job unless the queue is full or stopping (then false, nothing done). Under the
  // lock, after queueing, calls on_queued(length) (e.g. to open the job's meter window before
  // the worker can see it, and to update a gauge).
  template <typename F>
  bool push(std::shared_ptr<Job> job, F&& on_queued) {
    {
      std::lock_guard lk(mu);
      if (stopping || jobs.size() >= max_size) return false;
      jobs.push_back(std::move(job));
      on_queued(jobs.size());
    }
    cv.notify_one();
    return true;
  }
  std::size_t size() const {
    std::lock_guard lk(mu);
    return jobs.size();
  }
  // Stops accepting jobs and wakes the worker, which finishes the queued ones.
  void stop() {
    {
      std::lock_guard lk(mu);
      stopping = true;
    }
    cv.notify_all();
  }
  // Under `lk` (on mu): waits until there is a job or the queue stops.
  void wait(std::unique_lock<std::mutex>& lk) {
    cv.wait(lk, [&] { return stopping || !jobs.empty(); });
  }

  const std::size_t max_size;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<std::shared_ptr<Job>> jobs;
  bool stopping = false;
};

}  // namespace wattserve::serve
