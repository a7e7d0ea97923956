// The planner (planner.h): candidates per stage from the queueing model (planner_queueing.h),
// dominated ones dropped, and the choice as a 0-1 integer program solved by GLPK
// (docs/adapt.md has every formula).
#include "adapt/planner.h"

#include <fmt/format.h>
#include <glpk.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csetjmp>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "adapt/planner_queueing.h"

namespace wattserve::adapt {

// Candidates one stage may score before the integer program (each is a queueing estimate).
constexpr double kMaxStageCandidates = 1e6;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kMaxReplicas = 1024;

struct Candidate {
  size_t stage = 0;
  const VariantProfile* variant = nullptr;
  int batch = 1;
  int replicas = 1;
  int cores_per_replica = 1;
  int gpus_per_replica = 0;
  int cores = 0;  // over all replicas
  int gpus = 0;
  StageEstimate est;
  double quality = kNaN;   // the variant's, NaN unknown
  double quality_obj = 0;  // what the objective sees: 0 when unknown
  double cost = 0;         // joules per request - accuracy_weight * quality_obj
  double idle_w = 0;       // the variant's idle power (0 when unknown)
};

// ---------------------------------------------------------------------------------------------
// Checking the spec.

void check_range(const std::string& what, double v, double lo, double hi, bool lo_open = false) {
  const bool ok = std::isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
  if (!ok) {
    throw std::invalid_argument(
        fmt::format("{} must be in {}{}, {}], not {}", what, lo_open ? "(" : "[", lo, hi, v));
  }
}

void check_spec(const PipelineSpec& spec) {
  if (spec.stages.empty()) throw std::invalid_argument("the pipeline has no stage");
  check_range("the SLO (slo_p99_s)", spec.slo_p99_s, 0, 1e9, true);
  check_range("the arrival rate (rate_per_s)", spec.rate_per_s, 0, 1e9, true);
  check_range("the accuracy weight", spec.accuracy_weight, 0, 1e12);
  check_range("cores", spec.cores, 0, 1 << 20);
  check_range("gpus", spec.gpus, 0, 1 << 20);
  check_range("max_utilisation", spec.max_utilisation, 0, 1, true);
  for (const auto& s : spec.stages) {
    const std::string at = fmt::format("stage '{}': ", s.name);
    if (s.kind != "text" && s.kind != "tensor") {
      throw std::invalid_argument(at +
                                  fmt::format("kind must be text or tensor, not '{}'", s.kind));
    }
    for (int b : s.batch_sizes) check_range(at + "a batch size", b, 1, 1 << 16);
    check_range(at + "max_replicas", s.max_replicas, 1, kMaxReplicas);
    check_range(at + "min_quality", s.min_quality, 0, 1);
    const auto& w = s.workload;
    if (s.kind == "text") {
      check_range(at + "input_tokens", w.input_tokens, 0, 1e7);
      check_range(at + "output_tokens", w.output_tokens, 0, 1e7, true);
      check_range(at + "output_tokens_p99", w.output_tokens_p99, 0, 1e7);
    } else {
      check_range(at + "items_per_request", w.items_per_request, 0, 1e7, true);
    }
  }
}

// A stage's variant name selects a profile by id, model, family, or model prefix ("pycode"
// selects pycode-tiny, pycode-small...; "ppocr-v4-det" selects ppocr-v4-det-onnx).
bool matches(const VariantProfile& v, const std::string& name) {
  return v.id == name || v.model == name || v.family == name || v.model.rfind(name + "-", 0) == 0;
}

// Positive service time and utilisation, finite non-negative energy: a usable profile.
bool sane(const StageEstimate& e) {
  return std::isfinite(e.service_mean_s) && e.service_mean_s > 0 &&
         std::isfinite(e.joules_per_request) && e.joules_per_request >= 0 &&
         std::isfinite(e.utilisation) && e.utilisation > 0;
}

// ... and, for a stable candidate, finite positive latencies.
bool finite_estimate(const StageEstimate& e) {
  return std::isfinite(e.service_mean_s) && e.service_mean_s > 0 &&
         std::isfinite(e.latency_p99_s) && e.latency_p99_s > 0 && std::isfinite(e.latency_mean_s) &&
         std::isfinite(e.joules_per_request) && e.joules_per_request >= 0 &&
         std::isfinite(e.utilisation) && e.utilisation > 0;
}

// ---------------------------------------------------------------------------------------------
// Dominance: a is no worse than b in energy, p99, cores, GPUs, quality and idle power.

bool no_worse(const Candidate& a, const Candidate& b) {
  return a.est.joules_per_request <= b.est.joules_per_request &&
         a.est.latency_p99_s <= b.est.latency_p99_s && a.cores <= b.cores && a.gpus <= b.gpus &&
         a.quality_obj >= b.quality_obj && a.idle_w <= b.idle_w;
}

// Keeps the candidates no other dominates, and the first of identical ones. Sorted
// lexicographically (energy, p99, cores, GPUs, -quality, idle), a dominator always comes before
// what it dominates, so one pass against the kept ones suffices.
std::vector<Candidate> prune_dominated(std::vector<Candidate> c, int& dropped) {
  std::stable_sort(c.begin(), c.end(), [](const Candidate& a, const Candidate& b) {
    if (a.est.joules_per_request != b.est.joules_per_request) {
      return a.est.joules_per_request < b.est.joules_per_request;
    }
    if (a.est.latency_p99_s != b.est.latency_p99_s)
      return a.est.latency_p99_s < b.est.latency_p99_s;
    if (a.cores != b.cores) return a.cores < b.cores;
    if (a.gpus != b.gpus) return a.gpus < b.gpus;
    if (a.quality_obj != b.quality_obj) return a.quality_obj > b.quality_obj;
    return a.idle_w < b.idle_w;
  });
  std::vector<Candidate> kept;
  for (auto& x : c) {
    const bool dominated =
        std::any_of(kept.begin(), kept.end(), [&](const Candidate& k) { return no_worse(k, x); });
    if (dominated) {
      ++dropped;
    } else {
      kept.push_back(std::move(x));
    }
  }
  return kept;
}

// ---------------------------------------------------------------------------------------------
// The integer program through GLPK.

struct Ilp {
  size_t stages = 0;
  std::vector<const Candidate*> columns;
  std::vector<double> objective;  // per column
  double cores = 0;
  double gpus = 0;
  double slo = kInf;                   // no SLO row when infinite
  std::vector<std::vector<int>> cuts;  // each: columns of an earlier solution, at most size-1
  // > 0: a continuous column z >= the chosen candidates' idle power (one row per stage), with
  // this objective coefficient (1 / rate): the machine's idle power share, counted once.
  double idle_coef = 0;
};

// A GLPK failure (glp_error) calls the error hook; it must not return into GLPK, so it jumps
// back to glpk_solve, which frees GLPK's environment (as GLPK's manual prescribes).
struct ErrorJump {
  std::jmp_buf buf;
};
void on_glpk_error(void* info) {
  std::longjmp(static_cast<ErrorJump*>(info)->buf, 1);
}
// GLPK's terminal output is captured (for error messages), never printed.
int capture_glpk_output(void* info, const char* s) {
  static_cast<std::string*>(info)->append(s);
  return 1;
}

// The matrix in GLPK's 1-based triplets; rows: stages, cores, GPUs, SLO, cuts, idle. Columns:
// the candidates' binaries, then the idle column z if any.
struct GlpkInput {
  int rows = 0;
  int cols = 0;
  int binaries = 0;
  std::vector<int> row_type;  // GLP_FX or GLP_UP
  std::vector<double> row_bound;
  std::vector<double> obj;
  std::vector<int> ia, ja;
  std::vector<double> ar;
};

GlpkInput glpk_input(const Ilp& p) {
  GlpkInput in;
  in.binaries = static_cast<int>(p.columns.size());
  in.cols = in.binaries + (p.idle_coef > 0 ? 1 : 0);
  in.ia.push_back(0);
  in.ja.push_back(0);
  in.ar.push_back(0);
  auto add_row = [&](int type, double bound) {
    in.row_type.push_back(type);
    in.row_bound.push_back(bound);
    return ++in.rows;
  };
  auto put = [&](int row, size_t col, double v) {
    if (v == 0) return;
    in.ia.push_back(row);
    in.ja.push_back(static_cast<int>(col) + 1);
    in.ar.push_back(v);
  };
  for (size_t s = 0; s < p.stages; ++s) add_row(GLP_FX, 1);
  for (size_t j = 0; j < p.columns.size(); ++j)
    put(static_cast<int>(p.columns[j]->stage) + 1, j, 1);
  const int cores_row = add_row(GLP_UP, p.cores);
  for (size_t j = 0; j < p.columns.size(); ++j) put(cores_row, j, p.columns[j]->cores);
  if (std::any_of(p.columns.begin(), p.columns.end(), [](const Candidate* c) { return c->gpus; })) {
    const int gpus_row = add_row(GLP_UP, p.gpus);
    for (size_t j = 0; j < p.columns.size(); ++j) put(gpus_row, j, p.columns[j]->gpus);
  }
  if (std::isfinite(p.slo)) {
    const int slo_row = add_row(GLP_UP, p.slo);
    for (size_t j = 0; j < p.columns.size(); ++j) {
      put(slo_row, j, p.columns[j]->est.latency_p99_s);
    }
  }
  for (const auto& cut : p.cuts) {
    const int row = add_row(GLP_UP, static_cast<double>(cut.size()) - 1);
    for (int j : cut) put(row, static_cast<size_t>(j), 1);
  }
  in.obj = p.objective;
  if (p.idle_coef > 0) {  // z - sum_{c in s} idle_c x_c >= 0, written as <= 0 with signs flipped
    const size_t z = p.columns.size();
    std::vector<int> stage_rows(p.stages);
    for (size_t st = 0; st < p.stages; ++st) stage_rows[st] = add_row(GLP_UP, 0);
    for (size_t j = 0; j < p.columns.size(); ++j) {
      put(stage_rows[p.columns[j]->stage], j, p.columns[j]->idle_w);
    }
    for (size_t st = 0; st < p.stages; ++st) put(stage_rows[st], z, -1);
    in.obj.push_back(p.idle_coef);
  }
  return in;
}

constexpr int kGlpkJumped = -1000;

// Solves; returns 1 with `values` filled (optimal), 0 when infeasible, kGlpkJumped after a GLPK
// error, or -(GLPK's return code). Only C objects live across setjmp here.
int glpk_solve(const GlpkInput& in, double* values, std::string* log) {
  ErrorJump jump;
  if (setjmp(jump.buf) != 0) {
    glp_free_env();  // GLPK's state is undefined after an error; this resets it
    return kGlpkJumped;
  }
  glp_error_hook(on_glpk_error, &jump);
  glp_term_out(GLP_ON);
  glp_term_hook(capture_glpk_output, log);
  glp_prob* lp = glp_create_prob();
  glp_set_obj_dir(lp, GLP_MIN);
  glp_add_rows(lp, in.rows);
  for (int i = 0; i < in.rows; ++i) {
    const double b = in.row_bound[static_cast<size_t>(i)];
    glp_set_row_bnds(lp, i + 1, in.row_type[static_cast<size_t>(i)], b, b);
  }
  glp_add_cols(lp, in.cols);
  for (int j = 0; j < in.cols; ++j) {
    if (j < in.binaries) {
      glp_set_col_kind(lp, j + 1, GLP_BV);
    } else {
      glp_set_col_bnds(lp, j + 1, GLP_LO, 0, 0);  // z, continuous
    }
    glp_set_obj_coef(lp, j + 1, in.obj[static_cast<size_t>(j)]);
  }
  glp_load_matrix(lp, static_cast<int>(in.ia.size()) - 1, in.ia.data(), in.ja.data(), in.ar.data());
  glp_iocp parm;
  glp_init_iocp(&parm);
  parm.presolve = GLP_ON;
  parm.msg_lev = GLP_MSG_ERR;
  const int ret = glp_intopt(lp, &parm);
  int result = 0;
  if (ret == 0) {
    const int status = glp_mip_status(lp);
    if (status == GLP_OPT) {
      for (int j = 0; j < in.cols; ++j) values[j] = glp_mip_col_val(lp, j + 1);
      result = 1;
    } else if (status == GLP_NOFEAS) {
      result = 0;
    } else {
      result = -1000 - status;
    }
  } else if (ret == GLP_ENOPFS) {  // the LP relaxation is infeasible (found by the presolver)
    result = 0;
  } else {
    result = -ret;
  }
  glp_delete_prob(lp);
  glp_term_hook(nullptr, nullptr);
  glp_error_hook(nullptr, nullptr);
  return result;
}

// The optimum's columns (one per stage), or empty when infeasible. Throws std::runtime_error
// when GLPK fails.
std::vector<int> solve(const Ilp& p, double& elapsed_ms) {
  const GlpkInput in = glpk_input(p);
  std::vector<double> values(static_cast<size_t>(in.cols), 0.0);
  std::string log;
  const auto t0 = std::chrono::steady_clock::now();
  const int r = glpk_solve(in, values.data(), &log);
  elapsed_ms +=
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  while (!log.empty() && (log.back() == '\n' || log.back() == ' ')) log.pop_back();
  if (r == kGlpkJumped) throw std::runtime_error("GLPK failed: " + log);
  if (r < 0) throw std::runtime_error(fmt::format("GLPK failed (code {}): {}", -r, log));
  if (r == 0) return {};
  std::vector<int> chosen;
  std::vector<int> per_stage(p.stages, 0);
  for (size_t j = 0; j < p.columns.size(); ++j) {
    if (values[j] > 0.5) {
      chosen.push_back(static_cast<int>(j));
      ++per_stage[p.columns[j]->stage];
    }
  }
  if (std::any_of(per_stage.begin(), per_stage.end(), [](int n) { return n != 1; })) {
    throw std::runtime_error("GLPK returned a solution without one candidate per stage");
  }
  return chosen;
}

Plan make_plan(const Ilp& p, const std::vector<int>& chosen, const PipelineSpec& spec) {
  std::vector<const Candidate*> cs;
  for (int j : chosen) cs.push_back(p.columns[static_cast<size_t>(j)]);
  std::sort(cs.begin(), cs.end(),
            [](const Candidate* a, const Candidate* b) { return a->stage < b->stage; });
  Plan plan;
  double idle_w = 0;
  double quality = 1;
  bool any_quality = false;
  for (const Candidate* c : cs) {
    StageChoice s;
    s.stage = spec.stages[c->stage].name;
    s.variant = c->variant->id;
    s.batch = c->batch;
    s.replicas = c->replicas;
    s.cores_per_replica = c->cores_per_replica;
    s.gpus_per_replica = c->gpus_per_replica;
    s.utilisation = c->est.utilisation;
    s.joules_per_request = c->est.joules_per_request;
    s.latency_mean_s = c->est.latency_mean_s;
    s.latency_p99_s = c->est.latency_p99_s;
    s.quality = c->quality;
    plan.joules_per_request += s.joules_per_request;
    plan.latency_mean_s += s.latency_mean_s;
    plan.latency_p99_s += s.latency_p99_s;
    plan.objective += c->cost;
    idle_w = std::max(idle_w, c->idle_w);
    if (std::isfinite(c->quality)) {
      quality *= c->quality;
      any_quality = true;
    }
    plan.stages.push_back(std::move(s));
  }
  plan.idle_w = idle_w;
  plan.joules_per_request += idle_w / spec.rate_per_s;
  plan.objective += idle_w / spec.rate_per_s;
  plan.quality = any_quality ? quality : kNaN;
  return plan;
}

std::string describe(const Candidate& c) {
  return fmt::format("{} batch {} x{}", c.variant->id, c.batch, c.replicas);
}

// ---------------------------------------------------------------------------------------------
// JSON.

nlohmann::json num(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

nlohmann::json plan_json(const std::optional<Plan>& p) {
  if (!p) return nullptr;
  nlohmann::json stages = nlohmann::json::array();
  for (const auto& s : p->stages) {
    stages.push_back({{"stage", s.stage},
                      {"variant", s.variant},
                      {"batch", s.batch},
                      {"replicas", s.replicas},
                      {"cores_per_replica", s.cores_per_replica},
                      {"gpus_per_replica", s.gpus_per_replica},
                      {"utilisation", num(s.utilisation)},
                      {"joules_per_request", num(s.joules_per_request)},
                      {"latency_mean_s", num(s.latency_mean_s)},
                      {"latency_p99_s", num(s.latency_p99_s)},
                      {"quality", num(s.quality)}});
  }
  return {{"stages", std::move(stages)},
          {"joules_per_request", num(p->joules_per_request)},
          {"latency_mean_s", num(p->latency_mean_s)},
          {"latency_p99_s", num(p->latency_p99_s)},
          {"quality", num(p->quality)},
          {"idle_w", num(p->idle_w)},
          {"objective", num(p->objective)}};
}

}  // namespace

PlanResult plan(const Profiles& profiles, const PipelineSpec& spec) {
  check_spec(spec);
  PlanResult result;
  result.least_p99_s = kNaN;
  result.cores = spec.cores > 0 ? spec.cores : profiles.cores;
  result.gpus = spec.gpus;
  if (result.cores <= 0) {
    throw std::invalid_argument(
        "the number of cores is unknown: the profiles do not say it; give the pipeline's cores");
  }
  const double w = spec.accuracy_weight;

  // Candidates per stage: all that fit the machine and stay under the utilisation bound
  // (`stable`), and those of them whose own p99 is within the SLO (`within`).
  const size_t n_stages = spec.stages.size();
  std::vector<std::vector<Candidate>> stable(n_stages), within(n_stages);
  std::string reason;
  for (size_t si = 0; si < n_stages; ++si) {
    const StageSpec& st = spec.stages[si];
    std::vector<const VariantProfile*> variants;
    for (const auto& name : st.variants) {
      const bool any = std::any_of(profiles.variants.begin(), profiles.variants.end(),
                                   [&](const VariantProfile& v) { return matches(v, name); });
      if (!any) {
        throw std::invalid_argument(
            fmt::format("stage '{}': '{}' matches no variant in the profiles", st.name, name));
      }
    }
    for (const auto& v : profiles.variants) {
      if (v.kind != st.kind) continue;
      if (!st.variants.empty() && std::none_of(st.variants.begin(), st.variants.end(),
                                               [&](const auto& n) { return matches(v, n); })) {
        continue;
      }
      if (std::isfinite(v.quality) && v.quality < st.min_quality) continue;
      variants.push_back(&v);
    }
    if (variants.empty()) {
      throw std::invalid_argument(fmt::format(
          "stage '{}': no {} variant in the profiles{}{}", st.name, st.kind,
          st.variants.empty() ? "" : " matches the names given",
          st.min_quality > 0 ? fmt::format(" with quality >= {}", st.min_quality) : ""));
    }
    const std::vector<int> batches =
        st.batch_sizes.empty() ? std::vector<int>{1, 2, 4, 8} : st.batch_sizes;
    const double stage_candidates = static_cast<double>(variants.size()) *
                                    static_cast<double>(batches.size()) * st.max_replicas;
    if (stage_candidates > kMaxStageCandidates) {
      throw std::invalid_argument(fmt::format(
          "stage '{}': {} variants x {} batch sizes x {} replica counts = {:.0f} candidates, more "
          "than {:.0f}: give fewer batch sizes, a smaller max_replicas or fewer variants",
          st.name, variants.size(), batches.size(), st.max_replicas, stage_candidates,
          kMaxStageCandidates));
    }
    int usable = 0, fitting = 0;
    const Candidate* least_loaded = nullptr;
    std::vector<Candidate> all;
    for (const VariantProfile* v : variants) {
      bool variant_usable = false;
      for (int b : batches) {
        // A text variant's slots are what its profile measured: one run one sequence at a time
        // (parallel 1) cannot batch, and more slots than it had are not the same variant.
        if (v->kind == "text" && b > v->parallel) continue;
        for (int r = 1; r <= st.max_replicas; ++r) {
          Candidate c;
          c.stage = si;
          c.variant = v;
          c.batch = b;
          c.replicas = r;
          const bool gpu = v->provider == "cuda";
          c.cores_per_replica = gpu ? 1 : v->threads;
          c.gpus_per_replica = gpu ? 1 : 0;
          c.cores = c.cores_per_replica * r;
          c.gpus = c.gpus_per_replica * r;
          c.est = estimate_stage(*v, st.workload, b, r, spec.rate_per_s);
          ++result.evaluated;
          if (!sane(c.est)) continue;
          variant_usable = true;
          if (c.cores > result.cores || c.gpus > result.gpus) continue;
          ++fitting;
          c.quality = v->quality;
          c.quality_obj = std::isfinite(v->quality) ? v->quality : 0.0;
          c.cost = c.est.joules_per_request - w * c.quality_obj;
          c.idle_w = std::isfinite(v->power.idle_w) ? v->power.idle_w : 0.0;
          all.push_back(c);
        }
      }
      usable += variant_usable ? 1 : 0;
    }
    if (usable == 0) {
      throw std::invalid_argument(fmt::format(
          "stage '{}': the profiles of its {} variant(s) give no positive service time and "
          "energy",
          st.name, variants.size()));
    }
    for (const auto& c : all) {
      if (!least_loaded || c.est.utilisation < least_loaded->est.utilisation) least_loaded = &c;
      if (c.est.stable && c.est.utilisation < spec.max_utilisation && finite_estimate(c.est)) {
        stable[si].push_back(c);
        if (c.est.latency_p99_s <= spec.slo_p99_s) within[si].push_back(c);
      }
    }
    if (!reason.empty()) continue;
    if (fitting == 0) {
      reason = fmt::format("stage '{}': no variant fits on {} cores and {} GPUs", st.name,
                           result.cores, result.gpus);
    } else if (stable[si].empty()) {
      reason = fmt::format(
          "stage '{}': no candidate keeps a replica's utilisation below {:g} at {:g} "
          "requests/s on {} cores (the least loaded, {}, is at {:.3g})",
          st.name, spec.max_utilisation, spec.rate_per_s, result.cores, describe(*least_loaded),
          least_loaded->est.utilisation);
    }
  }
  if (!reason.empty()) {
    result.reason = reason;
    return result;
  }

  Ilp ilp;
  ilp.stages = n_stages;
  ilp.cores = result.cores;
  ilp.gpus = result.gpus;
  ilp.slo = spec.slo_p99_s;
  ilp.idle_coef = 1 / spec.rate_per_s;
  std::vector<std::vector<Candidate>> kept(n_stages);
  bool each_stage_within = true;
  for (size_t si = 0; si < n_stages; ++si) {
    kept[si] = prune_dominated(within[si], result.dominated);
    each_stage_within = each_stage_within && !kept[si].empty();
    for (const auto& c : kept[si]) {
      ilp.columns.push_back(&c);
      ilp.objective.push_back(c.cost);
    }
  }
  result.candidates = static_cast<int>(ilp.columns.size());
  std::vector<int> best;
  if (each_stage_within) best = solve(ilp, result.solve_ms);
  if (!best.empty()) {
    result.best = make_plan(ilp, best, spec);
    ilp.cuts.push_back(best);
    const std::vector<int> second = solve(ilp, result.solve_ms);
    if (!second.empty()) result.runner_up = make_plan(ilp, second, spec);
    return result;
  }

  // No plan: the least p99 the stages can reach together on this machine (no SLO row, the
  // summed p99 as the objective), over every stable candidate.
  Ilp fastest;
  fastest.stages = n_stages;
  fastest.cores = result.cores;
  fastest.gpus = result.gpus;
  std::vector<std::vector<Candidate>> fast_kept(n_stages);
  int ignored = 0;
  for (size_t si = 0; si < n_stages; ++si) {
    fast_kept[si] = prune_dominated(stable[si], ignored);
    for (const auto& c : fast_kept[si]) {
      fastest.columns.push_back(&c);
      fastest.objective.push_back(c.est.latency_p99_s);
    }
  }
  double unused_ms = 0;
  const std::vector<int> quickest = solve(fastest, unused_ms);
  if (quickest.empty()) {
    result.reason = fmt::format(
        "no plan fits: the stages' candidates together need more than {} cores and {} GPUs",
        result.cores, result.gpus);
    return result;
  }
  const Plan q = make_plan(fastest, quickest, spec);
  result.least_p99_s = q.latency_p99_s;
  std::string how;
  for (const auto& s : q.stages) {
    how += fmt::format("{}{}: {} batch {} x{}", how.empty() ? "" : "; ", s.stage, s.variant,
                       s.batch, s.replicas);
  }
  result.reason = fmt::format(
      "no plan meets the p99 SLO of {:.4g} s at {:g} requests/s on {} cores: the least p99 "
      "achievable is {:.4g} s ({})",
      spec.slo_p99_s, spec.rate_per_s, result.cores, q.latency_p99_s, how);
  return result;
}

std::string plan_result_to_json(const PlanResult& r, const PipelineSpec& spec) {
  const nlohmann::json j = {{"pipeline", spec.name},
                            {"slo_p99_s", num(spec.slo_p99_s)},
                            {"rate_per_s", num(spec.rate_per_s)},
                            {"accuracy_weight", num(spec.accuracy_weight)},
                            {"cores", r.cores},
                            {"gpus", r.gpus},
                            {"best", plan_json(r.best)},
                            {"runner_up", plan_json(r.runner_up)},
                            {"reason", r.reason},
                            {"candidates", r.candidates},
                            {"evaluated", r.evaluated},
                            {"dominated", r.dominated},
                            {"solve_ms", num(r.solve_ms)},
                            {"least_p99_s", num(r.least_p99_s)}};
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace wattserve::adapt
