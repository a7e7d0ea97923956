#include "energy/core/clock.h"

#include <time.h>

#include <algorithm>

namespace wattserve::energy {

namespace {
int64_t read(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

void Clock::sleep_until(int64_t deadline_ns) {
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock lk(mu);
  wait_until(lk, cv, deadline_ns, [] { return false; });
}

void Clock::sleep_for(int64_t ns) {
  const int64_t now = now_ns();
  sleep_until(ns > kNever - now ? kNever : now + ns);
}

int64_t SystemClock::now_ns() const {
  return read(CLOCK_MONOTONIC);
}
int64_t SystemClock::wall_ns() const {
  return read(CLOCK_REALTIME);
}

bool SystemClock::wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                             int64_t deadline_ns, const std::function<bool()>& stop) {
  if (deadline_ns == kNever) {
    cv.wait(lock, stop);
    return true;
  }
  // steady_clock counts CLOCK_MONOTONIC nanoseconds (libstdc++ and libc++ on Linux): the same
  // origin as now_ns().
  const std::chrono::steady_clock::time_point deadline(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::nanoseconds(deadline_ns)));
  return cv.wait_until(lock, deadline, stop);
}

void FakeClock::advance_ns(int64_t ns) {
  const int64_t now = now_.fetch_add(ns) + ns;
  // Waiters whose deadline has come, pinned so they stay registered (their mutex and condition
  // variable alive) until notified. Each is notified under its own mutex: a waiter holds it from
  // its check of now_ns() until it sleeps, so it either sees the new time or gets the wake-up.
  std::vector<Waiter*> due;
  {
    std::lock_guard g(waiters_mu_);
    for (Waiter* w : waiters_) {
      if (w->deadline_ns <= now) {
        w->asleep = false;
        ++w->pins;
        due.push_back(w);
      }
    }
  }
  for (Waiter* w : due) {
    std::lock_guard g(*w->mu);
    w->cv->notify_all();
  }
  {
    std::lock_guard g(waiters_mu_);
    for (Waiter* w : due) --w->pins;
  }
  waiters_cv_.notify_all();
}

bool FakeClock::wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                           int64_t deadline_ns, const std::function<bool()>& stop) {
  if (stop()) return true;
  if (now_ns() >= deadline_ns) return false;
  Waiter me{lock.mutex(), &cv, deadline_ns};
  {
    std::lock_guard g(waiters_mu_);
    waiters_.push_back(&me);
  }
  for (;;) {
    if (stop()) break;
    {
      // Registered before this check: an advance() past the deadline from here on notifies us
      // under `lock`, which we hold until cv.wait() releases it.
      std::lock_guard g(waiters_mu_);
      if (now_ns() >= deadline_ns) break;
      me.asleep = true;
    }
    waiters_cv_.notify_all();
    cv.wait(lock);
    std::lock_guard g(waiters_mu_);
    me.asleep = false;
  }
  std::unique_lock g(waiters_mu_);
  me.asleep = false;
  if (me.pins > 0) {  // an advance() is about to notify us under `lock`: let it
    lock.unlock();
    waiters_cv_.wait(g, [&] { return me.pins == 0; });
  }
  waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &me));
  g.unlock();
  if (!lock.owns_lock()) lock.lock();
  return stop();
}

std::size_t FakeClock::sleepers_locked() const {
  const int64_t now = now_ns();
  return static_cast<std::size_t>(std::count_if(waiters_.begin(), waiters_.end(), [&](Waiter* w) {
    return w->asleep && w->deadline_ns > now;
  }));
}

std::size_t FakeClock::sleepers() const {
  std::lock_guard g(waiters_mu_);
  return sleepers_locked();
}

bool FakeClock::wait_for_sleepers(std::size_t n, std::chrono::milliseconds limit) const {
  std::unique_lock g(waiters_mu_);
  return waiters_cv_.wait_for(g, limit, [&] { return sleepers_locked() >= n; });
}

std::shared_ptr<Clock> system_clock() {
  static auto c = std::make_shared<SystemClock>();
  return c;
}

}  // namespace wattserve::energy
