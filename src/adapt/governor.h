// The frequency governor of `serve --adapt` (docs/adapt.md "Frequency governor"), after
// μ-Serve: while SLO attainment has slack it lowers the processor's frequency cap one step at a
// time, and when attainment falls below the target it raises the cap at once. Pure decision
// logic over the caps an actuator offers (cpufreq.h): no I/O, no clock; the caller feeds one
// window of requests at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace wattserve::adapt {

struct GovernorOptions {
  double target = 0.99;      // SLO attainment to keep (fraction of requests within the SLO)
  double slack = 0.005;      // lower the cap only while attainment >= target + slack
  size_t calm_windows = 2;   // ... for this many windows in a row
  size_t min_requests = 20;  // a window with fewer requests says nothing: hold
  size_t raise_steps = 2;    // steps up when attainment is below target (all the way up when
                             // it is below target - 5 points)
};

struct GovernorDecision {
  uint64_t cap_khz = 0;
  bool changed = false;
  std::string reason;  // for the log and /metrics
};

class FrequencyGovernor {
 public:
  // caps_khz: the caps the actuator offers (any order, duplicates ignored); starts at the
  // highest. Throws std::invalid_argument when empty or an option is out of range.
  FrequencyGovernor(std::vector<uint64_t> caps_khz, GovernorOptions options = {});

  // One window: `within_slo` of `requests` met the SLO. Returns the cap for the next window.
  GovernorDecision update(size_t within_slo, size_t requests);

  uint64_t cap_khz() const { return caps_[index_]; }
  const std::vector<uint64_t>& caps_khz() const { return caps_; }

 private:
  std::vector<uint64_t> caps_;  // ascending
  GovernorOptions options_;
  size_t index_ = 0;
  size_t calm_ = 0;
};

}  // namespace wattserve::adapt
