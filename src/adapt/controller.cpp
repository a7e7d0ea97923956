// The online controller (controller.h). Formulas: docs/adapt.md "Online adaptation".
#include "adapt/controller.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "adapt/planner_queueing.h"

namespace wattserve::adapt {

OptionPrediction predict(const AdaptOption& o, double rate, const RequestShape& shape) {
  OptionPrediction p;
  const auto& v = o.profile;
  const int slots = std::max(1, o.parallel);
  StageWorkload w;
  w.input_tokens = shape.input_tokens;
  w.output_tokens = shape.output_tokens;
  w.output_tokens_p99 = shape.output_tokens_p99;
  const double s_full = request_service_s(v, shape.input_tokens, shape.output_tokens, slots);
  p.capacity_per_s = s_full > 0 ? slots / s_full : std::numeric_limits<double>::infinity();
  const auto e = estimate_stage(v, w, slots, 1, rate);
  p.utilisation = rate / p.capacity_per_s;
  p.mean_sequences = e.mean_in_step;
  const double inf = std::numeric_limits<double>::infinity();
  p.latency_mean_s = e.stable ? e.latency_mean_s : inf;
  p.latency_p99_s = e.stable ? e.latency_p99_s : inf;
  p.joules_per_request = e.joules_per_request + (rate > 0 ? v.power.idle_w / rate : 0);
  return p;
}

Controller::Controller(std::vector<AdaptOption> options, ControllerOptions co)
    : options_(std::move(options)), co_(co) {
  if (options_.empty()) throw std::invalid_argument("the controller needs at least one option");
  if (!(co_.slo_e2e_s > 0)) throw std::invalid_argument("the SLO must be > 0 s");
  if (!(co_.target > 0 && co_.target <= 1)) throw std::invalid_argument("target must be in (0, 1]");
  if (!(co_.headroom > 0 && co_.headroom <= 1)) {
    throw std::invalid_argument("headroom must be in (0, 1]");
  }
  if (!(co_.rate_smoothing > 0 && co_.rate_smoothing <= 1)) {
    throw std::invalid_argument("rate_smoothing must be in (0, 1]");
  }
  for (const auto& o : options_) {
    if (const auto why = unusable_for_text(o.profile); !why.empty())
      throw std::invalid_argument(why);
    if (o.parallel < 1) throw std::invalid_argument(o.name + ": parallel must be >= 1");
  }
  by_speed_.resize(options_.size());
  std::iota(by_speed_.begin(), by_speed_.end(), size_t{0});
  // Fastest: the most capacity (ties: the shorter service alone).
  std::vector<OptionPrediction> low(options_.size());
  for (size_t i = 0; i < options_.size(); ++i) low[i] = predict(options_[i], 0, co_.shape);
  std::stable_sort(by_speed_.begin(), by_speed_.end(), [&](size_t a, size_t b) {
    if (low[a].capacity_per_s != low[b].capacity_per_s) {
      return low[a].capacity_per_s > low[b].capacity_per_s;
    }
    return low[a].latency_mean_s < low[b].latency_mean_s;
  });
  current_ = by_speed_.front();
}

size_t Controller::choose(double rate, std::string* why) const {
  size_t best = options_.size();
  double best_j = std::numeric_limits<double>::infinity();
  const size_t max_rank = hold_left_ > 0 ? floor_rank_ : options_.size() - 1;
  for (size_t rank = 0; rank <= max_rank && rank < by_speed_.size(); ++rank) {
    const size_t i = by_speed_[rank];
    const double q = options_[i].profile.quality;
    if (co_.min_quality > 0 && std::isfinite(q) && q < co_.min_quality) continue;
    const auto p = predict(options_[i], rate, co_.shape);
    if (!(p.utilisation <= co_.headroom) || !(p.latency_p99_s <= co_.slo_e2e_s)) continue;
    if (p.joules_per_request < best_j) {
      best_j = p.joules_per_request;
      best = i;
    }
  }
  if (best == options_.size()) {
    const size_t i = by_speed_.front();
    if (why) {
      *why =
          fmt::format("no option meets the SLO with {:.0f}% headroom at {:.2f} req/s: the fastest",
                      co_.headroom * 100, rate);
    }
    return i;
  }
  if (why) {
    const auto p = predict(options_[best], rate, co_.shape);
    *why = fmt::format(
        "least predicted energy at {:.2f} req/s: {:.4f} J/request, utilisation {:.2f}, p99 {:.3f} "
        "s{}",
        rate, p.joules_per_request, p.utilisation, p.latency_p99_s,
        hold_left_ > 0 ? fmt::format(" (held at rank <= {} after a missed window)", floor_rank_)
                       : "");
  }
  return best;
}

ControllerDecision Controller::update(const Observation& obs) {
  ControllerDecision d;
  const double window_rate =
      obs.window_s > 0 ? static_cast<double>(obs.arrivals) / obs.window_s : 0;
  rate_ =
      rate_ < 0 ? window_rate : co_.rate_smoothing * window_rate + (1 - co_.rate_smoothing) * rate_;
  // Plan for the larger of the smoothed and the newest rate: rises act at once, falls slowly.
  d.rate_per_s = std::max(rate_, window_rate);
  const double attainment =
      obs.finished > 0 ? static_cast<double>(obs.within_slo) / static_cast<double>(obs.finished)
                       : 1;
  const bool missed = (obs.finished > 0 && attainment < co_.target) || obs.queued > co_.queue_alarm;
  std::string why;
  if (missed) {
    const size_t rank = static_cast<size_t>(
        std::find(by_speed_.begin(), by_speed_.end(), current_) - by_speed_.begin());
    floor_rank_ = rank > 0 ? rank - 1 : 0;
    hold_left_ = co_.hold_windows;
    why = obs.queued > co_.queue_alarm
              ? fmt::format("{} requests queued (alarm at {}): one step faster", obs.queued,
                            co_.queue_alarm)
              : fmt::format("SLO attainment {:.4f} below the target {:.4f}: one step faster",
                            attainment, co_.target);
  }
  std::string plan_why;
  size_t next = choose(d.rate_per_s, &plan_why);
  if (missed) {
    // At least one step faster than now, whatever the prediction says.
    const size_t want = by_speed_[floor_rank_];
    const auto rank_of = [&](size_t i) {
      return static_cast<size_t>(std::find(by_speed_.begin(), by_speed_.end(), i) -
                                 by_speed_.begin());
    };
    if (rank_of(next) > floor_rank_) next = want;
    d.reason = why + "; " + plan_why;
  } else {
    if (hold_left_ > 0) --hold_left_;
    d.reason = plan_why;
  }
  d.changed = next != current_;
  current_ = next;
  d.option = next;
  return d;
}

}  // namespace wattserve::adapt
