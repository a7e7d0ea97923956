// Virtual time for the simulator (docs/adapt.md "Simulator"): a discrete-event coordinator that
// runs serve's real TextWorker threads on a FakeClock. Each simulated engine step asks the
// coordinator for `d` nanoseconds at some power and blocks; the coordinator (the simulation's
// main thread) waits until every worker is quiescent -- blocked in a step or without work --
// then advances the clock to the earliest pending event (a step's end, an arrival, a controller
// tick), integrating power over the jump, and releases that step or runs that event. The
// machine's energy is integrated into a sensor the real Meter reads, so requests get their
// energy exactly as in `serve`.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "energy/core/clock.h"
#include "energy/core/sensor.h"

namespace wattserve::sim {

class Coordinator {
 public:
  Coordinator(std::shared_ptr<energy::FakeClock> clock, double idle_watts);

  energy::FakeClock& clock() { return *clock_; }
  const std::shared_ptr<energy::FakeClock>& clock_ptr() const { return clock_; }
  // A sensor (one "estimate:sim" domain, cumulative joules) for the Meter; reads the
  // integrated energy at the clock's time.
  std::unique_ptr<energy::Sensor> make_sensor();
  double joules() const;  // integrated so far

  // Lanes are the simulated engines (one per worker). Returns the lane's id.
  size_t add_lane();

  // Worker side: the current step runs for `ns` at `watts` above idle; blocks until the
  // coordinator has moved the clock to its end.
  void step(size_t lane, int64_t ns, double watts);
  // Worker side: a job of the lane finished (TextJob::on_done).
  void job_done(size_t lane);

  // Coordinator side: a job was submitted to the lane (before TextWorker::submit).
  void job_submitted(size_t lane);
  // Waits until every lane is blocked in a step or has no unfinished job.
  void wait_quiescent();
  // The earliest end of a pending step, or energy::kNever.
  int64_t next_step_end() const;
  // Moves the clock to t (>= now), integrating power: idle + the watts of the lanes in a step.
  void advance_to(int64_t t_ns);
  // Releases the lanes whose step ends at or before now.
  void release_due();
  // True when no lane has an unfinished job.
  bool all_done() const;
  // Ends the simulation early (an error on the coordinator's side): every step blocked now or
  // later throws std::runtime_error at once, so the workers can finish and shut down.
  void abort();

 private:
  struct Lane {
    bool in_step = false, released = false;
    int64_t end_ns = 0;
    double watts = 0;
    size_t submitted = 0, done = 0;
  };
  bool quiescent_locked() const;

  std::shared_ptr<energy::FakeClock> clock_;
  double idle_w_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Lane> lanes_;
  bool aborted_ = false;
  double joules_ = 0;  // integrated up to at_ns_
  int64_t at_ns_ = 0;
};

}  // namespace wattserve::sim
