// Clock::wait_until: the system clock times out on CLOCK_MONOTONIC; a FakeClock wakes exactly the
// waiters whose deadline advance() has reached, misses none (many threads, run under TSan in CI),
// and tells a test when a waiter is back asleep so that it can step a loop through fake time.
#include "energy/core/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

namespace wattserve::energy {
namespace {

constexpr int64_t kMs = 1'000'000;

TEST(SystemClock, WaitUntilTimesOutAtTheDeadlineOrStopsEarly) {
  SystemClock clock;
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock lk(mu);
  const int64_t t0 = clock.now_ns();
  EXPECT_FALSE(clock.wait_until(lk, cv, t0 + 5 * kMs, [] { return false; }));
  EXPECT_GE(clock.now_ns(), t0 + 5 * kMs);
  EXPECT_TRUE(lk.owns_lock());
  EXPECT_TRUE(clock.wait_until(lk, cv, t0 - 1, [] { return true; }));

  bool stop = false;
  std::thread t([&] {
    std::lock_guard g(mu);
    stop = true;
    cv.notify_all();
  });
  EXPECT_TRUE(clock.wait_until(lk, cv, kNever, [&] { return stop; }));
  lk.unlock();
  t.join();
  clock.sleep_for(kMs);
  EXPECT_GE(clock.now_ns(), t0 + 6 * kMs);
}

TEST(FakeClock, WaitUntilReturnsWhenFakeTimeReachesTheDeadline) {
  auto clock = std::make_shared<FakeClock>();
  std::mutex mu;
  std::condition_variable cv;
  const int64_t deadline = clock->now_ns() + 100 * kMs;
  auto waited = std::async(std::launch::async, [&] {
    std::unique_lock lk(mu);
    const bool stopped = clock->wait_until(lk, cv, deadline, [] { return false; });
    return std::make_pair(stopped, clock->now_ns());
  });
  ASSERT_TRUE(clock->wait_for_sleepers(1));
  clock->advance_ns(99 * kMs);  // not yet: the waiter is not even woken
  EXPECT_EQ(clock->sleepers(), 1u);
  EXPECT_EQ(waited.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  clock->advance_ns(kMs);
  const auto [stopped, at] = waited.get();
  EXPECT_FALSE(stopped);
  EXPECT_EQ(at, deadline);
  EXPECT_EQ(clock->sleepers(), 0u);
}

TEST(FakeClock, WaitUntilStopsWhenNotifiedWithoutTimeMoving) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  auto waited = std::async(std::launch::async, [&] {
    std::unique_lock lk(mu);
    return clock.wait_until(lk, cv, kNever, [&] { return stop; });
  });
  ASSERT_TRUE(clock.wait_for_sleepers(1));
  {
    std::lock_guard g(mu);
    stop = true;
  }
  cv.notify_all();
  EXPECT_TRUE(waited.get());
  // Already past: no waiting at all.
  std::unique_lock lk(mu);
  EXPECT_FALSE(clock.wait_until(lk, cv, clock.now_ns(), [] { return false; }));
}

TEST(FakeClock, SleepForSleepsInFakeTime) {
  FakeClock clock;
  const int64_t t0 = clock.now_ns();
  auto slept = std::async(std::launch::async, [&] {
    clock.sleep_for(3 * kMs);
    return clock.now_ns();
  });
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(clock.wait_for_sleepers(1));
    clock.advance_ns(kMs);
  }
  EXPECT_EQ(slept.get(), t0 + 3 * kMs);
}

// Many threads wait for many deadlines on their own mutexes while the clock advances in
// uneven steps: each wakes at or after its deadline, and none is left behind.
TEST(FakeClock, ManyWaitersAllWakeAtTheirDeadlines) {
  FakeClock clock;
  const int64_t t0 = clock.now_ns();
  constexpr int kThreads = 8, kWaits = 50;
  std::atomic<int> late{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mutex mu;
      std::condition_variable cv;
      for (int i = 1; i <= kWaits; ++i) {
        const int64_t deadline = t0 + (i * kThreads + t) * kMs;
        std::unique_lock lk(mu);
        clock.wait_until(lk, cv, deadline, [] { return false; });
        if (clock.now_ns() < deadline) ++late;
      }
    });
  }
  const int64_t end = t0 + (kWaits + 1) * kThreads * kMs;
  for (int64_t step = 1; clock.now_ns() < end; step = step % 5 + 1) clock.advance_ns(step * kMs);
  for (auto& th : threads) th.join();  // a lost wake-up hangs here (caught by the test timeout)
  EXPECT_EQ(late.load(), 0);
}

}  // namespace
}  // namespace wattserve::energy
