// The simulator's virtual-time coordinator (coordinator.h).
#include "sim/coordinator.h"

#include <algorithm>
#include <stdexcept>

namespace wattserve::sim {

namespace {

class SimSensor final : public energy::Sensor {
 public:
  explicit SimSensor(const Coordinator& c) : c_(c) {
    energy::Domain d;
    d.id = "estimate:sim";
    d.kind = energy::DomainKind::kCpuPackage;
    d.source = energy::Source::kEstimate;
    domains_.push_back(d);
  }
  std::string_view name() const override { return "simulated"; }
  const std::vector<energy::Domain>& domains() const override { return domains_; }
  bool read(int64_t, std::span<double> out, std::string*) override {
    out[0] = c_.joules();
    return true;
  }

 private:
  const Coordinator& c_;
  std::vector<energy::Domain> domains_;
};

}  // namespace

Coordinator::Coordinator(std::shared_ptr<energy::FakeClock> clock, double idle_watts)
    : clock_(std::move(clock)), idle_w_(idle_watts), at_ns_(clock_->now_ns()) {}

std::unique_ptr<energy::Sensor> Coordinator::make_sensor() {
  return std::make_unique<SimSensor>(*this);
}

double Coordinator::joules() const {
  std::lock_guard lk(mu_);
  return joules_;
}

size_t Coordinator::add_lane() {
  std::lock_guard lk(mu_);
  lanes_.emplace_back();
  return lanes_.size() - 1;
}

void Coordinator::step(size_t lane, int64_t ns, double watts) {
  std::unique_lock lk(mu_);
  if (aborted_) throw std::runtime_error("the simulation was aborted");
  auto& l = lanes_.at(lane);
  l.in_step = true;
  l.released = false;
  l.end_ns = clock_->now_ns() + std::max<int64_t>(ns, 1);
  l.watts = watts;
  cv_.notify_all();
  cv_.wait(lk, [&] { return l.released || aborted_; });
  l.in_step = false;
  l.released = false;
  if (aborted_) throw std::runtime_error("the simulation was aborted");
}

void Coordinator::abort() {
  std::lock_guard lk(mu_);
  aborted_ = true;
  cv_.notify_all();
}

void Coordinator::job_done(size_t lane) {
  std::lock_guard lk(mu_);
  ++lanes_.at(lane).done;
  cv_.notify_all();
}

void Coordinator::job_submitted(size_t lane) {
  std::lock_guard lk(mu_);
  ++lanes_.at(lane).submitted;
}

bool Coordinator::quiescent_locked() const {
  return std::all_of(lanes_.begin(), lanes_.end(),
                     [](const Lane& l) { return l.in_step ? !l.released : l.done == l.submitted; });
}

void Coordinator::wait_quiescent() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return quiescent_locked(); });
}

int64_t Coordinator::next_step_end() const {
  std::lock_guard lk(mu_);
  int64_t t = energy::kNever;
  for (const auto& l : lanes_) {
    if (l.in_step && !l.released) t = std::min(t, l.end_ns);
  }
  return t;
}

void Coordinator::advance_to(int64_t t) {
  std::lock_guard lk(mu_);
  const int64_t now = clock_->now_ns();
  if (t < now) throw std::logic_error("the simulation clock cannot go back");
  double w = idle_w_;
  for (const auto& l : lanes_) {
    if (l.in_step && !l.released) w += l.watts;
  }
  joules_ += w * energy::ns_to_s(t - now);
  at_ns_ = t;
  clock_->advance_ns(t - now);
}

void Coordinator::release_due() {
  std::lock_guard lk(mu_);
  const int64_t now = clock_->now_ns();
  for (auto& l : lanes_) {
    if (l.in_step && !l.released && l.end_ns <= now) l.released = true;
  }
  cv_.notify_all();
}

bool Coordinator::all_done() const {
  std::lock_guard lk(mu_);
  return std::all_of(lanes_.begin(), lanes_.end(),
                     [](const Lane& l) { return !l.in_step && l.done == l.submitted; });
}

}  // namespace wattserve::sim
