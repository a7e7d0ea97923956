// The figures of a load run (load_metrics.h; formulas in docs/bench-serving.md "Serving metrics").
#include "bench/load/load_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "bench/stats.h"
#include "energy/core/clock.h"

namespace wattserve::bench::load {

using nlohmann::json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double s_of(int64_t ns) {
  return energy::ns_to_s(ns);
}

double div_or_nan(double a, double b) {
  return b > 0 && std::isfinite(a) ? a / b : kNaN;
}

json dist(const std::vector<double>& xs, double scale = 1) {
  std::vector<double> v = xs;
  for (auto& x : v) x *= scale;
  return {{"mean", num(mean(v))},
          {"p50", num(percentile(v, 50))},
          {"p90", num(percentile(v, 90))},
          {"p99", num(percentile(v, 99))},
          {"max", num(v.empty() ? kNaN : *std::max_element(v.begin(), v.end()))},
          {"n", v.size()}};
}

double overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1) {
  return static_cast<double>(std::max<int64_t>(0, std::min(a1, b1) - std::max(a0, b0)));
}

double ttft_s(const RequestResult& r) {
  return r.first_token_ns > 0 ? s_of(r.first_token_ns - r.send_ns) : kNaN;
}

// (E2E - TTFT) / (output tokens - 1), for streamed requests with more than one token.
double tpot_s(const RequestResult& r) {
  if (r.first_token_ns <= 0 || r.output_tokens < 2) return kNaN;
  return s_of(r.end_ns - r.first_token_ns) / static_cast<double>(r.output_tokens - 1);
}

int total_tokens(const RequestResult& r) {
  const int prompt = r.prompt_tokens >= 0 ? r.prompt_tokens : r.planned_input_tokens;
  return prompt + r.output_tokens;
}

// The share of request r credited to [b0, b1]: its life's fraction inside the window.
double life_fraction(const RequestResult& r, int64_t b0, int64_t b1) {
  const int64_t len = r.end_ns - r.send_ns;
  if (len <= 0) return r.send_ns >= b0 && r.send_ns <= b1 ? 1.0 : 0.0;
  return overlap(r.send_ns, r.end_ns, b0, b1) / static_cast<double>(len);
}

// Output tokens of r credited to [b0, b1]: by the arrival times of its chunks when streamed
// (each chunk stands for output_tokens / chunks tokens), else by its life's fraction.
double tokens_in(const RequestResult& r, int64_t b0, int64_t b1) {
  if (!r.ok()) return 0;
  if (r.chunk_ns.empty()) return r.output_tokens * life_fraction(r, b0, b1);
  const auto n = static_cast<double>(std::count_if(r.chunk_ns.begin(), r.chunk_ns.end(),
                                                   [&](int64_t t) { return t >= b0 && t <= b1; }));
  return n * r.output_tokens / static_cast<double>(r.chunk_ns.size());
}

WindowFigures window(const LoadOutcome& o, const EnergyTrack& e, int64_t b0, int64_t b1) {
  WindowFigures w;
  w.begin_ns = b0;
  w.end_ns = b1;
  for (const auto& r : o.results) {
    const double f = r.ok() ? life_fraction(r, b0, b1) : 0.0;  // requests that ended well
    w.requests += f;
    const double out = tokens_in(r, b0, b1);
    w.output_tokens += out;
    if (r.ok()) w.tokens += out + (total_tokens(r) - r.output_tokens) * f;
  }
  w.joules = e.at(b1) - e.at(b0);
  return w;
}

json window_json(const WindowFigures& w, int64_t origin) {
  const double d = s_of(w.end_ns - w.begin_ns);
  return {{"begin_s", s_of(w.begin_ns - origin)},
          {"end_s", s_of(w.end_ns - origin)},
          {"duration_s", d},
          {"requests", w.requests},
          {"output_tokens", w.output_tokens},
          {"tokens", w.tokens},
          {"joules", num(w.joules)},
          {"requests_per_s", num(div_or_nan(w.requests, d))},
          {"output_tokens_per_s", num(div_or_nan(w.output_tokens, d))},
          {"avg_watts", num(div_or_nan(w.joules, d))},
          {"joules_per_output_token", num(div_or_nan(w.joules, w.output_tokens))},
          {"joules_per_token", num(div_or_nan(w.joules, w.tokens))}};
}

// Each request's share of the meter's energy: every interval between samples is split among
// the requests in flight in it by their time in it; intervals with none in flight are idle.
std::vector<double> split_energy(const LoadOutcome& o, const EnergyTrack& e) {
  std::vector<double> out(o.results.size(), 0.0);
  for (std::size_t k = 0; k + 1 < e.t_ns.size(); ++k) {
    const int64_t t0 = e.t_ns[k], t1 = e.t_ns[k + 1];
    const double de = e.joules[k + 1] - e.joules[k];
    double total = 0;
    for (const auto& r : o.results) total += overlap(r.send_ns, r.end_ns, t0, t1);
    if (total <= 0) continue;
    for (std::size_t i = 0; i < o.results.size(); ++i) {
      const auto& r = o.results[i];
      out[i] += de * overlap(r.send_ns, r.end_ns, t0, t1) / total;
    }
  }
  return out;
}

}  // namespace

double EnergyTrack::at(int64_t t) const {
  if (t_ns.size() < 2) return kNaN;
  if (t <= t_ns.front()) return joules.front();
  if (t >= t_ns.back()) return joules.back();
  const auto it = std::upper_bound(t_ns.begin(), t_ns.end(), t);
  const auto k = static_cast<std::size_t>(it - t_ns.begin());
  const double f =
      static_cast<double>(t - t_ns[k - 1]) / static_cast<double>(t_ns[k] - t_ns[k - 1]);
  return joules[k - 1] + f * (joules[k] - joules[k - 1]);
}

LoadFigures load_figures(const LoadOutcome& o, const EnergyTrack& e, const SloSpec& slo,
                         double process_fraction) {
  LoadFigures f;
  std::vector<double> ttft, tpot, itl, e2e, late;
  std::size_t ok = 0, met = 0;
  double resp_j = 0;
  bool all_resp = true;
  int64_t first_send = o.start_ns, last_send = o.start_ns, first_end = o.end_ns,
          last_end = o.start_ns;
  bool any = false;
  double out_tokens = 0, tokens = 0;
  for (const auto& r : o.results) {
    late.push_back(s_of(std::max<int64_t>(0, r.send_ns - r.scheduled_ns)));
    if (!any || r.send_ns < first_send) first_send = r.send_ns;
    if (!any || r.send_ns > last_send) last_send = r.send_ns;
    if (!any || r.end_ns < first_end) first_end = r.end_ns;
    if (!any || r.end_ns > last_end) last_end = r.end_ns;
    any = true;
    bool good = r.ok();
    if (r.ok()) {
      ++ok;
      out_tokens += r.output_tokens;
      tokens += total_tokens(r);
      const double t1 = ttft_s(r), tp = tpot_s(r), ee = s_of(r.end_ns - r.send_ns);
      if (std::isfinite(t1)) ttft.push_back(t1);
      if (std::isfinite(tp)) tpot.push_back(tp);
      e2e.push_back(ee);
      for (std::size_t k = 1; k < r.chunk_ns.size(); ++k) {
        itl.push_back(s_of(r.chunk_ns[k] - r.chunk_ns[k - 1]));
      }
      if (r.response_joules >= 0) {
        resp_j += r.response_joules;
      } else {
        all_resp = false;
      }
      if (slo.ttft_s > 0 && !(t1 <= slo.ttft_s)) good = false;
      if (slo.tpot_s > 0 && std::isfinite(tp) && tp > slo.tpot_s) good = false;
      if (slo.e2e_s > 0 && ee > slo.e2e_s) good = false;
    }
    f.slo_met.push_back(good);
    if (good) ++met;
  }
  if (!any) first_send = last_end = o.start_ns;
  f.timings = {{"ttft", dist(ttft)}, {"tpot", dist(tpot)}, {"itl", dist(itl)}, {"e2e", dist(e2e)}};
  f.pacing = dist(late, 1e3);
  f.pacing["unit"] = "ms";

  f.full = window(o, e, first_send, last_end);
  json steady = nullptr;
  if (any && last_send > first_end) {
    f.has_steady = true;
    f.steady = window(o, e, first_end, last_send);
    steady = window_json(f.steady, o.start_ns);
  }
  f.windows = {{"full", window_json(f.full, o.start_ns)},
               {"steady", steady},
               {"steady_rule", "from the first response's end to the last request's send"}};

  f.meter_joules = split_energy(o, e);
  double meter_sum = 0;
  for (double j : f.meter_joules) meter_sum += j;
  const double n = static_cast<double>(o.results.size());
  const double dur = s_of(f.full.end_ns - f.full.begin_ns);
  json& m = f.metrics;
  m["requests"] = o.results.size();
  m["requests_ok"] = ok;
  m["requests_failed"] = o.results.size() - ok;
  m["output_tokens"] = out_tokens;
  m["tokens"] = tokens;
  m["requests_per_s"] = num(div_or_nan(static_cast<double>(ok), dur));
  m["output_tokens_per_s"] = num(div_or_nan(out_tokens, dur));
  m["slo"] = {{"ttft_s", num(slo.ttft_s > 0 ? slo.ttft_s : kNaN)},
              {"tpot_s", num(slo.tpot_s > 0 ? slo.tpot_s : kNaN)},
              {"e2e_s", num(slo.e2e_s > 0 ? slo.e2e_s : kNaN)}};
  m["slo_attainment"] = num(div_or_nan(static_cast<double>(met), n));
  m["goodput_requests_per_s"] = num(div_or_nan(static_cast<double>(met), dur));
  m["joules_per_request"] = num(div_or_nan(meter_sum, static_cast<double>(ok)));
  m["response_joules_per_request"] =
      num(all_resp && ok > 0 ? resp_j / static_cast<double>(ok) : kNaN);
  m["response_joules_per_output_token"] =
      num(all_resp && ok > 0 ? div_or_nan(resp_j, out_tokens) : kNaN);
  m["joules_per_output_token"] = num(div_or_nan(f.full.joules, out_tokens));
  m["joules_per_token"] = num(div_or_nan(f.full.joules, tokens));
  m["idle_joules_in_window"] = num(f.full.joules - meter_sum);
  if (std::isfinite(process_fraction)) {
    m["process_fraction"] = process_fraction;
    m["process_joules_per_request"] =
        num(div_or_nan(meter_sum * process_fraction, static_cast<double>(ok)));
    m["process_joules_per_output_token"] =
        num(div_or_nan(f.full.joules * process_fraction, out_tokens));
  }
  if (f.has_steady) {
    m["steady_requests_per_s"] =
        num(div_or_nan(f.steady.requests, s_of(f.steady.end_ns - f.steady.begin_ns)));
    m["steady_output_tokens_per_s"] =
        num(div_or_nan(f.steady.output_tokens, s_of(f.steady.end_ns - f.steady.begin_ns)));
    m["steady_joules_per_output_token"] = num(div_or_nan(f.steady.joules, f.steady.output_tokens));
  }
  return f;
}

CsvTable request_table(const LoadOutcome& o, const LoadFigures& f) {
  CsvTable t;
  t.header = {"index",
              "scheduled_s",
              "lateness_ms",
              "send_s",
              "ttft_s",
              "tpot_s",
              "e2e_s",
              "planned_input_tokens",
              "prompt_tokens",
              "planned_output_tokens",
              "output_tokens",
              "chunks",
              "response_joules",
              "meter_joules",
              "slo_met",
              "status",
              "error",
              "response_gpu_joules",
              "response_cpu_joules"};
  for (std::size_t i = 0; i < o.results.size(); ++i) {
    const auto& r = o.results[i];
    t.add({r.index, s_of(r.scheduled_ns - o.start_ns),
           s_of(std::max<int64_t>(0, r.send_ns - r.scheduled_ns)) * 1e3,
           s_of(r.send_ns - o.start_ns), num(ttft_s(r)), num(tpot_s(r)), s_of(r.end_ns - r.send_ns),
           r.planned_input_tokens, r.prompt_tokens >= 0 ? json(r.prompt_tokens) : json(nullptr),
           r.planned_output_tokens, r.output_tokens, r.chunk_ns.size(),
           r.response_joules >= 0 ? json(r.response_joules) : json(nullptr),
           i < f.meter_joules.size() ? num(f.meter_joules[i]) : json(nullptr),
           i < f.slo_met.size() && f.slo_met[i], r.http_status, r.error,
           r.response_gpu_joules >= 0 ? json(r.response_gpu_joules) : json(nullptr),
           r.response_cpu_joules >= 0 ? json(r.response_cpu_joules) : json(nullptr)});
  }
  return t;
}

}  // namespace wattserve::bench::load
