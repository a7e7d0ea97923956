// `wattserve measure [options] -- CMD ARGS...`: runs a command under the meter and reports its
// energy (per domain, with sources), power, the command tree's share, and emissions; writes
// the run record (JSON, docs/record.md), CodeCarbon CSV, timeline CSV and Prometheus text on
// request. Exits with the command's exit code; 125 when wattserve itself fails, 126/127 when the
// command cannot be executed / found (as env(1) and timeout(1) do). Every output is checked before
// the command starts (125 without running it); an output that still fails after the run keeps the
// figures on stderr and the command's own non-zero exit code.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "cli/carbon_options.h"
#include "cli/child_process.h"
#include "cli/commands.h"
#include "cli/sensor_options.h"
#include "cli/text_output.h"
#include "energy/core/atomic_file.h"
#include "energy/core/carbon.h"
#include "energy/core/meter.h"
#include "energy/core/process_attribution.h"
#include "energy/exporters/codecarbon_csv.h"
#include "energy/exporters/prometheus_text.h"
#include "energy/exporters/run_summary.h"
#include "energy/exporters/timeline_csv.h"
#include "energy/sensors/estimate_sensor.h"
#include "record/machine_info.h"
#include "record/measure_record.h"

namespace wattserve::cli {

namespace {

struct MeasureFlags {
  SensorFlags sensors;
  double interval_ms = energy::kDefaultMeterIntervalMs;  // docs/measurement.md
  double idle_s = 0;
  CarbonFlags carbon;
  std::string project = "wattserve", experiment_id;
  std::string tracking_mode = "machine";
  std::string json_path, csv_path, timeline_path, prom_path;
  bool no_process = false, quiet = false;
  std::vector<std::string> command;
};

void print_summary(const energy::RunSummary& s) {
  const auto& w = s.window;
  auto cmd = fmt::format("{}", fmt::join(s.command, " "));
  eprint("\nwattserve measure: `{}` exited {} after {:.3f} s\n", cmd, s.exit_code, w.duration_s);
  eprint("  energy      {}  (average {:.2f} W)  source: {}\n", format_joules(w.joules), w.avg_watts,
         energy::to_string(w.source));
  if (w.has_baseline) {
    double idle_w = 0;
    for (const auto& d : w.domains) idle_w += d.counted ? d.idle_watts : 0;
    eprint("  above idle  {}  (idle baseline {:.2f} W over {:.1f} s)\n",
           format_joules(w.dynamic_joules), idle_w, s.idle.duration_s);
  }
  eprint("  {:<30} {:<9} {:>12} {:>10}\n", "domain", "source", "energy", "avg W");
  for (const auto& d : w.domains) {
    eprint("  {:<30} {:<9} {:>12} {:>10.2f}{}\n", d.id, energy::to_string(d.source),
           format_joules(d.joules), d.avg_watts, d.counted ? "" : "  (inside another)");
  }
  if (s.process) {
    eprint("  command tree {} by CPU-time share (mean {:.1f}%, {:.2f} CPU s)\n",
           format_joules(s.process->joules), s.process->mean_share * 100,
           s.process->tree_cpu_seconds);
  }
  eprint("  emissions   {} CO2e  at {:.0f} gCO2e/kWh x PUE {:.2f}  [{}]\n",
         format_mass(s.emissions_kg), s.carbon.g_per_kwh, s.carbon.pue, s.carbon.source);
  if (w.source == energy::Source::kEstimate) {
    // With a GPU counter beside estimated CPU and RAM, only those domains are estimates.
    const bool some_measured = std::any_of(w.domains.begin(), w.domains.end(), [](const auto& d) {
      return d.counted && d.source != energy::Source::kEstimate;
    });
    eprint("  {}:\n", some_measured
                          ? "the estimate domains stand in for these sensors, not readable here"
                          : "estimate because no energy counter is readable here");
    for (const auto& n : s.sensor_notes) {
      eprint("    {}: {}\n", n.sensor, n.reason);
    }
  }
  if (w.read_errors > 0) {
    eprint("  warning: {} sensor reads failed; their intervals are missing\n", w.read_errors);
  }
}

// The output flags with their paths, in the order they are written.
std::vector<std::pair<const char*, const std::string*>> outputs(const MeasureFlags& f) {
  return {{"--json", &f.json_path},
          {"--csv", &f.csv_path},
          {"--prometheus", &f.prom_path},
          {"--timeline", &f.timeline_path}};
}

// Checks every destination before the command runs (as `perf stat -o` does), so that a run is
// not wasted on results that cannot be kept: the directory exists and is writable, the path is
// not a directory, an existing --csv has a header it can append to. Returns false after
// reporting the first failure.
bool check_outputs(const MeasureFlags& f) {
  for (const auto& [flag, path] : outputs(f)) {
    if (path->empty()) continue;
    try {
      if (path == &f.csv_path) {
        energy::check_codecarbon_csv(*path);
      } else {
        energy::check_output_path(*path);
      }
    } catch (const std::exception& e) {
      eprint("wattserve measure: {}: {}; the command was not run\n", flag, e.what());
      return false;
    }
  }
  return true;
}

// Writes every requested output, each on its own: one that fails (a full disk) does not keep
// the others from being written. Returns how many failed, each reported on stderr.
int write_outputs(const MeasureFlags& f, const energy::RunSummary& s, const energy::Meter& m,
                  energy::TimelineCsvStream* timeline) {
  int failed = 0;
  for (const auto& [flag, path] : outputs(f)) {
    if (path->empty()) continue;
    try {
      if (path == &f.json_path) {
        const nlohmann::json config = {{"interval_ms", f.interval_ms},
                                       {"idle_s", f.idle_s},
                                       {"process_attribution", !f.no_process}};
        energy::write_file_atomic(*path, record::measure_record(s, config).dump(2) + "\n");
      } else if (path == &f.csv_path) {
        energy::append_codecarbon_csv(*path, s);
      } else if (path == &f.prom_path) {
        energy::EnergyMetrics metrics;
        std::vector<double> cumulative, power;
        for (const auto& d : s.window.domains) {
          cumulative.push_back(d.joules);
          power.push_back(d.avg_watts);
        }
        metrics.update(m.domains(), cumulative, power);
        metrics.set_idle_baseline(m.domains(), s.idle);
        energy::write_file_atomic(*path, metrics.serialize());
      } else if (timeline != nullptr) {
        timeline->commit();
      }
    } catch (const std::exception& e) {
      eprint("wattserve measure: {}: {} (the command exited {})\n", flag, e.what(), s.exit_code);
      ++failed;
    }
  }
  return failed;
}

// Everything a run needs besides the command: sensors, meter, listeners, carbon.
struct Session {
  energy::SensorSelection sel;
  energy::CarbonIntensity carbon;
  std::unique_ptr<energy::Meter> meter;
  std::shared_ptr<energy::TimelineCsvStream> timeline;
  energy::RunSummary summary;
};

void set_up(const MeasureFlags& f, Session& ss) {
  if (f.tracking_mode == "process" && f.no_process) {
    throw std::invalid_argument(
        "--tracking-mode process needs the process attribution "
        "(drop --no-process)");
  }
  ss.carbon = energy::resolve_carbon(f.carbon.settings());
  ss.sel = f.sensors.selection();
  auto found = energy::discover_sensors(ss.sel);
  auto& s = ss.summary;
  s.sensor_notes = std::move(found.notes);
  for (const auto& sensor : found.sensors) {
    s.sensors_used.emplace_back(sensor->name());
    if (auto info = energy::estimate_info(*sensor)) {
      s.estimator_info = {{"cpu_model", info->cpu_model},
                          {"matched_model", info->matched_model},
                          {"tdp_w", fmt::format("{}", info->tdp_w)},
                          {"tdp_reason", info->tdp_reason},
                          {"cpu_class", info->cpu_class},
                          {"sockets", std::to_string(info->sockets)},
                          {"ram_gib", fmt::format("{:.2f}", info->ram_gib)},
                          {"ram_w", fmt::format("{:.3f}", info->ram_w)},
                          {"ram_reason", info->ram_reason}};
    }
  }
  energy::MeterOptions mo;
  mo.interval_ns = static_cast<int64_t>(f.interval_ms * 1e6);
  ss.meter = std::make_unique<energy::Meter>(std::move(found.sensors), mo);
  if (!f.timeline_path.empty()) {
    // Streamed from the first interval on, so long runs keep their whole timeline.
    ss.timeline = std::make_shared<energy::TimelineCsvStream>(f.timeline_path, ss.meter->domains());
    auto clock = ss.meter->options().clock;
    const int64_t wall_offset = clock->wall_ns() - clock->now_ns();
    ss.meter->add_listener(
        [tl = ss.timeline, wall_offset](int64_t t0, int64_t t1, std::span<const double> d) {
          tl->add(t0, t1, t1 + wall_offset, d);
        });
  }
}

// Attribution of the command tree's share by CPU time, fed from the sampling thread until the
// run's window closes.
struct TreeAttribution {
  std::mutex mu;
  std::optional<energy::ProcessAttribution> pa;
  bool done = false;
};

void fill_summary(const MeasureFlags& f, Session& ss, const ChildExit& exit) {
  auto& s = ss.summary;
  s.tool_version = std::string(kVersion);
  s.project_name = f.project;
  s.run_id = energy::make_uuid_v4();
  s.experiment_id = f.experiment_id;
  s.command = f.command;
  s.exit_code = exit.exit_code;
  s.start_wall_ns = s.window.begin_wall_ns;
  s.end_wall_ns = s.window.end_wall_ns;
  s.domains = ss.meter->domains();
  const auto& c = ss.carbon;
  s.carbon = {c, f.carbon.pue};
  s.emissions_kg = energy::emissions_kg(s.window.joules, c, f.carbon.pue);
  s.machine = record::machine_info({ss.sel.procfs_root, ss.sel.sysfs_root}, s.domains);
  s.tracking_mode = f.tracking_mode;
}

int run_measure(const MeasureFlags& f) {
  // Before any thread starts: termination signals are then taken synchronously and passed on
  // to the command (see child_process.h).
  block_forwarded_signals();
  if (!check_outputs(f)) return kOwnFailure;
  Session ss;
  try {
    set_up(f, ss);
    ss.meter->start();
    if (f.idle_s > 0) {
      if (!f.quiet) eprint("wattserve measure: measuring idle power for {} s\n", f.idle_s);
      const auto idle = ss.meter->begin("idle-baseline");
      if (const int sig = wait_for_termination_signal(f.idle_s); sig != 0) {
        eprint("wattserve measure: interrupted by signal {} before the command started\n", sig);
        return 128 + sig;
      }
      ss.summary.idle = energy::Meter::baseline_from(ss.meter->end(idle));
      ss.meter->set_idle_baseline(ss.summary.idle);
    }
  } catch (const std::exception& e) {
    eprint("wattserve measure: {}\n", e.what());
    return kOwnFailure;
  }
  const auto window = ss.meter->begin("command");
  std::unique_ptr<ChildProcess> child;
  try {
    child = std::make_unique<ChildProcess>(f.command);
  } catch (const std::system_error& e) {
    eprint("wattserve measure: {}\n", e.what());
    return e.code().value() == ENOENT ? 127 : 126;
  }
  auto tree = std::make_shared<TreeAttribution>();
  if (!f.no_process) {
    tree->pa.emplace(ss.sel.procfs_root, child->pid(), ss.meter->domains());
    ss.meter->add_listener([tree](int64_t t0, int64_t t1, std::span<const double> d) {
      std::lock_guard lk(tree->mu);
      if (!tree->done) tree->pa->on_interval(t0, t1, d);
    });
  }
  ChildExit exit;
  try {
    exit = child->wait();
  } catch (const std::exception& e) {
    eprint("wattserve measure: {}\n", e.what());
    return kOwnFailure;
  }
  // From here on the command has run: a failure of ours must not hide its exit code.
  const int failure_code = exit.exit_code != 0 ? exit.exit_code : kOwnFailure;
  auto& s = ss.summary;
  try {
    if (tree->pa) {
      std::lock_guard lk(tree->mu);
      tree->pa->set_final_tree_cpu_seconds(exit.cpu_seconds);
    }
    s.window = ss.meter->end(window);  // its last interval still reaches the attribution
    if (tree->pa) {
      std::lock_guard lk(tree->mu);
      tree->done = true;
      s.process = tree->pa->report();
    }
    ss.meter->stop();
    fill_summary(f, ss, exit);
  } catch (const std::exception& e) {
    eprint("wattserve measure: {} (the command exited {})\n", e.what(), exit.exit_code);
    return failure_code;
  }
  if (!f.quiet) print_summary(s);
  if (write_outputs(f, s, *ss.meter, ss.timeline.get()) > 0) {
    // The figures are not lost with the file: they go to stderr even with -q.
    if (f.quiet) print_summary(s);
    return failure_code;
  }
  if (exit.term_signal != 0 && !f.quiet) {
    eprint("wattserve measure: the command was killed by signal {}\n", exit.term_signal);
  }
  return exit.exit_code;
}

}  // namespace

Command add_measure(CLI::App& app) {
  auto f = std::make_shared<MeasureFlags>();
  auto* sub = app.add_subcommand(
      "measure",
      "Run a command and measure its energy, power and emissions.\n"
      "  wattserve measure [options] -- CMD ARGS...\n"
      "Exits with the command's exit code (125: wattserve failed, e.g. an output that cannot be "
      "written, checked before the command runs; 126/127: the command cannot be run / was not "
      "found). The summary goes to stderr.");
  sub->add_option("--interval", f->interval_ms, "Sampling interval in ms (1 ms and up)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 60'000.0));
  sub->add_option("--idle", f->idle_s,
                  "Measure idle power for this many seconds first and report energy above it")
      ->check(CLI::Range(0.0, 3600.0))
      ->check([](const std::string& v) -> std::string {
        const double x = std::stod(v);
        return x == 0 || x >= 0.001 ? "" : "an idle baseline needs at least 0.001 s";
      });
  sub->add_option("--json", f->json_path, "Write the run record (JSON, docs/record.md) here");
  sub->add_option("--csv", f->csv_path, "Append a CodeCarbon-compatible row to this emissions.csv");
  sub->add_option("--timeline", f->timeline_path,
                  "Write the power timeline CSV (time, domain, W, J) here");
  sub->add_option("--prometheus", f->prom_path, "Write Prometheus text-format metrics here");
  add_carbon_flags(sub, f->carbon);
  sub->add_option("--project", f->project, "Project name for the CSV")->capture_default_str();
  sub->add_option("--experiment-id", f->experiment_id, "Experiment id for the CSV");
  sub->add_flag("--no-process", f->no_process,
                "Do not attribute energy to the command's process tree by CPU time");
  sub->add_option("--tracking-mode", f->tracking_mode,
                  "CodeCarbon tracking_mode of the CSV row: machine (all energy) or process "
                  "(CPU and RAM columns hold the command tree's share)")
      ->capture_default_str()
      ->check(CLI::IsMember({"machine", "process"}));
  sub->add_flag("-q,--quiet", f->quiet, "Print no summary");
  add_sensor_flags(sub, f->sensors);
  sub->add_option("command", f->command, "The command to run, after --")->required();
  // Everything from the command on belongs to it: `measure grep -q x f` keeps grep's -q.
  sub->positionals_at_end();
  return {sub, [f] { return run_measure(*f); }};
}

}  // namespace wattserve::cli
