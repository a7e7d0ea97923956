#include "record/run_record.h"

#include <gtest/gtest.h>

#include <regex>

#include "record/build_info.h"
#include "record/measure_record.h"

namespace wattserve::record {
namespace {

using energy::DomainKind;
using energy::Source;
using nlohmann::json;

energy::DomainEnergy domain(std::string id, DomainKind kind, double joules, double idle_w) {
  energy::DomainEnergy d;
  d.id = std::move(id);
  d.kind = kind;
  d.source = Source::kEstimate;
  d.joules = joules;
  d.avg_watts = joules / 2.5;
  d.idle_watts = idle_w;
  d.dynamic_joules = std::max(0.0, joules - idle_w * 2.5);
  d.attributed_joules = joules / 2;
  d.attributed_dynamic_joules = d.dynamic_joules / 2;
  return d;
}

energy::WindowReport window(bool baseline) {
  energy::WindowReport w;
  w.duration_s = 2.5;
  w.intervals = 25;
  w.read_errors = 1;
  w.source = Source::kEstimate;
  w.has_baseline = baseline;
  w.domains = {domain("estimate:cpu", DomainKind::kCpuPackage, 100, baseline ? 10 : 0),
               domain("estimate:ram", DomainKind::kDram, 8, baseline ? 3.2 : 0)};
  w.joules = 108;
  w.dynamic_joules = baseline ? 75 : 108;
  w.attributed_joules = 54;
  w.attributed_dynamic_joules = 37.5;
  w.avg_watts = 43.2;
  w.begin_wall_ns = 1'700'000'000'000'000'000;
  w.end_wall_ns = 1'700'000'002'500'000'000;
  return w;
}

const std::vector<energy::Domain> kDomains = {
    {"estimate:cpu", DomainKind::kCpuPackage, Source::kEstimate, "CPU (TDP model)", true},
    {"estimate:ram", DomainKind::kDram, Source::kEstimate, "RAM", true}};

TEST(RunRecord, StartHasEveryTopLevelKey) {
  const json r = start_record("bench", "abc123");
  EXPECT_EQ(r["schema"], "wattserve.run-record");
  EXPECT_EQ(r["schema_version"], 1);
  EXPECT_EQ(r["kind"], "bench");
  EXPECT_EQ(r["run_id"], "abc123");
  EXPECT_EQ(r["status"], "ok");
  for (const char* k : {"error", "started_at", "ended_at", "duration_s", "energy", "carbon",
                        "machine", "software"}) {
    ASSERT_TRUE(r.contains(k)) << k;
    EXPECT_TRUE(r[k].is_null()) << k;
  }
  for (const char* k : {"config", "timings", "metrics"}) {
    EXPECT_EQ(r[k], json::object()) << k;
  }
}

TEST(RunRecord, TimesAreRfc3339Utc) {
  json r = start_record("run", "x");
  set_times(r, 1'700'000'000'000'000'000, 1'700'000'002'500'000'000);
  EXPECT_EQ(r["started_at"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(r["ended_at"], "2023-11-14T22:13:22.500Z");
  EXPECT_DOUBLE_EQ(r["duration_s"].get<double>(), 2.5);
  EXPECT_EQ(rfc3339_utc(-1), "1969-12-31T23:59:59.999Z");
  auto w = window(false);
  w.duration_s = 2.4999;  // monotonic, not the wall clock's 2.5
  set_times(r, w);
  EXPECT_EQ(r["ended_at"], "2023-11-14T22:13:22.500Z");
  EXPECT_EQ(r["duration_s"], 2.4999);
}

TEST(RunRecord, Failed) {
  json r = start_record("bench", "x");
  set_failed(r, "engine: out of memory");
  EXPECT_EQ(r["status"], "failed");
  EXPECT_EQ(r["error"], "engine: out of memory");
}

TEST(EnergyJson, WithBaseline) {
  const auto w = window(true);
  const energy::IdleBaseline idle{{10, 3.2}, 5};
  EnergyJsonOptions o;
  o.domains = &kDomains;
  o.idle = &idle;
  const json e = energy_json(w, o);
  EXPECT_EQ(e["joules"], 108);
  EXPECT_DOUBLE_EQ(e["kwh"].get<double>(), 108 / 3.6e6);
  EXPECT_EQ(e["dynamic_joules"], 75);
  EXPECT_EQ(e["avg_watts"], 43.2);
  EXPECT_EQ(e["duration_s"], 2.5);
  EXPECT_EQ(e["source"], "estimate");
  EXPECT_EQ(e["intervals"], 25);
  EXPECT_EQ(e["read_errors"], 1);
  EXPECT_FALSE(e.contains("attributed_joules"));
  EXPECT_FALSE(e.contains("estimate_reason"));
  ASSERT_EQ(e["domains"].size(), 2u);
  EXPECT_EQ(e["domains"][1], json({{"id", "estimate:ram"},
                                   {"kind", "dram"},
                                   {"source", "estimate"},
                                   {"label", "RAM"},
                                   {"counted", true},
                                   {"joules", 8},
                                   {"dynamic_joules", 0},
                                   {"avg_watts", 3.2},
                                   {"idle_watts", 3.2}}));
  EXPECT_EQ(e["idle_baseline"],
            json({{"watts_by_domain", {{"estimate:cpu", 10}, {"estimate:ram", 3.2}}},
                  {"duration_s", 5}}));
}

TEST(EnergyJson, WithoutBaselineDynamicIsNull) {
  const json e = energy_json(window(false));
  EXPECT_TRUE(e["dynamic_joules"].is_null());
  EXPECT_TRUE(e["idle_baseline"].is_null());
  EXPECT_TRUE(e["domains"][0]["dynamic_joules"].is_null());
  EXPECT_TRUE(e["domains"][0]["idle_watts"].is_null());
  EXPECT_EQ(e["domains"][0]["label"], "");
}

TEST(EnergyJson, AttributedAndEstimateReason) {
  const std::vector<energy::SensorNote> notes = {
      {"rapl-powercap", "/sys/class/powercap does not exist", "run on bare metal"}};
  EnergyJsonOptions o;
  o.attributed = true;
  o.estimate_reason = &notes;
  auto w = window(true);
  json e = energy_json(w, o);
  EXPECT_EQ(e["attributed_joules"], 54);
  EXPECT_EQ(e["attributed_dynamic_joules"], 37.5);
  EXPECT_EQ(e["domains"][0]["attributed_joules"], 50);
  EXPECT_TRUE(e["idle_baseline"]["duration_s"].is_null());  // no IdleBaseline given
  ASSERT_EQ(e["estimate_reason"].size(), 1u);
  EXPECT_EQ(e["estimate_reason"][0]["hint"], "run on bare metal");
  w.source = Source::kCounter;
  e = energy_json(w, o);
  EXPECT_FALSE(e.contains("estimate_reason"));  // only when the estimate stands in
}

TEST(CarbonJson, EmissionsFormula) {
  energy::CarbonIntensity c;
  c.g_per_kwh = 56;
  c.source = "country:FRA";
  c.country_name = "France";
  c.country_iso_code = "FRA";
  const json j = carbon_json(3.6e6, c, 1.5);
  EXPECT_EQ(j["g_per_kwh"], 56);
  EXPECT_EQ(j["pue"], 1.5);
  EXPECT_DOUBLE_EQ(j["emissions_kg"].get<double>(), 1 * 1.5 * 56 / 1000);
  EXPECT_EQ(j["country_iso_code"], "FRA");
  EXPECT_EQ(j["cloud_region"], "");
  EXPECT_THROW(carbon_json(1, c, 0.5), std::invalid_argument);
}

TEST(SoftwareJson, BuildAndEngines) {
  const json j = software_json({{"llama", "b1234"}});
  const BuildInfo& b = build_info();
  EXPECT_EQ(j["wattserve_version"], b.version);
  EXPECT_FALSE(b.version.empty());
  EXPECT_TRUE(std::regex_match(b.git_commit, std::regex("unknown|[0-9a-f]{12}"))) << b.git_commit;
  EXPECT_EQ(j["git_dirty"], b.git_dirty);
  EXPECT_TRUE(b.compiler.rfind("gcc ", 0) == 0 || b.compiler.rfind("clang ", 0) == 0) << b.compiler;
  EXPECT_EQ(j["engines"], json({{"llama", "b1234"}}));
  EXPECT_EQ(software_json()["engines"], json::object());
}

TEST(MachineJson, EveryField) {
  MachineInfo m;
  m.os = "Linux-6.1.0-x86_64";
  m.kernel = "6.1.0";
  m.cpu_model = "AMD EPYC 9654";
  m.cpu_count = 16;
  m.cpu_cores = 8;
  m.ram_total_gib = 62.5;
  m.gpu_count = 1;
  m.gpu_model = "1 x NVIDIA H100";
  m.gpu_driver = "nvidia 550.54.15";
  m.frequency_governor = "performance";
  EXPECT_EQ(machine_json(m), json({{"os", "Linux-6.1.0-x86_64"},
                                   {"kernel", "6.1.0"},
                                   {"cpu_model", "AMD EPYC 9654"},
                                   {"cpu_count", 16},
                                   {"cpu_cores", 8},
                                   {"ram_total_gib", 62.5},
                                   {"gpu_count", 1},
                                   {"gpu_model", "1 x NVIDIA H100"},
                                   {"gpu_driver", "nvidia 550.54.15"},
                                   {"frequency_governor", "performance"}}));
}

energy::RunSummary summary() {
  energy::RunSummary s;
  s.tool_version = "0.1.0";
  s.project_name = "demo";
  s.run_id = "0b1c2d3e-4f50-4617-8899-aabbccddeeff";
  s.command = {"python", "train.py", "--epochs", "1"};
  s.exit_code = 0;
  s.window = window(true);
  s.start_wall_ns = s.window.begin_wall_ns;
  s.end_wall_ns = s.window.end_wall_ns;
  s.domains = kDomains;
  s.sensor_notes = {{"rapl-powercap", "/sys/class/powercap does not exist", "run on bare metal"},
                    {"nvml", "libnvidia-ml.so.1 not found", ""}};
  s.sensors_used = {"estimate"};
  s.estimator_info = {{"cpu_model", "AMD EPYC 9654"}, {"tdp_w", "360"}};
  s.carbon = {{56, "codecarbon global_energy_mix", "France", "FRA", "", "", ""}, 1.2};
  s.emissions_kg = 108 / 3.6e6 * 1.2 * 56 / 1000;
  s.idle = {{10, 3.2}, 5};
  s.machine.os = "Linux";
  s.machine.cpu_count = 8;
  return s;
}

TEST(MeasureRecord, Shape) {
  const json r = measure_record(summary(), {{"interval_ms", 100}});
  EXPECT_EQ(r["schema"], "wattserve.run-record");
  EXPECT_EQ(r["kind"], "measure");
  EXPECT_EQ(r["run_id"], "0b1c2d3e-4f50-4617-8899-aabbccddeeff");
  EXPECT_EQ(r["status"], "ok");
  EXPECT_TRUE(r["error"].is_null());
  EXPECT_EQ(r["started_at"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(r["ended_at"], "2023-11-14T22:13:22.500Z");
  EXPECT_EQ(r["duration_s"], 2.5);
  EXPECT_EQ(r["energy"]["joules"], 108);
  EXPECT_EQ(r["energy"]["domains"][0]["label"], "CPU (TDP model)");
  EXPECT_EQ(r["energy"]["idle_baseline"]["duration_s"], 5);
  EXPECT_EQ(r["energy"]["estimate_reason"].size(), 2u);
  EXPECT_DOUBLE_EQ(r["carbon"]["emissions_kg"].get<double>(), summary().emissions_kg);
  EXPECT_EQ(r["carbon"]["pue"], 1.2);
  EXPECT_EQ(r["carbon"]["country_iso_code"], "FRA");
  EXPECT_EQ(r["machine"]["cpu_count"], 8);
  EXPECT_EQ(r["software"]["engines"], json::object());
  EXPECT_EQ(r["config"], json({{"project_name", "demo"},
                               {"experiment_id", ""},
                               {"tracking_mode", "machine"},
                               {"interval_ms", 100}}));
  EXPECT_EQ(r["timings"], json::object());
  EXPECT_EQ(r["metrics"], json::object());
  EXPECT_EQ(r["command"], json({"python", "train.py", "--epochs", "1"}));
  EXPECT_EQ(r["exit_code"], 0);
  EXPECT_TRUE(r["process"].is_null());
  EXPECT_EQ(r["sensors"]["used"], json({"estimate"}));
  EXPECT_EQ(r["sensors"]["unavailable"][1]["reason"], "libnvidia-ml.so.1 not found");
  EXPECT_EQ(r["estimator"]["tdp_w"], "360");
}

TEST(MeasureRecord, FailedCommandAndProcess) {
  auto s = summary();
  s.exit_code = 3;
  energy::ProcessReport p;
  p.root_pid = 4242;
  p.joules = 25;
  s.process = p;
  const json r = measure_record(s);
  EXPECT_EQ(r["status"], "failed");
  EXPECT_EQ(r["error"], "the command exited with status 3");
  EXPECT_EQ(r["exit_code"], 3);
  EXPECT_EQ(r["process"]["root_pid"], 4242);
  EXPECT_EQ(r["process"]["joules"], 25);
}

}  // namespace
}  // namespace wattserve::record
