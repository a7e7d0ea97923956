// Trace loading, options, policy comparison and validation for `wattserve simulate`
// (evaluate.h).
#include "sim/evaluate.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>

#include "adapt/profile_fit.h"
#include "bench/load/trace.h"
#include "report/dataset_loader.h"

namespace wattserve::sim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double num(const nlohmann::json& j, const char* ptr) {
  return adapt::record_number(j, ptr);
}
std::string str(const nlohmann::json& j, const char* ptr) {
  return adapt::record_string(j, ptr);
}

double ape(double predicted, double actual) {
  return actual > 0 && std::isfinite(predicted) ? std::abs(predicted - actual) / actual : kNaN;
}

double mean_finite(const std::vector<double>& xs) {
  double s = 0;
  size_t n = 0;
  for (const double x : xs) {
    if (std::isfinite(x)) {
      s += x;
      ++n;
    }
  }
  return n ? s / static_cast<double>(n) : kNaN;
}

}  // namespace

std::vector<SimRequest> load_sim_trace(const TraceSpec& spec, int context) {
  if (context < 3) throw std::invalid_argument("the context must hold at least 3 tokens");
  auto trace =
      bench::load::window_trace(bench::load::load_trace(spec.path),
                                {spec.start_s, spec.duration_s, spec.time_scale, spec.rate_scale});
  const int room = context - 1;
  bench::load::TokenBudget budget;
  budget.context = room;
  budget.max_output = spec.max_tokens > 0 ? std::min(spec.max_tokens, room - 1) : room / 2;
  bench::load::fit_tokens(trace, bench::load::parse_token_map(spec.token_map), budget);
  std::vector<SimRequest> out;
  out.reserve(trace.size());
  for (const auto& t : trace) {
    SimRequest r;
    r.t_s = t.t_s;
    r.input_tokens = t.input_tokens;
    r.output_tokens = t.output_tokens;
    r.max_tokens =
        spec.max_tokens > 0 ? spec.max_tokens : std::max(t.output_tokens, room - t.input_tokens);
    out.push_back(r);
  }
  return out;
}

std::vector<adapt::AdaptOption> options_for(const adapt::Profiles& profiles,
                                            const std::string& selector,
                                            const std::vector<int>& caps) {
  std::string sel = selector;
  if (sel.empty()) {
    std::map<std::string, size_t> count;
    for (const auto& v : profiles.variants) {
      if (v.kind == "text") ++count[v.model];
    }
    size_t best = 0;
    for (const auto& [m, n] : count) {
      if (n > best) {
        best = n;
        sel = m;
      }
    }
  }
  std::vector<adapt::AdaptOption> out;
  std::vector<std::string> unusable;
  for (const auto& v : profiles.variants) {
    if (v.kind != "text") continue;
    const bool glob = sel.find_first_of("*?[") != std::string::npos;
    if (glob ? ::fnmatch(sel.c_str(), v.id.c_str(), 0) != 0
             : (v.id != sel && v.model != sel && v.family != sel)) {
      continue;
    }
    if (const auto why = adapt::unusable_for_text(v); !why.empty()) {
      unusable.push_back(why);
      continue;
    }
    std::set<int> use;
    for (const int c : caps) {
      if (c >= 1 && c <= v.parallel) use.insert(c);
    }
    if (use.empty()) use.insert(v.parallel);
    for (const int c : use) {
      adapt::AdaptOption o;
      o.name = c == v.parallel ? v.id : fmt::format("{}@{}", v.id, c);
      o.profile = v;
      o.parallel = c;
      out.push_back(std::move(o));
    }
  }
  if (out.empty()) {
    std::string why;
    for (const auto& u : unusable) why += "\n  unusable: " + u;
    throw std::invalid_argument(fmt::format(
        "no text-generation profile matches '{}' (give a profile id, model or family the "
        "profiles hold){}",
        sel, why));
  }
  return out;
}

Comparison compare_policies(const std::vector<SimRequest>& trace,
                            const std::vector<adapt::AdaptOption>& options, const SimOptions& sim,
                            serve::SchedulePolicy schedule,
                            const adapt::ControllerOptions& controller, double period_s) {
  Comparison c;
  c.target = controller.target;
  // One idle power for every policy (the machine's, as the adaptive policy sees it).
  SimOptions sim_common = sim;
  if (!(sim_common.idle_w >= 0)) {
    sim_common.idle_w = 0;
    for (const auto& o : options)
      sim_common.idle_w = std::max(sim_common.idle_w, o.profile.power.idle_w);
  }
  for (const auto& o : options) {
    SimPolicy p;
    p.name = "static " + o.name;
    p.schedule = schedule;
    p.options = {o};
    p.controller = controller;
    p.period_s = period_s;
    c.statics.push_back(simulate(trace, p, sim_common));
  }
  double best_j = std::numeric_limits<double>::infinity(), best_att = -1;
  double fastest = std::numeric_limits<double>::infinity();
  size_t best_att_i = 0;
  for (size_t i = 0; i < c.statics.size(); ++i) {
    const auto& r = c.statics[i];
    if (r.slo_attainment >= c.target && r.joules_per_request < best_j) {
      best_j = r.joules_per_request;
      c.least_energy = i;
      c.least_energy_meets = true;
    }
    if (r.slo_attainment > best_att) {
      best_att = r.slo_attainment;
      best_att_i = i;
    }
    const double lat = r.ok == r.requests ? r.e2e_mean_s : std::numeric_limits<double>::infinity();
    if (lat < fastest) {
      fastest = lat;
      c.fastest = i;
    }
  }
  if (!c.least_energy_meets) c.least_energy = best_att_i;
  SimPolicy p;
  p.name = "adaptive";
  p.schedule = schedule;
  p.options = options;
  p.controller = controller;
  p.period_s = period_s;
  c.adaptive = options.size() > 1 ? simulate(trace, p, sim_common) : c.statics.front();
  c.adaptive.policy = "adaptive";
  return c;
}

Validation validate(const adapt::Profiles& profiles, const std::string& dir) {
  report::LoadedDataset ds;
  try {
    ds = report::load_dataset(dir);
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(e.what());
  }
  Validation v;
  std::vector<double> e_mean, e_p99, e_j, h_mean, h_p99, h_j;
  for (const auto& run : ds.runs) {
    const auto& rec = run.record;
    const auto var = adapt::variant_of_record(rec);
    if (!var || str(rec, "/config/target/target") != "serve") continue;
    const std::string kind = str(rec, "/config/serving/load.kind");
    if (kind == "closed") {
      v.skipped.push_back(run.id + ": a closed loop (its arrivals depend on the server)");
      continue;
    }
    const auto* prof = profiles.find(var->id);
    if (!prof) {
      v.skipped.push_back(run.id + ": no profile for " + var->id);
      continue;
    }
    const auto rows = report::request_rows(
        run, {"scheduled_s", "prompt_tokens", "planned_output_tokens", "planned_input_tokens"});
    std::vector<SimRequest> trace;
    for (const auto& r : rows) {
      const double in = std::isfinite(r[1]) ? r[1] : r[3];
      if (!(r[0] >= 0 && r[0] <= 1e9) || !(r[2] >= 0 && r[2] <= 1e7) || !(in >= 0 && in <= 1e7)) {
        continue;  // a row without a usable time or token count
      }
      SimRequest q;
      q.t_s = r[0];
      q.input_tokens = static_cast<int>(in);
      q.output_tokens = static_cast<int>(r[2]);
      q.max_tokens =
          std::max(q.output_tokens,
                   prof->context > 0 ? prof->context - 1 - q.input_tokens : q.output_tokens);
      trace.push_back(q);
    }
    if (trace.empty()) {
      v.skipped.push_back(run.id + ": no requests CSV with scheduled times");
      continue;
    }
    std::stable_sort(trace.begin(), trace.end(),
                     [](const SimRequest& a, const SimRequest& b) { return a.t_s < b.t_s; });
    const double t0 = trace.front().t_s;
    for (auto& q : trace) q.t_s -= t0;
    ValidationRow row;
    row.run_id = run.id;
    row.variant = var->id;
    row.schedule = str(rec, "/config/serving/serve.schedule");
    if (row.schedule.empty()) row.schedule = "fcfs";
    row.held_out = std::find(prof->holdout_runs.begin(), prof->holdout_runs.end(), run.id) !=
                   prof->holdout_runs.end();
    row.requests = trace.size();
    row.measured_e2e_mean_s = num(rec, "/timings/e2e_s/mean");
    row.measured_e2e_p99_s = num(rec, "/timings/e2e_s/p99");
    // The machine's energy over the run / its requests, as the simulator counts it (bench's
    // metrics.joules_per_request leaves out idle gaps between requests).
    const double n_req = num(rec, "/metrics/requests");
    row.measured_joules_per_request =
        n_req > 0 ? num(rec, "/energy/joules") / n_req : num(rec, "/metrics/joules_per_request");
    row.measured_attainment = num(rec, "/metrics/slo_attainment");
    SimOptions so;
    so.slo_e2e_s = num(rec, "/config/serving/slo.e2e_s");
    if (!(so.slo_e2e_s > 0)) so.slo_e2e_s = 1e9;
    const double mq = num(rec, "/config/serving/serve.max_queue");
    if (mq > 0) so.max_queue = static_cast<size_t>(mq);
    SimPolicy p;
    p.name = row.schedule;
    p.schedule = serve::parse_schedule_policy(row.schedule);
    adapt::AdaptOption o;
    o.name = prof->id;
    o.profile = *prof;
    o.parallel = prof->parallel;
    p.options = {o};
    // A serve --adapt run: the same controller over the served variant and the run's others.
    const nlohmann::json::json_pointer adapt_ptr("/config/serving/serve.adapt");
    if (rec.contains(adapt_ptr) && rec.at(adapt_ptr).is_boolean() &&
        rec.at(adapt_ptr).get<bool>()) {
      bool complete = true;
      std::vector<adapt::VariantSpec> specs;
      try {
        specs = adapt::parse_variant_specs(str(rec, "/config/serving/serve.adapt_variants"));
      } catch (const std::invalid_argument& e) {
        v.skipped.push_back(run.id +
                            ": an adaptive run with bad serve.adapt_variants: " + e.what());
        continue;
      }
      for (const auto& spec : specs) {
        const std::string id =
            adapt::variant_id(var->model, spec.quant, var->engine, var->provider,
                              spec.threads > 0 ? spec.threads : var->threads, var->parallel);
        const auto* other = profiles.find(id);
        if (!other) {
          v.skipped.push_back(run.id + ": an adaptive run, no profile for its variant " + id);
          complete = false;
          break;
        }
        p.options.push_back({id, *other, other->parallel});
      }
      if (!complete) continue;
      const double period = num(rec, "/config/serving/serve.adapt_period_s");
      if (period > 0) p.period_s = period;
      row.schedule += " adaptive";
    }
    row.simulated = simulate(trace, p, so);
    const double a = ape(row.simulated.e2e_mean_s, row.measured_e2e_mean_s);
    const double b = ape(row.simulated.e2e_p99_s, row.measured_e2e_p99_s);
    const double c = ape(row.simulated.joules_per_request, row.measured_joules_per_request);
    e_mean.push_back(a);
    e_p99.push_back(b);
    e_j.push_back(c);
    if (row.held_out) {
      h_mean.push_back(a);
      h_p99.push_back(b);
      h_j.push_back(c);
      ++v.holdout_rows;
    }
    v.rows.push_back(std::move(row));
  }
  if (v.rows.empty()) {
    std::string why;
    for (const auto& s : v.skipped) why += "\n  " + s;
    throw std::invalid_argument(fmt::format(
        "{}: no served open-loop run to simulate (runs of `wattserve serve` with trace or "
        "Poisson arrivals and a profile){}",
        dir, why));
  }
  v.mape_e2e_mean = mean_finite(e_mean);
  v.mape_e2e_p99 = mean_finite(e_p99);
  v.mape_joules = mean_finite(e_j);
  v.holdout_mape_e2e_mean = mean_finite(h_mean);
  v.holdout_mape_e2e_p99 = mean_finite(h_p99);
  v.holdout_mape_joules = mean_finite(h_j);
  return v;
}

}  // namespace wattserve::sim
