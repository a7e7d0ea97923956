// What both served-model workers (TextWorker, TensorWorker) put in front of their one thread: a
// bounded queue of jobs with its lock, condition variable and stop flag, and seconds() for their
// timings. The workers take jobs out under `mu` in their own order (FCFS/SJF, or batches).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

namespace wattserve::serve {

inline double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// A job's deadline `s` seconds from now.
inline std::chrono::steady_clock::time_point deadline_after(double s) {
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
             std::chrono::duration<double>(s));
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
