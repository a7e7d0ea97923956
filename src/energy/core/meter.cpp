#include "energy/core/meter.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>

namespace wattserve::energy {

namespace {
constexpr int64_t kMinIntervalNs = 1'000'000;  // 1 ms
}

Meter::Meter(std::vector<std::unique_ptr<Sensor>> sensors, MeterOptions opts)
    : sensors_(std::move(sensors)), opts_(std::move(opts)) {
  if (!opts_.clock) opts_.clock = system_clock();
  if (opts_.interval_ns < kMinIntervalNs) {
    throw std::invalid_argument("meter interval must be at least 1 ms");
  }
  if (opts_.timeline_capacity == 0) opts_.timeline_capacity = 1;
  std::set<std::string> ids;
  for (const auto& s : sensors_) {
    if (!s) throw std::invalid_argument("meter: null sensor");
    sensor_offset_.push_back(domains_.size());
    for (const Domain& d : s->domains()) {
      if (!ids.insert(d.id).second) {
        throw std::invalid_argument("meter: two sensors report the same domain '" + d.id + "'");
      }
      domains_.push_back(d);
    }
  }
  current_.assign(domains_.size(), 0.0);
  last_power_.assign(domains_.size(), std::numeric_limits<double>::quiet_NaN());
}

Meter::~Meter() {
  {
    std::lock_guard lk(run_mu_);
    running_ = false;
    run_cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void Meter::start() {
  std::lock_guard lk(run_mu_);
  if (running_) return;
  running_ = true;
  sample_now();  // an origin for the first interval
  thread_ = std::thread([this] { run(); });
}

void Meter::stop() {
  {
    std::lock_guard lk(run_mu_);
    if (!running_) return;
    running_ = false;
    run_cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  sample_now();
}

void Meter::run() {
  // All on the meter's clock: a FakeClock's advance() runs this loop in fake time.
  Clock& clock = *opts_.clock;
  const int64_t period = opts_.interval_ns;
  int64_t next = clock.now_ns();
  std::unique_lock lk(run_mu_);
  while (running_) {
    next += period;
    const int64_t now = clock.now_ns();
    if (next < now) next = now + period;  // fell behind (suspend, overload): do not burst
    if (clock.wait_until(lk, run_cv_, next, [this] { return !running_; })) break;
    lk.unlock();
    sample_now();
    lk.lock();
  }
}

void Meter::sample_now() {
  std::lock_guard lk(mu_);
  sample_locked();
}

void Meter::sample_locked() {
  const int64_t now = opts_.clock->now_ns();
  const int64_t wall = opts_.clock->wall_ns();
  std::vector<double> next = current_;
  size_t errors = 0;
  std::string err;
  for (size_t i = 0; i < sensors_.size(); ++i) {
    Sensor& s = *sensors_[i];
    const size_t n = s.domains().size();
    std::span<double> out(next.data() + sensor_offset_[i], n);
    std::vector<double> buf(n);
    if (s.read(now, buf, &err)) {
      for (size_t d = 0; d < n; ++d) out[d] = std::max(out[d], buf[d]);  // never backwards
    } else {
      ++errors;  // keep the previous values: this sensor's energy in the interval is lost
    }
  }
  std::vector<double> delta(next.size());
  for (size_t d = 0; d < next.size(); ++d) delta[d] = next[d] - current_[d];
  // The first sample only sets the origin: the values before it are relative to sensor start.
  if (last_ns_ >= 0) {
    const int64_t dt_ns = std::max<int64_t>(0, now - last_ns_);
    const double dt = ns_to_s(dt_ns);
    double weight_sum = 0;
    for (const auto& [id, w] : windows_) weight_sum += w.weight;
    const bool equal = !(weight_sum > 0);
    const double n_windows = static_cast<double>(windows_.size());
    double counted = 0;
    for (size_t d = 0; d < delta.size(); ++d) {
      if (domains_[d].counted) counted += delta[d];
    }
    totals_.joules += counted;
    if (windows_.empty()) totals_.unattributed_joules += counted;
    for (auto& [id, w] : windows_) {
      const double share = equal ? 1.0 / n_windows : w.weight / weight_sum;
      for (size_t d = 0; d < delta.size(); ++d) {
        const double idle = baseline_.watts.empty() ? 0.0 : baseline_.watts[d] * dt;
        w.joules[d] += delta[d];
        w.attributed[d] += delta[d] * share;
        w.attributed_dynamic[d] += std::max(0.0, delta[d] - idle) * share;
      }
      ++w.intervals;
      w.read_errors += errors;
    }
    if (dt_ns > 0) {
      for (size_t d = 0; d < delta.size(); ++d) last_power_[d] = delta[d] / dt;
    }
    for (const auto& l : listeners_) l(last_ns_, now, delta);
  }
  current_ = std::move(next);
  last_ns_ = std::max(last_ns_, now);
  last_wall_ns_ = wall;
  ++samples_;
  timeline_.push_back(Sample{now, wall, current_});
  while (timeline_.size() > opts_.timeline_capacity) timeline_.pop_front();
}

Meter::WindowId Meter::begin(std::string label, double weight) {
  if (!(weight >= 0) || !std::isfinite(weight)) {
    throw std::invalid_argument("window weight must be a finite number >= 0");
  }
  std::lock_guard lk(mu_);
  sample_locked();
  const WindowId id = next_id_++;
  Window w;
  w.label = std::move(label);
  w.weight = weight;
  w.begin_ns = last_ns_;
  w.begin_wall_ns = last_wall_ns_;
  const size_t n = domains_.size();
  w.joules.assign(n, 0);
  w.attributed.assign(n, 0);
  w.attributed_dynamic.assign(n, 0);
  windows_.emplace(id, std::move(w));
  return id;
}

void Meter::set_weight(WindowId id, double weight) {
  const std::pair<WindowId, double> one[1] = {{id, weight}};
  set_weights(one);
}

void Meter::set_weights(std::span<const std::pair<WindowId, double>> weights) {
  for (const auto& [id, weight] : weights) {
    if (!(weight >= 0) || !std::isfinite(weight)) {
      throw std::invalid_argument("window weight must be a finite number >= 0");
    }
  }
  if (weights.empty()) return;
  std::lock_guard lk(mu_);
  for (const auto& [id, weight] : weights) {
    if (windows_.find(id) == windows_.end()) throw std::invalid_argument("unknown meter window");
  }
  sample_locked();  // intervals so far keep the old weights
  for (const auto& [id, weight] : weights) windows_.find(id)->second.weight = weight;
}

WindowReport Meter::end(WindowId id) {
  std::lock_guard lk(mu_);
  auto it = windows_.find(id);
  if (it == windows_.end()) throw std::invalid_argument("unknown or already closed meter window");
  sample_locked();
  WindowReport r = report_locked(it->second, last_ns_, last_wall_ns_);
  windows_.erase(it);
  return r;
}

WindowReport Meter::peek(WindowId id) {
  std::lock_guard lk(mu_);
  auto it = windows_.find(id);
  if (it == windows_.end()) throw std::invalid_argument("unknown or already closed meter window");
  sample_locked();
  return report_locked(it->second, last_ns_, last_wall_ns_);
}

WindowReport Meter::report_locked(const Window& w, int64_t end_ns, int64_t end_wall_ns) const {
  WindowReport r;
  r.label = w.label;
  r.weight = w.weight;
  r.begin_ns = w.begin_ns;
  r.end_ns = end_ns;
  r.begin_wall_ns = w.begin_wall_ns;
  r.end_wall_ns = end_wall_ns;
  r.duration_s = ns_to_s(end_ns - w.begin_ns);
  r.intervals = w.intervals;
  r.read_errors = w.read_errors;
  r.has_baseline = !baseline_.watts.empty();
  bool any_counted = false;
  for (size_t d = 0; d < domains_.size(); ++d) {
    const Domain& dom = domains_[d];
    DomainEnergy e;
    e.id = dom.id;
    e.kind = dom.kind;
    e.source = dom.source;
    e.counted = dom.counted;
    e.joules = w.joules[d];
    e.idle_watts = r.has_baseline ? baseline_.watts[d] : 0.0;
    e.dynamic_joules = std::max(0.0, e.joules - e.idle_watts * r.duration_s);
    e.attributed_joules = w.attributed[d];
    e.attributed_dynamic_joules = w.attributed_dynamic[d];
    e.avg_watts = r.duration_s > 0 ? e.joules / r.duration_s : 0.0;
    if (dom.counted) {
      r.joules += e.joules;
      r.dynamic_joules += e.dynamic_joules;
      r.attributed_joules += e.attributed_joules;
      r.attributed_dynamic_joules += e.attributed_dynamic_joules;
      r.source = any_counted ? weakest(r.source, dom.source) : dom.source;
      any_counted = true;
    }
    r.domains.push_back(std::move(e));
  }
  if (!any_counted) r.source = Source::kEstimate;
  r.avg_watts = r.duration_s > 0 ? r.joules / r.duration_s : 0.0;
  return r;
}

void Meter::set_idle_baseline(IdleBaseline baseline) {
  if (!baseline.watts.empty() && baseline.watts.size() != domains_.size()) {
    throw std::invalid_argument("idle baseline must give one power per meter domain");
  }
  for (double w : baseline.watts) {
    if (!(w >= 0) || !std::isfinite(w)) {
      throw std::invalid_argument("idle power must be a finite number >= 0");
    }
  }
  std::lock_guard lk(mu_);
  baseline_ = std::move(baseline);
}

IdleBaseline Meter::idle_baseline() const {
  std::lock_guard lk(mu_);
  return baseline_;
}

IdleBaseline Meter::baseline_from(const WindowReport& idle) {
  IdleBaseline b;
  b.duration_s = idle.duration_s;
  for (const DomainEnergy& e : idle.domains) {
    b.watts.push_back(idle.duration_s > 0 ? e.joules / idle.duration_s : 0.0);
  }
  return b;
}

IdleBaseline Meter::measure_idle(int64_t duration_ns) {
  if (duration_ns <= 0) throw std::invalid_argument("idle measurement needs a positive duration");
  bool threaded;
  {
    std::lock_guard lk(run_mu_);
    threaded = running_;
  }
  const WindowId id = begin("idle-baseline");
  Clock& clock = *opts_.clock;
  const int64_t deadline = clock.now_ns() + duration_ns;
  if (threaded) {
    clock.sleep_until(deadline);
  } else {
    // No sampling thread: sample at the meter's interval ourselves (power sensors need points).
    while (clock.now_ns() < deadline) {
      clock.sleep_until(std::min(deadline, clock.now_ns() + opts_.interval_ns));
      sample_now();
    }
  }
  return baseline_from(end(id));
}

std::vector<Sample> Meter::timeline() const {
  std::lock_guard lk(mu_);
  return {timeline_.begin(), timeline_.end()};
}

MeterTotals Meter::totals() const {
  std::lock_guard lk(mu_);
  return totals_;
}

std::vector<double> Meter::last_power() const {
  std::lock_guard lk(mu_);
  return last_power_;
}

void Meter::add_listener(IntervalListener listener) {
  std::lock_guard lk(mu_);
  listeners_.push_back(std::move(listener));
}

uint64_t Meter::samples_taken() const {
  std::lock_guard lk(mu_);
  return samples_;
}

}  // namespace wattserve::energy
