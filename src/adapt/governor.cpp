// The frequency governor's rules (governor.h, docs/adapt.md "Frequency governor").
#include "adapt/governor.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace wattserve::adapt {

FrequencyGovernor::FrequencyGovernor(std::vector<uint64_t> caps_khz, GovernorOptions options)
    : caps_(std::move(caps_khz)), options_(options) {
  std::sort(caps_.begin(), caps_.end());
  caps_.erase(std::unique(caps_.begin(), caps_.end()), caps_.end());
  if (caps_.empty() || caps_.front() == 0) {
    throw std::invalid_argument("the frequency governor needs at least one non-zero cap");
  }
  if (!(options_.target > 0 && options_.target <= 1) || !(options_.slack >= 0) ||
      options_.raise_steps == 0) {
    throw std::invalid_argument(
        "governor options: target in (0, 1], slack >= 0 and raise_steps >= 1");
  }
  index_ = caps_.size() - 1;
}

GovernorDecision FrequencyGovernor::update(size_t within_slo, size_t requests) {
  GovernorDecision d;
  const size_t before = index_;
  if (requests < options_.min_requests || within_slo > requests) {
    calm_ = 0;
    d.reason = fmt::format("hold: {} requests in the window (fewer than {} say nothing)", requests,
                           options_.min_requests);
  } else {
    const double attainment = static_cast<double>(within_slo) / static_cast<double>(requests);
    if (attainment < options_.target) {
      calm_ = 0;
      const bool far = attainment < options_.target - 0.05;
      index_ = far ? caps_.size() - 1 : std::min(caps_.size() - 1, index_ + options_.raise_steps);
      d.reason = fmt::format("raise: SLO attainment {:.4f} below the target {:.4f}{}", attainment,
                             options_.target, far ? " by more than 5 points: to the top" : "");
    } else if (attainment >= options_.target + options_.slack) {
      ++calm_;
      if (calm_ >= options_.calm_windows && index_ > 0) {
        --index_;
        calm_ = 0;
        d.reason = fmt::format("lower: SLO attainment {:.4f} has slack over {:.4f} for {} windows",
                               attainment, options_.target + options_.slack, options_.calm_windows);
      } else {
        d.reason =
            index_ == 0
                ? fmt::format("hold: at the lowest cap, attainment {:.4f}", attainment)
                : fmt::format("hold: slack for {} of {} windows", calm_, options_.calm_windows);
      }
    } else {
      calm_ = 0;
      d.reason = fmt::format("hold: SLO attainment {:.4f} within the slack band", attainment);
    }
  }
  d.cap_khz = caps_[index_];
  d.changed = index_ != before;
  return d;
}

}  // namespace wattserve::adapt
