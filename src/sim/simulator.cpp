// The simulator's main loop (simulator.h): arrivals, controller ticks and engine steps in
// virtual time, through serve's real TextWorker.
#include "sim/simulator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "bench/stats.h"
#include "energy/core/meter.h"
#include "serve/adapter.h"
#include "sim/coordinator.h"
#include "sim/sim_model.h"

namespace wattserve::sim {

namespace {

// Arrival times and periods above this are refused (int64 nanoseconds hold ~292 years).
constexpr double kMaxSimSeconds = 1e9;
// Controller ticks a simulation may take (the span / the period), beyond which it is refused.
constexpr double kMaxTicks = 1e7;

int64_t to_ns(double s) {
  return static_cast<int64_t>(std::llround(std::clamp(s, 0.0, kMaxSimSeconds) * 1e9));
}

}  // namespace

SimResult simulate(const std::vector<SimRequest>& trace, const SimPolicy& policy,
                   const SimOptions& so) {
  if (trace.empty()) throw std::invalid_argument("the trace has no requests");
  if (policy.options.empty()) throw std::invalid_argument("the policy has no configuration");
  if (!(so.slo_e2e_s > 0)) throw std::invalid_argument("the SLO must be > 0 s");
  if (!(policy.period_s > 0)) throw std::invalid_argument("the controller period must be > 0 s");
  for (size_t i = 1; i < trace.size(); ++i) {
    if (trace[i].t_s < trace[i - 1].t_s) throw std::invalid_argument("the trace is not sorted");
  }
  if (!(trace.front().t_s >= 0) || !(trace.back().t_s <= kMaxSimSeconds)) {
    throw std::invalid_argument(fmt::format(
        "the trace spans {} s: arrival times must lie in [0, {:.0f}] s (check --rate-scale and "
        "--time-scale)",
        trace.back().t_s, kMaxSimSeconds));
  }
  if (policy.options.size() > 1 && trace.back().t_s / policy.period_s > kMaxTicks) {
    throw std::invalid_argument(fmt::format(
        "{:.0f} s of trace at one decision every {} s is more than {:.0f} decisions: use a "
        "longer --period",
        trace.back().t_s, policy.period_s, kMaxTicks));
  }
  for (const auto& o : policy.options) {
    if (const auto why = adapt::unusable_for_text(o.profile); !why.empty()) {
      throw std::invalid_argument(why);
    }
  }
  double idle_w = so.idle_w;
  if (!(idle_w >= 0)) {
    idle_w = 0;
    for (const auto& o : policy.options) idle_w = std::max(idle_w, o.profile.power.idle_w);
  }

  auto clock = std::make_shared<energy::FakeClock>();
  Coordinator coord(clock, idle_w);
  std::vector<std::unique_ptr<energy::Sensor>> sensors;
  sensors.push_back(coord.make_sensor());
  energy::MeterOptions mo;
  mo.clock = clock;
  mo.timeline_capacity = 16;
  energy::Meter meter(std::move(sensors), mo);

  // One worker (lane) per distinct profile; options of the same profile differ in their cap.
  std::map<std::string, size_t> lane_of;
  std::vector<std::unique_ptr<serve::TextWorker>> workers;
  std::vector<size_t> option_lane;
  for (const auto& o : policy.options) {
    auto it = lane_of.find(o.profile.id);
    if (it == lane_of.end()) {
      const size_t lane = coord.add_lane();
      serve::TextWorkerOptions wo;
      wo.parallel = std::max(1, o.profile.parallel);
      wo.policy = policy.schedule;
      wo.aging_s = so.aging_s;
      wo.max_queue = so.max_queue;
      wo.clock = clock;
      wo.slo_e2e_s = so.slo_e2e_s;
      workers.push_back(
          std::make_unique<serve::TextWorker>(o.profile.id, make_sim_model(o.profile, coord, lane),
                                              meter, energy::CarbonIntensity{}, 1.0, wo));
      it = lane_of.emplace(o.profile.id, lane).first;
    }
    option_lane.push_back(it->second);
  }

  adapt::ControllerOptions co = policy.controller;
  co.slo_e2e_s = so.slo_e2e_s;
  adapt::Controller controller(policy.options, co);
  const bool adaptive = policy.options.size() > 1;
  size_t active = adaptive ? controller.current() : 0;
  const auto apply = [&](size_t option) {
    workers[option_lane[option]]->set_parallel_limit(policy.options[option].parallel);
  };
  apply(active);
  std::vector<serve::TextWorker*> raw_workers;
  for (auto& w : workers) raw_workers.push_back(w.get());
  std::vector<serve::TextWorkerCounts> last_counts(workers.size());

  SimResult res;
  res.policy = policy.name;
  res.requests = trace.size();
  std::vector<std::shared_ptr<serve::TextJob>> jobs(trace.size());
  std::vector<std::shared_future<serve::TextJobResult>> results(trace.size());
  std::vector<char> refused(trace.size(), 0);
  std::vector<int64_t> end_ns(trace.size(), 0);
  const int64_t t0 = clock->now_ns();
  const int64_t period = std::max<int64_t>(1, to_ns(policy.period_s));
  int64_t next_tick = t0 + period;
  size_t next = 0;
  const double slo = so.slo_e2e_s;

  // On an error here the workers may be blocked in a step: abort the coordinator so that they
  // can finish, then let the error go.
  try {
    for (;;) {
      coord.wait_quiescent();
      const int64_t t_step = coord.next_step_end();
      const int64_t t_arr = next < trace.size() ? t0 + to_ns(trace[next].t_s) : energy::kNever;
      const bool work_left = next < trace.size() || !coord.all_done();
      const int64_t t_tick = adaptive && work_left ? next_tick : energy::kNever;
      const int64_t t = std::min({t_step, t_arr, t_tick});
      if (t == energy::kNever) break;
      coord.advance_to(std::max(t, clock->now_ns()));
      if (t == t_step) {
        coord.release_due();
      } else if (t == t_arr) {
        const size_t i = next++;
        const auto& r = trace[i];
        auto job = std::make_shared<serve::TextJob>();
        job->id = std::to_string(i);
        job->prompt = prompt_of(std::max(1, r.input_tokens));
        job->sampling.max_tokens = std::max({1, r.max_tokens, r.output_tokens});
        job->sampling.temperature = 0;
        job->exact_output_tokens = std::max(1, r.output_tokens);
        if (so.timeout_s > 0)
          job->deadline_ns = serve::after_seconds(clock->now_ns(), so.timeout_s);
        results[i] = job->result.get_future().share();
        const size_t lane = option_lane[active];
        job->on_done = [&coord, &end_ns, &clock, lane, i] {
          end_ns[i] = clock->now_ns();
          coord.job_done(lane);
        };
        coord.job_submitted(lane);
        jobs[i] = job;
        if (!workers[lane]->submit(job)) {
          refused[i] = 1;
          end_ns[i] = clock->now_ns();
          coord.job_done(lane);
        }
      } else {
        auto reading = serve::read_window(raw_workers, last_counts, policy.period_s);
        if (reading.has_shape) controller.set_shape(reading.shape);
        const auto& obs = reading.observation;
        const auto d = controller.update(obs);
        if (d.changed) {
          active = d.option;
          apply(active);
        }
        res.decisions.push_back({energy::ns_to_s(clock->now_ns() - t0),
                                 policy.options[d.option].name, d.changed, d.rate_per_s, d.reason});
        next_tick += period;
        // Nothing in flight until the next arrival: its idle windows are one window (the
        // controller's rate falls once), not one decision per period of the gap.
        if (coord.all_done() && next < trace.size()) {
          const int64_t ta = t0 + to_ns(trace[next].t_s);
          if (ta > next_tick) next_tick += ((ta - next_tick) / period) * period;
        }
      }
    }
  } catch (...) {
    coord.abort();
    for (auto& w : workers) w->shutdown();
    throw;
  }
  for (auto& w : workers) w->shutdown();

  std::vector<double> e2e, ttft, tpot;
  int64_t last_end = t0;
  size_t within = 0;
  for (size_t i = 0; i < trace.size(); ++i) {
    last_end = std::max(last_end, end_ns[i]);
    SimRequestResult q;
    q.send_s = trace[i].t_s;
    q.input_tokens = trace[i].input_tokens;
    if (refused[i]) {
      ++res.refused;
      if (so.keep_requests) res.per_request.push_back(q);
      continue;
    }
    const auto& rr = results[i].get();
    q.queue_s = rr.queue_s;
    q.ttft_s = rr.queue_s + rr.ttft_s;
    q.e2e_s = rr.queue_s + rr.total_s;
    q.joules = rr.energy.joules;
    q.output_tokens = static_cast<int>(rr.gen.tokens.size());
    q.ok = !rr.error;
    q.slo_met = q.ok && q.e2e_s <= slo;
    if (q.ok) {
      ++res.ok;
      e2e.push_back(q.e2e_s);
      ttft.push_back(q.ttft_s);
      if (q.output_tokens > 1) tpot.push_back((rr.total_s - rr.ttft_s) / (q.output_tokens - 1));
      res.output_tokens += q.output_tokens;
    } else {
      ++res.failed;
    }
    if (q.slo_met) ++within;
    if (so.keep_requests) res.per_request.push_back(q);
  }
  res.duration_s = energy::ns_to_s(last_end - t0);
  res.joules = coord.joules();
  res.joules_per_request = res.joules / static_cast<double>(res.requests);
  res.slo_attainment = static_cast<double>(within) / static_cast<double>(res.requests);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  res.e2e_mean_s = e2e.empty() ? nan : bench::mean(e2e);
  res.e2e_p50_s = e2e.empty() ? nan : bench::percentile(e2e, 50);
  res.e2e_p99_s = e2e.empty() ? nan : bench::percentile(e2e, 99);
  res.ttft_mean_s = ttft.empty() ? nan : bench::mean(ttft);
  res.ttft_p99_s = ttft.empty() ? nan : bench::percentile(ttft, 99);
  res.tpot_mean_s = tpot.empty() ? nan : bench::mean(tpot);
  return res;
}

}  // namespace wattserve::sim
