// Time as the energy library sees it. Everything that needs "now" takes a Clock, so tests
// drive sensors and the meter with a FakeClock and get exact, repeatable intervals.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace wattserve::energy {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic nanoseconds (CLOCK_MONOTONIC for the real clock); only differences matter.
  virtual int64_t now_ns() const = 0;
  // Wall-clock time, Unix epoch nanoseconds (for timestamps in outputs).
  virtual int64_t wall_ns() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now_ns() const override;
  int64_t wall_ns() const override;
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ns = 1'000'000'000,
                     int64_t wall_start_ns = 1'700'000'000'000'000'000)
      : now_(start_ns), wall_offset_(wall_start_ns - start_ns) {}
  int64_t now_ns() const override { return now_.load(); }
  int64_t wall_ns() const override { return now_.load() + wall_offset_; }
  void advance_ns(int64_t ns) { now_.fetch_add(ns); }
  void advance(std::chrono::nanoseconds d) { advance_ns(d.count()); }

 private:
  std::atomic<int64_t> now_;
  int64_t wall_offset_;
};

std::shared_ptr<Clock> system_clock();

inline double ns_to_s(int64_t ns) {
  return static_cast<double>(ns) * 1e-9;
}

}  // namespace wattserve::energy
