// Carbon-aware deferral of a bench study (carbon_defer.h).
#include "adapt/carbon_defer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "bench/progress.h"
#include "energy/core/atomic_file.h"
#include "energy/exporters/output_format.h"

namespace wattserve::adapt {

using nlohmann::json;

int64_t parse_duration_s(const std::string& text) {
  const auto bad = [&] {
    return std::invalid_argument(fmt::format(
        "'{}' is not a duration (give e.g. 12h, 90m, 3600s, 1h30m, 2d or seconds)", text));
  };
  if (text.empty()) throw bad();
  double total = 0;
  std::size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.'))
      ++j;
    if (j == i) throw bad();
    double v = 0;
    try {
      std::size_t used = 0;
      v = std::stod(text.substr(i, j - i), &used);
      if (used != j - i) throw bad();
    } catch (const std::logic_error&) {
      throw bad();
    }
    double unit = 1;
    if (j < text.size()) {
      switch (text[j]) {
        case 'd':
          unit = 86400;
          break;
        case 'h':
          unit = 3600;
          break;
        case 'm':
          unit = 60;
          break;
        case 's':
          unit = 1;
          break;
        default:
          throw bad();
      }
      ++j;
    } else if (any) {
      throw bad();  // "1h30": the unit of the last part is missing
    }
    total += v * unit;
    any = true;
    i = j;
  }
  if (!(total >= 1) || total > 3.2e7) {  // at least a second, at most about a year
    throw std::invalid_argument(
        fmt::format("'{}': a duration must be between 1 s and a year", text));
  }
  return static_cast<int64_t>(std::llround(total));
}

int64_t parse_deadline_s(const std::string& text, int64_t now_s) {
  try {
    return now_s + parse_duration_s(text);
  } catch (const std::invalid_argument& e) {
    const int64_t ns = text.size() >= 10 ? energy::parse_rfc3339_ns(text) : 0;
    if (ns == 0) {
      throw std::invalid_argument(fmt::format(
          "--deadline {}: give a duration (12h, 90m, 3600s) or a time (RFC 3339)", text));
    }
    return ns / 1000000000LL;
  }
}

std::string format_utc_minutes(int64_t unix_s) {
  const auto t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min);
}

json WorkEstimate::to_json() const {
  return {{"runs", runs}, {"per_run_s", per_run_s}, {"total_s", total_s}, {"basis", basis}};
}

WorkEstimate estimate_work(const bench::Study& study, std::size_t runs, const std::string& dir) {
  WorkEstimate w;
  w.runs = runs;
  double sum = 0;
  std::size_t n = 0;
  const auto runs_dir = std::filesystem::path(dir) / "runs";
  std::error_code ec;
  if (std::filesystem::is_directory(runs_dir, ec)) {
    const std::string hash = bench::study_hash(study);
    for (const auto& entry : std::filesystem::directory_iterator(runs_dir, ec)) {
      if (entry.path().extension() != ".json") continue;
      std::string text;
      if (!energy::read_file_if_exists(entry.path().string(), &text)) continue;
      const json rec = json::parse(text, nullptr, false);
      if (!rec.is_object() || rec.value("status", "") != "ok") continue;
      if (!rec.contains("study") || !rec["study"].is_object() ||
          rec["study"].value("hash", "") != hash) {
        continue;
      }
      const auto d = rec.find("duration_s");
      if (d == rec.end() || !d->is_number() || !(d->get<double>() > 0)) continue;
      sum += d->get<double>();
      ++n;
    }
  }
  if (n > 0) {
    w.per_run_s = sum / static_cast<double>(n);
    w.basis = fmt::format("the mean of the {} run(s) already in {}", n, dir);
  } else {
    w.per_run_s = std::max(kDefaultRunSeconds, study.workload.min_duration_s);
    w.basis = fmt::format("{} per run, a default: no run of this study measured yet",
                          bench::format_duration(w.per_run_s));
  }
  w.per_run_s += study.protocol.cooldown_s;
  w.total_s = w.per_run_s * static_cast<double>(runs);
  if (study.protocol.idle_s > 0) {
    const double every = study.protocol.idle_every_min * 60;
    const double times = 1 + (every > 0 ? std::floor(w.total_s / every) : 0);
    w.total_s += times * study.protocol.idle_s;
  }
  return w;
}

std::string DeferPlan::text() const {
  const std::string est = fmt::format("{} run(s), about {} ({})", work.runs,
                                      bench::format_duration(work.total_s), work.basis);
  const std::string by = format_utc_minutes(deadline_s);
  if (!meets_deadline) {
    return fmt::format(
        "starting now: {} do not fit before the deadline {}; mean intensity {:.0f} gCO2e/kWh", est,
        by, start.now_g_per_kwh);
  }
  if (!deferred()) {
    return fmt::format(
        "starting now: no cleaner start that ends by {} ({}); mean intensity {:.0f} gCO2e/kWh", by,
        est, start.now_g_per_kwh);
  }
  return fmt::format(
      "starting at {} (in {}), mean intensity {:.0f} gCO2e/kWh against {:.0f} now: {:.0f} % less "
      "CO2e for the same energy; {}, ends by {}",
      format_utc_minutes(start.start_s),
      bench::format_duration(static_cast<double>(start.start_s - planned_at_s)),
      start.mean_g_per_kwh, start.now_g_per_kwh, start.saved_fraction * 100, est, by);
}

json DeferPlan::to_json() const {
  const auto t = [](int64_t s) { return energy::iso8601_utc(s * 1000000000LL, false); };
  return {{"intensity_series", intensity_path},
          {"planned_at", t(planned_at_s)},
          {"deadline", t(deadline_s)},
          {"estimate", work.to_json()},
          {"meets_deadline", meets_deadline},
          {"deferred", deferred()},
          {"start", t(start.start_s)},
          {"deferred_s", start.start_s - planned_at_s},
          {"mean_g_per_kwh", start.mean_g_per_kwh},
          {"now_g_per_kwh", start.now_g_per_kwh},
          {"saved_fraction", start.saved_fraction}};
}

DeferPlan plan_deferral(const std::vector<IntensityPoint>& series, const std::string& path,
                        int64_t now_s, int64_t deadline_s, const WorkEstimate& work) {
  if (series.empty() || now_s < series.front().t_s) {
    throw std::invalid_argument(fmt::format(
        "{}: the intensity series starts at {}, after now ({}); it must cover the present", path,
        series.empty() ? std::string("?") : format_utc_minutes(series.front().t_s),
        format_utc_minutes(now_s)));
  }
  DeferPlan p;
  p.intensity_path = path;
  p.planned_at_s = now_s;
  p.deadline_s = deadline_s;
  p.work = work;
  const auto duration = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(work.total_s)));
  p.meets_deadline = now_s + duration <= deadline_s;
  p.start = best_start(series, now_s, duration, deadline_s);
  return p;
}

energy::CarbonIntensity DeferPlan::run_intensity() const {
  energy::CarbonIntensity c;
  c.g_per_kwh = start.mean_g_per_kwh;
  c.source = fmt::format("series:{} (mean from {} over the estimated {})", intensity_path,
                         format_utc_minutes(start.start_s), bench::format_duration(work.total_s));
  return c;
}

DeferPlan plan_study_deferral(const std::vector<IntensityPoint>& series, const std::string& path,
                              const std::string& deadline, const bench::Study& study,
                              std::size_t runs, const std::string& dir, int64_t now_s) {
  return plan_deferral(series, path, now_s, parse_deadline_s(deadline, now_s),
                       estimate_work(study, runs, dir));
}

void wait_until_wall(energy::Clock& clock, int64_t start_s,
                     const std::function<void(int64_t)>& tick, int64_t tick_s) {
  const int64_t target_ns = start_s * 1000000000LL;
  const int64_t step_max = std::max<int64_t>(1, tick_s) * 1000000000LL;
  for (;;) {
    const int64_t remaining = target_ns - clock.wall_ns();
    if (remaining <= 0) return;
    if (tick) tick((remaining + 999999999) / 1000000000LL);
    clock.sleep_for(std::min(remaining, step_max));
  }
}

namespace {

json read_carbon_json(const std::string& file) {
  std::string text;
  json doc;
  if (energy::read_file_if_exists(file, &text)) doc = json::parse(text, nullptr, false);
  if (!doc.is_object() || !doc.contains("plans") || !doc["plans"].is_array()) {
    doc = {{"schema", "wattserve.bench-carbon"}, {"schema_version", 1}, {"plans", json::array()}};
  }
  return doc;
}

}  // namespace

void write_plan(const std::string& dir, const DeferPlan& plan) {
  const auto file = (std::filesystem::path(dir) / "carbon.json").string();
  auto doc = read_carbon_json(file);
  doc["plans"].push_back(plan.to_json());
  energy::write_file_atomic(file, doc.dump(2) + "\n");
}

void record_outcome(const std::string& dir, double joules, double pue) {
  const auto file = (std::filesystem::path(dir) / "carbon.json").string();
  auto doc = read_carbon_json(file);
  if (doc["plans"].empty()) return;
  auto& last = doc["plans"].back();
  const double kwh = joules / 3.6e6 * pue;
  const double with = kwh * last.value("mean_g_per_kwh", 0.0);
  const double now = kwh * last.value("now_g_per_kwh", 0.0);
  last["outcome"] = {{"joules", joules},
                     {"pue", pue},
                     {"g_co2e", with},
                     {"g_co2e_if_started_now", now},
                     {"saved_g", now - with}};
  energy::write_file_atomic(file, doc.dump(2) + "\n");
}

DeferPlan defer_study(const std::vector<IntensityPoint>& series, const std::string& path,
                      const std::string& deadline, const bench::Study& study, std::size_t runs,
                      const std::string& dir, energy::Clock& clock, bench::Progress& progress) {
  const auto plan =
      plan_study_deferral(series, path, deadline, study, runs, dir, clock.wall_ns() / 1000000000LL);
  progress.note("carbon: " + plan.text());
  write_plan(dir, plan);
  if (!plan.deferred()) return plan;
  // On a terminal the countdown is rewritten every minute; in a log, a line every 30 minutes.
  int64_t ticks = 0;
  const bool live = progress.live();
  wait_until_wall(clock, plan.start.start_s, [&](int64_t remaining_s) {
    if (live || ticks % 30 == 0) {
      progress.status(fmt::format("carbon: waiting for cleaner power, starting at {} (in {})",
                                  format_utc_minutes(plan.start.start_s),
                                  bench::format_duration(static_cast<double>(remaining_s))));
    }
    ++ticks;
  });
  progress.note(fmt::format("carbon: starting the runs at {}",
                            format_utc_minutes(clock.wall_ns() / 1000000000LL)));
  return plan;
}

}  // namespace wattserve::adapt
