// run_sweep (sweep.h).
#include "bench/sweep.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <numeric>
#include <set>

#include "bench/dataset.h"
#include "bench/runner.h"
#include "record/machine_info.h"
#include "record/run_record.h"

namespace wattserve::bench {

using nlohmann::json;

namespace {

double now_s(const energy::Clock& clock) {
  return energy::ns_to_s(clock.now_ns());
}

// Total power of the counted domains over the last sampling interval (W); NaN before two samples.
double counted_power(const energy::Meter& meter) {
  const auto p = meter.last_power();
  double sum = 0;
  for (std::size_t i = 0; i < p.size() && i < meter.domains().size(); ++i) {
    if (meter.domains()[i].counted) sum += p[i];
  }
  return sum;
}

double counted_idle(const energy::Meter& meter) {
  const auto b = meter.idle_baseline();
  double sum = 0;
  for (std::size_t i = 0; i < b.watts.size() && i < meter.domains().size(); ++i) {
    if (meter.domains()[i].counted) sum += b.watts[i];
  }
  return sum;
}

void measure_idle(energy::Meter& meter, double seconds, Progress& progress) {
  progress.note(fmt::format("measuring idle power for {} s", seconds));
  meter.set_idle_baseline(meter.measure_idle(static_cast<std::int64_t>(seconds * 1e9)));
  progress.note(fmt::format("idle baseline {:.2f} W", counted_idle(meter)));
}

// Waits out the cool-down: fixed seconds, or until power is within pct % of the idle baseline
// (at most timeout_s). Returns the seconds waited.
double cool_down(energy::Meter& meter, const ProtocolSpec& p) {
  auto& clock = *meter.options().clock;
  const double t0 = now_s(clock);
  if (p.cooldown_s > 0) clock.sleep_for(static_cast<std::int64_t>(p.cooldown_s * 1e9));
  if (p.cooldown_within_pct > 0 && counted_idle(meter) > 0) {
    const double idle = counted_idle(meter);
    const double step = std::max(0.01, static_cast<double>(meter.options().interval_ns) * 1e-9);
    const double until = now_s(clock) + p.cooldown_timeout_s;
    while (now_s(clock) < until) {
      const double w = counted_power(meter);
      if (std::isfinite(w) && w <= idle * (1 + p.cooldown_within_pct / 100)) break;
      clock.sleep_for(static_cast<std::int64_t>(step * 1e9));
    }
  }
  return now_s(clock) - t0;
}

// A measured window's times, energy block (with the idle baseline it subtracted) and carbon block.
void set_measured(json& rec, const energy::WindowReport& w, const energy::Meter& meter,
                  const SweepOptions& o) {
  record::set_times(rec, w);
  record::EnergyJsonOptions eo;
  eo.domains = &meter.domains();
  const auto idle = meter.idle_baseline();
  eo.idle = w.has_baseline ? &idle : nullptr;
  rec["energy"] = record::energy_json(w, eo);
  rec["carbon"] = record::carbon_json(w.joules, o.carbon, o.pue);
}

std::string summary_text(const RunMeasurement& m) {
  const auto& x = m.metrics;
  const std::string src = x.value("energy_source", "");
  std::string s = fmt::format("{:.4g} J ({})", x.value("joules", 0.0), src);
  if (x.contains("output_tokens_per_s") && x["output_tokens_per_s"].is_number()) {
    s += fmt::format(", {:.1f} tokens/s", x["output_tokens_per_s"].get<double>());
    if (x["joules_per_output_token"].is_number())
      s += fmt::format(", {:.3g} J/token", x["joules_per_output_token"].get<double>());
  } else if (x.contains("items_per_s") && x["items_per_s"].is_number()) {
    s += fmt::format(", {:.1f} items/s", x["items_per_s"].get<double>());
  }
  return s;
}

}  // namespace

std::string config_text(const Study& study, const json& config) {
  std::string s;
  for (const auto& f : study.factors) {
    if (!config.contains(f.name)) continue;
    const auto& v = config[f.name];
    s += fmt::format("{}{}={}", s.empty() ? "" : " ", f.name,
                     v.is_string() ? v.get<std::string>() : v.dump());
  }
  for (const auto& [k, v] : config.items()) {  // list designs may set fields that are no factor
    if (study.factor(k)) continue;
    s += fmt::format("{}{}={}", s.empty() ? "" : " ", k,
                     v.is_string() ? v.get<std::string>() : v.dump());
  }
  return s.empty() ? "(fixed configuration)" : s;
}

SweepResult run_sweep(const Study& study, const SweepOptions& options, energy::Meter& meter,
                      Progress& progress) {
  SweepOptions o = options;  // before_runs may set the carbon intensity
  const std::string hash = study_hash(study);
  // A folder of another study, or one that is not a dataset, is the user's to fix.
  auto dataset = [&] {
    try {
      return Dataset::open(o.out, to_toml(study), study.study.name, hash);
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument(e.what());
    }
  }();
  for (const auto& w : dataset.warnings()) progress.note(w);

  SweepResult res;
  const auto plan = plan_study(study).runs;
  res.planned = plan.size();
  const auto mine = o.shard ? select_shard(plan, *o.shard) : plan;
  res.selected = mine.size();
  const auto done = dataset.finished_ids(!o.retry_failed);
  const auto ok_ids = dataset.finished_ids(false);
  std::vector<const PlannedRun*> todo;
  for (const auto& r : mine) {
    if (done.count(r.run_id)) {
      ++res.skipped;
      if (!ok_ids.count(r.run_id)) ++res.failed_before;
    } else {
      todo.push_back(&r);
    }
  }
  if (res.skipped > 0) {
    progress.note(fmt::format("{} of {} runs already in {}: resuming with the other {}",
                              res.skipped, mine.size(), o.out, todo.size()));
  }
  if (res.failed_before > 0) {
    progress.note(fmt::format("{} of them are recorded as failed (--retry-failed reruns them)",
                              res.failed_before));
  }
  if (todo.empty()) {
    dataset.rebuild_tables();
    return res;
  }

  if (o.before_runs) o.before_runs(todo.size(), o.carbon);
  const auto& clock = *meter.options().clock;
  const std::string base_dir =
      study.path.empty() ? "" : std::filesystem::path(study.path).parent_path().string();
  const auto machine =
      record::machine_json(record::machine_info({o.procfs_root, o.sysfs_root}, meter.domains()));
  Runner runner(meter, o.carbon, o.pue);
  const double t_start = now_s(clock);
  double last_idle = -1;
  int failures = 0;
  // Configurations that ran in this process. A measured run whose configuration has not (its
  // warm-ups were recorded by an earlier invocation), or whose model the runner has unloaded
  // since, gets one unrecorded warm-up first: no measured run meets a cold model.
  std::set<std::size_t> warm;
  constexpr double kTablesEvery_s = 30;
  double tables_at = now_s(clock);

  for (std::size_t k = 0; k < todo.size(); ++k) {
    const PlannedRun& pr = *todo[k];
    const bool idle_due =
        study.protocol.idle_s > 0 &&
        (last_idle < 0 || (study.protocol.idle_every_min > 0 &&
                           now_s(clock) - last_idle >= study.protocol.idle_every_min * 60));
    if (k > 0) cool_down(meter, study.protocol);
    if (idle_due) {
      measure_idle(meter, study.protocol.idle_s, progress);
      last_idle = now_s(clock);
    }
    const std::string cfg = config_text(study, pr.config);
    progress.start_run(
        k + 1, todo.size(), pr.run_id,
        cfg + (pr.warmup ? " (warm-up)" : fmt::format(" (repeat {})", pr.repeat + 1)),
        now_s(clock) - t_start);

    const auto settings = run_settings(study, pr.config);
    RunPlan rp{
        settings.model,   settings.sampling,
        study.workload,   base_dir,
        settings.serving, settings.serving.served() ? o.out + "/logs/" + pr.run_id + ".log" : ""};
    auto rec = record::start_record("bench", pr.run_id);
    rec["study"] = {{"name", study.study.name}, {"hash", hash}};
    rec["repeat"] = pr.repeat;
    rec["warmup"] = pr.warmup;
    rec["config_index"] = pr.config_index;
    rec["order"] = pr.order;
    json workload = {{"prompts", study.workload.prompts},
                     {"requests", study.workload.requests},
                     {"min_duration_s", study.workload.min_duration_s}};
    if (!study.workload.labels.empty()) workload["labels"] = study.workload.labels;
    rec["config"] = {{"factors", pr.config},
                     {"model", model::to_json(settings.model)},
                     {"sampling", model::to_json(settings.sampling)},
                     {"workload", workload}};
    if (settings.serving.served()) rec["config"]["serving"] = load::to_json(settings.serving);
    rec["machine"] = machine;
    // A served target starts its server for every run (nothing stays loaded): its warm-up is
    // the run's own warm-up requests (load.warmup_requests).
    if (!pr.warmup && study.protocol.warmup_runs > 0 && !rp.serving.served() &&
        (!warm.count(pr.config_index) || !runner.loaded(rp.spec))) {
      progress.note(fmt::format("warming up [{}] (not recorded: its recorded warm-ups ran {})", cfg,
                                warm.count(pr.config_index)
                                    ? "before its model was unloaded to make room for others"
                                    : "in an earlier invocation"));
      try {
        runner.run(rp);
      } catch (const std::exception&) {  // the measured run will fail and say why
      }
    }
    warm.insert(pr.config_index);
    const double t0 = now_s(clock);
    const auto wall0 = clock.wall_ns();
    CsvTable requests, timeline;
    std::string summary;
    try {
      auto m = runner.run(rp);
      set_measured(rec, m.energy, meter, o);
      res.joules += m.energy.joules;
      rec["software"] = record::software_json(
          {{m.model.value("engine", ""), m.model.value("engine_version", "")}});
      rec["config"]["target"] = m.model;
      rec["config"]["workload"].update(m.workload);
      rec["timings"] = m.timings;
      rec["timings"]["load_s"] = m.load_s;
      rec["metrics"] = m.metrics;
      if (!m.serving.is_null()) rec["serving"] = m.serving;
      requests = std::move(m.requests);
      timeline = std::move(m.timeline);
      summary = summary_text(m);
      ++res.ok;
    } catch (const std::exception& e) {
      record::set_times(rec, wall0, clock.wall_ns());
      if (const auto* rf = dynamic_cast<const RunFailed*>(&e)) {  // measured: its energy counts
        set_measured(rec, rf->energy, meter, o);
        res.joules += rf->energy.joules;
      }
      record::set_failed(rec, e.what());
      rec["software"] = record::software_json(runner.engine_versions());
      summary = fmt::format("failed: {}", e.what());
      ++res.failed;
      ++failures;
    }
    try {
      dataset.write_run(rec, requests, timeline);
      // The tables are derived from runs/ (re-reading every record): refreshed at most every
      // kTablesEvery_s while the sweep runs, and always at its end.
      if (now_s(clock) - tables_at >= kTablesEvery_s) {
        dataset.rebuild_tables();
        tables_at = now_s(clock);
      }
    } catch (const std::invalid_argument& e) {  // runs have happened: not a usage error any more
      throw std::runtime_error(e.what());
    }
    progress.end_run(summary, now_s(clock) - t0, now_s(clock) - t_start);
    if (rec["status"] == "failed")
      progress.note(fmt::format("run {} [{}] {}", pr.run_id, cfg, summary));
    if (o.max_failures >= 0 && failures > o.max_failures) {
      progress.note(
          fmt::format("stopping: {} runs failed (--max-failures {})", failures, o.max_failures));
      res.stopped = true;
      break;
    }
  }
  dataset.rebuild_tables();
  return res;
}

}  // namespace wattserve::bench
