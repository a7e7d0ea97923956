#include "energy/core/clock.h"

#include <time.h>

namespace wattserve::energy {

namespace {
int64_t read(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

int64_t SystemClock::now_ns() const {
  return read(CLOCK_MONOTONIC);
}
int64_t SystemClock::wall_ns() const {
  return read(CLOCK_REALTIME);
}

std::shared_ptr<Clock> system_clock() {
  static auto c = std::make_shared<SystemClock>();
  return c;
}

}  // namespace wattserve::energy
