// Fitting profiles from bench datasets (profile_fit.h; formulas in docs/adapt.md "Profiles").
#include "adapt/profile_fit.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <stdexcept>

#include "report/dataset_loader.h"
#include "report/stats/regression.h"

namespace wattserve::adapt {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const nlohmann::json* at(const nlohmann::json& j, const char* ptr) {
  const nlohmann::json::json_pointer p(ptr);
  return j.contains(p) ? &j.at(p) : nullptr;
}
std::string str(const nlohmann::json& j, const char* ptr) {
  return record_string(j, ptr);
}
double num(const nlohmann::json& j, const char* ptr) {
  return record_number(j, ptr);
}
int integer(const nlohmann::json& j, const char* ptr, int fallback) {
  const double v = num(j, ptr);
  return std::isfinite(v) ? static_cast<int>(v) : fallback;
}

// One run as the fitter sees it.
struct RunData {
  const report::Run* run = nullptr;
  bool served = false;
  std::vector<std::vector<double>> rows;  // requests, columns as kColumns
  double duration_s = 0, joules = 0, idle_w = 0;
  std::string source;
  // The server's own counters at the end of a served run (its /metrics): decode steps N,
  // sequence-steps S (tokens sampled) and prompt tokens K; NaN when absent.
  double steps = kNaN, sequence_steps = kNaN, prompt_tokens = kNaN;
};

// The sum of a Prometheus counter over its label sets (`name{...}` or `name`), NaN if absent.
double counter(const nlohmann::json& metrics, const std::string& name) {
  if (!metrics.is_object()) return kNaN;
  double sum = 0;
  bool any = false;
  for (const auto& [k, v] : metrics.items()) {
    if (!v.is_number() || !k.starts_with(name)) continue;
    if (k.size() != name.size() && k[name.size()] != '{') continue;
    sum += v.get<double>();
    any = true;
  }
  return any ? sum : kNaN;
}

// Request CSV columns read (direct runs lack the served ones and the reverse; NaN there).
enum Col { kPrompt, kOutput, kTtft, kTpot, kE2e, kSend, kQueue };
const std::vector<std::string> kColumns = {"prompt_tokens", "output_tokens", "ttft_s", "tpot_s",
                                           "e2e_s",         "send_s",        "queue_s"};

struct Group {
  VariantProfile profile;
  std::vector<RunData> runs;
};

// Least squares of y on the columns with an intercept, or through the origin when `origin`.
struct Linear {
  bool valid = false;
  std::vector<double> coef;  // intercept first (0 when origin), then the columns
  double r2 = kNaN;
};

Linear fit_linear(const std::vector<std::vector<double>>& cols, const std::vector<double>& y) {
  Linear out;
  if (y.size() < cols.size() + 2) return out;
  const auto r = report::stats::ols(cols, std::vector<std::string>(cols.size(), "x"), y);
  if (!r.valid) return out;
  out.valid = true;
  for (const auto& c : r.coefficients) out.coef.push_back(c.estimate);
  out.r2 = r.r2;
  return out;
}

double mape(const std::vector<double>& predicted, const std::vector<double>& actual) {
  double s = 0;
  size_t n = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    if (!(actual[i] > 0) || !std::isfinite(predicted[i])) continue;
    s += std::abs(predicted[i] - actual[i]) / actual[i];
    ++n;
  }
  return n ? s / static_cast<double>(n) : kNaN;
}

// Per served request: its decode interval [send + ttft, send + e2e], the mean number of
// sequences decoding during it (itself included), and the prompt tokens of the requests whose
// prefill ended in it, per step.
struct Overlap {
  std::vector<double> tpot, sequences, prompt_per_step;
};

Overlap served_overlap(const std::vector<std::vector<double>>& rows) {
  struct Iv {
    double a, b;
  };
  std::vector<Iv> decode;
  std::vector<std::pair<double, double>> joins;  // (time of first token, prompt tokens)
  for (const auto& r : rows) {
    if (!std::isfinite(r[kSend]) || !std::isfinite(r[kTtft]) || !std::isfinite(r[kE2e])) {
      decode.push_back({kNaN, kNaN});
      continue;
    }
    decode.push_back({r[kSend] + r[kTtft], r[kSend] + r[kE2e]});
    if (std::isfinite(r[kPrompt])) joins.emplace_back(r[kSend] + r[kTtft], r[kPrompt]);
  }
  std::sort(joins.begin(), joins.end());
  // Sweep: sequences decoding as a step function, from the interval ends.
  std::vector<std::pair<double, int>> events;
  for (const auto& d : decode) {
    if (!std::isfinite(d.a) || !(d.b > d.a)) continue;
    events.emplace_back(d.a, +1);
    events.emplace_back(d.b, -1);
  }
  std::sort(events.begin(), events.end());
  // Prefix integral of the count: cum[i] = integral from events[0].first to events[i].first.
  std::vector<double> times, cum;
  int count = 0;
  double integral = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0) integral += count * (events[i].first - events[i - 1].first);
    times.push_back(events[i].first);
    cum.push_back(integral);
    count += events[i].second;
  }
  const auto integral_to = [&](double t) {
    const auto it = std::upper_bound(times.begin(), times.end(), t);
    if (it == times.begin()) return 0.0;
    return cum[static_cast<size_t>(it - times.begin()) - 1];
  };
  // Counts after each event, for the partial interval.
  std::vector<int> after(events.size());
  count = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    count += events[i].second;
    after[i] = count;
  }
  const auto integral_at = [&](double t) {
    const auto it = std::upper_bound(times.begin(), times.end(), t);
    if (it == times.begin()) return 0.0;
    const size_t i = static_cast<size_t>(it - times.begin()) - 1;
    return integral_to(t) + after[i] * (t - times[i]);
  };
  std::vector<double> join_t, join_cum;
  double tokens = 0;
  for (const auto& [t, n] : joins) {
    tokens += n;
    join_t.push_back(t);
    join_cum.push_back(tokens);
  }
  const auto tokens_in = [&](double a, double b) {  // joins in (a, b]
    const auto lo = std::upper_bound(join_t.begin(), join_t.end(), a) - join_t.begin();
    const auto hi = std::upper_bound(join_t.begin(), join_t.end(), b) - join_t.begin();
    const auto cum_at = [&](std::ptrdiff_t k) {
      return k > 0 ? join_cum[static_cast<size_t>(k - 1)] : 0.0;
    };
    return cum_at(hi) - cum_at(lo);
  };
  Overlap o;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const auto& d = decode[i];
    if (!std::isfinite(d.a) || !(d.b > d.a) || !(r[kOutput] >= 3) || !std::isfinite(r[kTpot])) {
      continue;
    }
    const double steps = r[kOutput] - 1;
    o.tpot.push_back(r[kTpot]);
    o.sequences.push_back((integral_at(d.b) - integral_at(d.a)) / (d.b - d.a));
    o.prompt_per_step.push_back(tokens_in(d.a, d.b) / steps);
  }
  return o;
}

// Seconds in which at least one request was in the server (queued or running): the union of
// [send, send + e2e]; and the sum over requests of their decode time (sequence-seconds).
std::pair<double, double> busy_and_sequence_seconds(const RunData& r) {
  std::vector<std::pair<double, double>> iv;
  double seq = 0, sum_e2e = 0;
  for (const auto& row : r.rows) {
    if (!std::isfinite(row[kE2e])) continue;
    sum_e2e += row[kE2e];
    const double ttft = std::isfinite(row[kTtft]) ? row[kTtft] : 0;
    seq += std::max(0.0, row[kE2e] - ttft);
    if (r.served && std::isfinite(row[kSend])) iv.emplace_back(row[kSend], row[kSend] + row[kE2e]);
  }
  if (!r.served) return {std::min(sum_e2e, r.duration_s), seq};  // one request at a time
  std::sort(iv.begin(), iv.end());
  double busy = 0, a = -1, b = -1;
  for (const auto& [s, e] : iv) {
    if (s > b) {
      busy += b - a;
      a = s;
      b = e;
    } else {
      b = std::max(b, e);
    }
  }
  busy += b - a;
  return {std::min(busy, r.duration_s), seq};
}

// Second stage of the served step fit: the level from the server's own counters. With the first
// stage's t(b, k), a run's steps would take P = base N + c_seq S + c_tok K seconds in all (exact:
// the model is linear and N, S, K are the server's counts); the run was busy T seconds (the
// union of its requests' intervals). alpha = median over the fitting runs of T / P, and every
// coefficient is multiplied by alpha (the first stage's shape, the server's level). 1 without
// such runs.
double served_level(const Group& g, const StepTimeModel& s, int holdout_every, int* runs_used) {
  std::vector<double> ratio;
  for (size_t i = 0; i < g.runs.size(); ++i) {
    const auto& r = g.runs[i];
    if (!r.served || held_out(i, g.runs.size(), holdout_every)) continue;
    if (!(r.steps > 0) || !(r.sequence_steps > 0) || !std::isfinite(r.prompt_tokens)) continue;
    const double p = s.base_s * r.steps + s.per_sequence_s * r.sequence_steps +
                     s.per_prompt_token_s * r.prompt_tokens;
    const double t = busy_and_sequence_seconds(r).first;
    if (p > 0 && t > 0) ratio.push_back(t / p);
  }
  *runs_used = static_cast<int>(ratio.size());
  if (ratio.empty()) return 1;
  std::sort(ratio.begin(), ratio.end());
  const size_t n = ratio.size();
  return n % 2 ? ratio[n / 2] : (ratio[n / 2 - 1] + ratio[n / 2]) / 2;
}

void fit_text(Group& g, int holdout_every) {
  auto& v = g.profile;
  std::vector<double> fit_y, fit_b, fit_k, test_y, test_b, test_k;
  std::vector<double> pre_y, pre_n, pre_test_y, pre_test_n;
  int max_b = 1;
  size_t requests = 0;
  for (size_t i = 0; i < g.runs.size(); ++i) {
    const auto& r = g.runs[i];
    const bool held = held_out(i, g.runs.size(), holdout_every);
    requests += r.rows.size();
    if (held) v.holdout_runs.push_back(r.run->id);
    if (r.served) {
      const auto o = served_overlap(r.rows);
      for (size_t k = 0; k < o.tpot.size(); ++k) {
        (held ? test_y : fit_y).push_back(o.tpot[k]);
        (held ? test_b : fit_b).push_back(o.sequences[k]);
        (held ? test_k : fit_k).push_back(o.prompt_per_step[k]);
        max_b = std::max(max_b, static_cast<int>(std::ceil(o.sequences[k] - 1e-9)));
      }
    } else {
      for (const auto& row : r.rows) {
        if (std::isfinite(row[kTpot]) && row[kOutput] >= 2) {
          (held ? test_y : fit_y).push_back(row[kTpot]);
          (held ? test_b : fit_b).push_back(1);
          (held ? test_k : fit_k).push_back(0);
        }
        if (std::isfinite(row[kTtft]) && std::isfinite(row[kPrompt])) {
          (held ? pre_test_y : pre_y).push_back(row[kTtft]);
          (held ? pre_test_n : pre_n).push_back(row[kPrompt]);
        }
      }
    }
  }
  const bool several_b = std::any_of(fit_b.begin(), fit_b.end(), [](double b) { return b > 1.5; });
  const bool any_k = std::any_of(fit_k.begin(), fit_k.end(), [](double k) { return k > 0; });
  std::vector<std::vector<double>> cols;
  if (several_b) cols.push_back(fit_b);
  if (any_k) cols.push_back(fit_k);
  Linear f = fit_linear(cols, fit_y);
  auto& s = v.step;
  s.max_batch_seen = max_b;
  s.fit.points = static_cast<int>(fit_y.size());
  s.fit.data =
      fmt::format("{} run(s), {} request(s){}", g.runs.size(), requests,
                  several_b ? "; sequences per step from each request's overlap with the others"
                            : "; one sequence at a time");
  if (!f.valid) {  // too few points: the mean
    const double m = fit_y.empty() ? kNaN
                                   : std::accumulate(fit_y.begin(), fit_y.end(), 0.0) /
                                         static_cast<double>(fit_y.size());
    f.valid = true;
    f.coef = {m};
    if (several_b) f.coef.push_back(0);
    if (any_k) f.coef.push_back(0);
  }
  size_t c = 1;
  s.base_s = f.coef[0];
  if (several_b) s.per_sequence_s = f.coef[c++];
  if (any_k) s.per_prompt_token_s = f.coef[c++];
  if (!several_b) {  // b = 1 only: the intercept is base + per_sequence at b = 1
    s.per_sequence_s = 0;
  }
  s.fit.r2 = cols.empty() ? kNaN : f.r2;  // the mean alone explains nothing
  if (several_b) {
    int used = 0;
    const double alpha = served_level(g, s, holdout_every, &used);
    if (used > 0 && std::isfinite(alpha) && alpha > 0) {
      s.base_s *= alpha;
      s.per_sequence_s *= alpha;
      s.per_prompt_token_s *= alpha;
      s.fit.data += fmt::format(
          "; level x{:.4f}: median over {} run(s) of busy time / the steps' time from the "
          "server's step, sequence-step and prompt-token counts",
          alpha, used);
    }
  }
  std::vector<double> pred;
  for (size_t k = 0; k < test_y.size(); ++k) pred.push_back(s.seconds(test_b[k], test_k[k]));
  s.fit.holdout_mape = mape(pred, test_y);

  auto& p = v.prefill;
  Linear pf = fit_linear({pre_n}, pre_y);
  if (pf.valid) {
    p.base_s = pf.coef[0];
    p.per_token_s = pf.coef[1];
    p.fit.r2 = pf.r2;
    p.fit.points = static_cast<int>(pre_y.size());
    p.fit.data = "time to first token of requests run alone, against prompt tokens";
    std::vector<double> pp;
    for (const double n : pre_test_n) pp.push_back(p.seconds(n));
    p.fit.holdout_mape = mape(pp, pre_test_y);
  } else {  // served runs: a request's prefill is one step with its prompt
    p.base_s = s.base_s + s.per_sequence_s;
    p.per_token_s = s.per_prompt_token_s;
    p.fit = s.fit;
    p.fit.data = "from the step model: one step of one sequence with the prompt's tokens";
  }
}

void fit_tensor(Group& g, int holdout_every) {
  auto& s = g.profile.step;
  std::vector<double> y, ty;
  for (size_t i = 0; i < g.runs.size(); ++i) {
    const bool held = held_out(i, g.runs.size(), holdout_every);
    for (const auto& row : g.runs[i].rows) {
      if (std::isfinite(row[kE2e])) (held ? ty : y).push_back(row[kE2e]);
    }
  }
  const double b = std::max(1, g.profile.parallel);
  const double m =
      y.empty() ? kNaN : std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(y.size());
  // One batch size measured: time taken as proportional to the batch.
  s.base_s = 0;
  s.per_sequence_s = m / b;
  s.max_batch_seen = static_cast<int>(b);
  s.fit.points = static_cast<int>(y.size());
  s.fit.r2 = kNaN;
  s.fit.data =
      fmt::format("{} run(s), batches of {}: time per batch taken as proportional to its size",
                  g.runs.size(), static_cast<int>(b));
  std::vector<double> pred(ty.size(), m);
  s.fit.holdout_mape = mape(pred, ty);
  g.profile.prefill = {};
  g.profile.prefill.fit.data = "none: a tensor model has no prefill";
  g.profile.prefill.fit.holdout_mape = kNaN;
  g.profile.prefill.fit.r2 = kNaN;
}

// Power: E - idle_w * D = busy_w * T_busy + per_sequence_w * S (sequence-seconds), over runs.
void fit_power(Group& g, int holdout_every) {
  auto& pw = g.profile.power;
  std::vector<double> y, busy, seq, ty, tbusy, tseq, idle;
  std::set<std::string> sources;
  for (size_t i = 0; i < g.runs.size(); ++i) {
    const auto& r = g.runs[i];
    if (!(r.duration_s > 0) || !std::isfinite(r.joules)) continue;
    const bool held = g.runs.size() >= 3 && held_out(i, g.runs.size(), holdout_every);
    const auto [b, s] = busy_and_sequence_seconds(r);
    if (!(b > 0)) continue;
    idle.push_back(r.idle_w);
    sources.insert(r.source);
    (held ? ty : y).push_back(r.joules - r.idle_w * r.duration_s);
    (held ? tbusy : busy).push_back(b);
    (held ? tseq : seq).push_back(s);
  }
  pw.idle_w = idle.empty() ? kNaN
                           : std::accumulate(idle.begin(), idle.end(), 0.0) /
                                 static_cast<double>(idle.size());
  pw.source = sources.size() == 1 ? *sources.begin()
                                  : (sources.count("estimate") ? "estimate" : "integrated");
  // Through the origin: y / busy = busy_w + per_sequence_w * (seq / busy): regress the mean
  // dynamic power while busy on the mean sequences while busy.
  std::vector<double> pw_y, pw_b;
  for (size_t k = 0; k < y.size(); ++k) {
    pw_y.push_back(y[k] / busy[k]);
    pw_b.push_back(seq[k] / busy[k]);
  }
  double lo = *std::min_element(pw_b.begin(), pw_b.end()),
         hi = *std::max_element(pw_b.begin(), pw_b.end());
  Linear f = hi - lo > 0.5 ? fit_linear({pw_b}, pw_y) : Linear{};
  if (f.valid && f.coef[1] >= 0) {
    pw.busy_w = f.coef[0];
    pw.per_sequence_w = f.coef[1];
    pw.fit.r2 = f.r2;
  } else {
    double sy = 0, sb = 0;
    for (size_t k = 0; k < y.size(); ++k) {
      sy += y[k];
      sb += busy[k];
    }
    pw.busy_w = sb > 0 ? sy / sb : kNaN;
    pw.per_sequence_w = 0;
    pw.fit.r2 = kNaN;
  }
  pw.fit.points = static_cast<int>(y.size());
  pw.fit.data = fmt::format(
      "{} run(s): energy above idle against busy seconds and sequence-seconds", y.size());
  std::vector<double> pred, actual;
  for (size_t k = 0; k < ty.size(); ++k) {
    pred.push_back(pw.busy_w * tbusy[k] + pw.per_sequence_w * tseq[k]);
    actual.push_back(ty[k]);
  }
  pw.fit.holdout_mape = mape(pred, actual);
}

}  // namespace

std::string record_string(const nlohmann::json& j, const char* ptr) {
  const nlohmann::json::json_pointer p(ptr);
  return j.contains(p) && j.at(p).is_string() ? j.at(p).get<std::string>() : std::string();
}

double record_number(const nlohmann::json& j, const char* ptr) {
  const nlohmann::json::json_pointer p(ptr);
  return j.contains(p) && j.at(p).is_number() ? j.at(p).get<double>() : kNaN;
}

std::optional<VariantProfile> variant_of_record(const nlohmann::json& rec) {
  const std::string target = str(rec, "/config/target/target");
  const bool served = target == "serve";
  if (!served && !str(rec, "/config/serving/target.kind").empty()) return std::nullopt;
  if (served && str(rec, "/config/serving/target.kind") == "external") return std::nullopt;
  VariantProfile v;
  v.model = str(rec, "/config/model/model");
  if (v.model.empty()) return std::nullopt;
  v.engine = str(rec, "/config/model/engine");
  if (v.engine.empty()) v.engine = str(rec, "/config/target/engine");
  v.provider = str(rec, "/config/model/provider");
  if (v.provider.empty()) v.provider = "cpu";
  v.quant = str(rec, "/config/model/quant");
  if (v.quant.empty()) {
    v.quant = quant_of_entry(str(rec, "/config/target/zoo_entry"));
  }
  v.threads = integer(rec, "/config/model/threads", 1);
  v.kind = str(rec, "/config/workload/kind") == "text" ? "text" : "tensor";
  v.parallel = v.kind == "text" ? std::max(1, integer(rec, "/config/model/parallel", 1))
                                : std::max(1, integer(rec, "/config/model/batch", 1));
  v.context = integer(rec, "/config/model/context", 0);
  const auto dash = v.model.find('-');
  v.family = v.model.substr(0, dash);
  v.size = dash == std::string::npos ? "" : v.model.substr(dash + 1);
  v.id = variant_id(v.model, v.quant, v.engine, v.provider, v.threads, v.parallel);
  return v;
}

bool held_out(size_t i, size_t n, int every) {
  return every > 1 && n >= 2 && static_cast<int>(i % static_cast<size_t>(every)) == every - 1;
}

Profiles fit_profiles(const std::vector<std::string>& dirs, const ProfileFitOptions& options) {
  if (dirs.empty()) throw std::invalid_argument("no dataset folder given");
  if (options.holdout_every < 0) throw std::invalid_argument("holdout_every must be >= 0");
  Profiles out;
  std::map<std::string, Group> groups;
  std::vector<report::LoadedDataset> loaded;
  std::set<std::string> sources;
  for (const auto& dir : dirs) {
    try {
      loaded.push_back(report::load_dataset(dir));
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument(e.what());
    }
    out.datasets.push_back(dir);
  }
  for (const auto& ds : loaded) {
    for (const auto& run : ds.runs) {
      const auto& rec = run.record;
      const auto found = variant_of_record(rec);
      if (!found) continue;
      const VariantProfile& v = *found;
      const bool served = str(rec, "/config/target/target") == "serve";
      auto& g = groups[v.id];
      if (g.runs.empty()) g.profile = v;
      RunData d;
      d.run = &run;
      d.served = served;
      d.rows = report::request_rows(run, kColumns);
      d.duration_s = num(rec, "/energy/duration_s");
      d.joules = num(rec, "/energy/joules");
      d.idle_w = 0;
      if (const auto* w = at(rec, "/energy/idle_baseline/watts_by_domain"); w && w->is_object()) {
        for (const auto& [k, x] : w->items()) {
          if (x.is_number()) d.idle_w += x.get<double>();
        }
      }
      d.source = str(rec, "/metrics/energy_source");
      if (const auto* m = at(rec, "/serving/server_metrics"); served && m) {
        d.steps = counter(*m, "wattserve_batch_size_count");
        d.sequence_steps = counter(*m, "wattserve_batch_size_sum");
        d.prompt_tokens = counter(*m, "wattserve_prompt_tokens_total");
      }
      sources.insert(d.source);
      if (out.machine.empty()) {
        out.machine = str(rec, "/machine/cpu_model");
        out.cores = integer(rec, "/machine/cpu_count", 0);
      }
      g.runs.push_back(std::move(d));
    }
  }
  if (groups.empty()) {
    throw std::invalid_argument(
        "the datasets hold no run of a wattserve engine or server to profile");
  }
  out.energy_source = sources.count("estimate")     ? "estimate"
                      : sources.count("integrated") ? "integrated"
                                                    : (sources.empty() ? "" : *sources.begin());
  for (auto& [id, g] : groups) {
    if (g.profile.kind == "text") {
      fit_text(g, options.holdout_every);
    } else {
      fit_tensor(g, options.holdout_every);
    }
    fit_power(g, options.holdout_every);
    double q = 0, e = 0;
    size_t nq = 0, ne = 0;
    std::string metric;
    for (const auto& r : g.runs) {
      const auto& rec = r.run->record;
      double acc = num(rec, "/metrics/accuracy");
      if (std::isfinite(acc)) {
        q += acc;
        ++nq;
        metric = "accuracy";
      } else if (const double ll = num(rec, "/metrics/reference_mean_loglik"); std::isfinite(ll)) {
        q += std::exp(ll);
        ++nq;
        metric = "reference_token_likelihood";
      }
      if (const double j = num(rec, "/metrics/joules_per_request"); std::isfinite(j)) {
        e += j;
        ++ne;
      }
    }
    g.profile.quality = nq ? q / static_cast<double>(nq) : kNaN;
    g.profile.quality_metric = nq ? metric : "";
    g.profile.measured_joules_per_request = ne ? e / static_cast<double>(ne) : kNaN;
    out.variants.push_back(std::move(g.profile));
  }
  // Quality is the model's, whatever serves it: served runs measure none, so they take the one
  // measured for the same model and quant by another run (the mean of those variants).
  for (auto& v : out.variants) {
    if (std::isfinite(v.quality)) continue;
    double q = 0;
    size_t n = 0;
    for (const auto& w : out.variants) {
      if (w.model == v.model && w.quant == v.quant && std::isfinite(w.quality) &&
          w.holdout_runs.size() < 1000) {
        q += w.quality;
        v.quality_metric = w.quality_metric;
        ++n;
      }
    }
    if (n) v.quality = q / static_cast<double>(n);
  }
  return out;
}

}  // namespace wattserve::adapt
