// Time as the energy library (and the serve workers) see it. Everything that needs "now", or
// needs to wait until a time, takes a Clock, so tests drive sensors, the meter and the workers
// with a FakeClock and get exact, repeatable intervals without sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

namespace wattserve::energy {

// A deadline that never comes (wait_until waits for its stop condition only).
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic nanoseconds (CLOCK_MONOTONIC for the real clock); only differences matter.
  virtual int64_t now_ns() const = 0;
  // Wall-clock time, Unix epoch nanoseconds (for timestamps in outputs).
  virtual int64_t wall_ns() const = 0;
  // Waits on `cv` (with `lock` held on entry and on return, released while waiting) until
  // stop() is true or this clock reaches `deadline_ns` (now_ns() units); returns stop(). Whoever
  // changes what stop() reads does so under the lock and notifies `cv`, as for
  // std::condition_variable::wait_until with a predicate.
  virtual bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          int64_t deadline_ns, const std::function<bool()>& stop) = 0;

  // Blocks the calling thread until this clock reaches `deadline_ns` / for `ns` of its time.
  void sleep_until(int64_t deadline_ns);
  void sleep_for(int64_t ns);
};

class SystemClock final : public Clock {
 public:
  int64_t now_ns() const override;
  int64_t wall_ns() const override;
  // std::condition_variable::wait_until on std::chrono::steady_clock, which reads
  // CLOCK_MONOTONIC like now_ns().
  bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                  int64_t deadline_ns, const std::function<bool()>& stop) override;
};

// A clock that only moves when told to. Thread-safe. Threads in wait_until() sleep until another
// thread advances the clock past their deadline (or their stop condition comes true); advance()
// wakes exactly those whose deadline has come, and none is missed: it notifies each under the
// waiter's own mutex. So advance() must not be called while holding a waiter's mutex.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ns = 1'000'000'000,
                     int64_t wall_start_ns = 1'700'000'000'000'000'000)
      : now_(start_ns), wall_offset_(wall_start_ns - start_ns) {}
  int64_t now_ns() const override { return now_.load(); }
  int64_t wall_ns() const override { return now_.load() + wall_offset_; }
  void advance_ns(int64_t ns);
  void advance(std::chrono::nanoseconds d) { advance_ns(d.count()); }
  bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                  int64_t deadline_ns, const std::function<bool()>& stop) override;

  // For tests that step a thread through fake time: blocks (in real time, at most `limit`, a
  // bound that only catches hangs) until at least `n` threads are asleep in wait_until() for a
  // deadline this clock has not reached. After advance() past a thread's deadline, that thread
  // counts again only once it has done its work and gone back to sleep, so
  // `advance(step); wait_for_sleepers(1);` runs a sampling loop exactly one step. False on
  // timeout.
  bool wait_for_sleepers(std::size_t n,
                         std::chrono::milliseconds limit = std::chrono::seconds(30)) const;
  // Threads asleep in wait_until() now.
  std::size_t sleepers() const;

 private:
  struct Waiter {
    std::mutex* mu;
    std::condition_variable* cv;
    int64_t deadline_ns;
    bool asleep = false;
    int pins = 0;  // advance() calls about to notify it: it may not leave wait_until() yet
  };
  std::size_t sleepers_locked() const;

  std::atomic<int64_t> now_;
  int64_t wall_offset_;
  mutable std::mutex waiters_mu_;  // guards waiters_ and every Waiter's asleep and pins
  mutable std::condition_variable waiters_cv_;
  std::vector<Waiter*> waiters_;
};

std::shared_ptr<Clock> system_clock();

inline double ns_to_s(int64_t ns) {
  return static_cast<double>(ns) * 1e-9;
}

}  // namespace wattserve::energy
