#include "energy/exporters/run_summary.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "test_tmpdir.h"

namespace wattserve::energy {
namespace {

RunSummary estimated_run() {
  RunSummary s;
  s.tool_version = "0.1.0";
  s.project_name = "demo";
  s.run_id = "0b1c2d3e-4f50-4617-8899-aabbccddeeff";
  s.command = {"python", "train.py", "--epochs", "1"};
  s.exit_code = 3;
  s.start_wall_ns = 1'700'000'000'000'000'000;
  s.end_wall_ns = 1'700'000'002'500'000'000;
  s.domains = {
      {"estimate:cpu", DomainKind::kCpuPackage, Source::kEstimate, "CPU (TDP model)", true},
      {"estimate:ram", DomainKind::kDram, Source::kEstimate, "RAM", true}};
  WindowReport& w = s.window;
  w.duration_s = 2.5;
  w.intervals = 25;
  w.source = Source::kEstimate;
  w.has_baseline = true;
  DomainEnergy cpu;
  cpu.id = "estimate:cpu";
  cpu.joules = 100;
  cpu.dynamic_joules = 75;
  cpu.avg_watts = 40;
  cpu.idle_watts = 10;
  cpu.source = Source::kEstimate;
  DomainEnergy ram = cpu;
  ram.id = "estimate:ram";
  ram.kind = DomainKind::kDram;
  ram.joules = 8;
  ram.dynamic_joules = 0;
  ram.avg_watts = 3.2;
  ram.idle_watts = 3.2;
  w.domains = {cpu, ram};
  w.joules = 108;
  w.dynamic_joules = 75;
  w.avg_watts = 43.2;
  s.sensor_notes = {{"rapl-powercap", "/sys/class/powercap does not exist", "run on bare metal"},
                    {"nvml", "libnvidia-ml.so.1 not found", ""}};
  s.sensors_used = {"estimate"};
  s.estimator_info = {{"cpu_model", "AMD EPYC 9654"}, {"tdp_w", "360"}, {"cpu_class", "server"}};
  s.carbon = {56, "codecarbon global_energy_mix", "France", "FRA", "", "", "", 1.2};
  s.emissions_kg = 2.016e-06;
  s.idle = {{10, 3.2}, 5};
  s.machine = {"Linux", 8, "AMD EPYC 9654", 31.25, 0, ""};
  return s;
}

TEST(SummaryJson, StableSchema) {
  const nlohmann::json j = to_json(estimated_run());
  EXPECT_EQ(j["schema"], "wattserve.run/1");
  EXPECT_EQ(j["tool"]["version"], "0.1.0");
  EXPECT_EQ(j["project_name"], "demo");
  EXPECT_EQ(j["command"], nlohmann::json({"python", "train.py", "--epochs", "1"}));
  EXPECT_EQ(j["exit_code"], 3);
  EXPECT_EQ(j["start_time"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(j["end_time"], "2023-11-14T22:13:22.500Z");
  EXPECT_EQ(j["duration_s"], 2.5);
  EXPECT_EQ(j["tracking_mode"], "machine");

  const auto& e = j["energy"];
  EXPECT_EQ(e["joules"], 108);
  EXPECT_EQ(e["dynamic_joules"], 75);
  EXPECT_DOUBLE_EQ(e["kwh"].get<double>(), 108 / 3.6e6);
  EXPECT_EQ(e["avg_watts"], 43.2);
  EXPECT_EQ(e["source"], "estimate");
  ASSERT_EQ(e["estimate_reason"].size(), 2u);
  EXPECT_EQ(e["estimate_reason"][0]["sensor"], "rapl-powercap");
  EXPECT_EQ(e["estimate_reason"][0]["hint"], "run on bare metal");

  ASSERT_EQ(j["domains"].size(), 2u);
  EXPECT_EQ(j["domains"][1], nlohmann::json({{"id", "estimate:ram"},
                                             {"kind", "dram"},
                                             {"source", "estimate"},
                                             {"label", "RAM"},
                                             {"counted", true},
                                             {"joules", 8},
                                             {"dynamic_joules", 0},
                                             {"avg_watts", 3.2},
                                             {"idle_watts", 3.2}}));
  EXPECT_EQ(j["emissions"]["kg"], 2.016e-06);
  EXPECT_EQ(j["emissions"]["g_per_kwh"], 56);
  EXPECT_EQ(j["emissions"]["pue"], 1.2);
  EXPECT_EQ(j["emissions"]["country_iso_code"], "FRA");
  EXPECT_EQ(j["idle_baseline"]["watts"]["estimate:cpu"], 10);
  EXPECT_EQ(j["idle_baseline"]["duration_s"], 5);
  EXPECT_EQ(j["sensors"]["used"], nlohmann::json({"estimate"}));
  EXPECT_EQ(j["sensors"]["unavailable"][1]["reason"], "libnvidia-ml.so.1 not found");
  EXPECT_EQ(j["estimator"]["tdp_w"], "360");
  EXPECT_EQ(j["machine"]["ram_total_gib"], 31.25);
  EXPECT_FALSE(j.contains("process"));
}

TEST(SummaryJson, CounterRunHasNoEstimateReasonAndNullBaseline) {
  RunSummary s = estimated_run();
  s.window.source = Source::kCounter;
  s.idle = {};
  const nlohmann::json j = to_json(s);
  EXPECT_EQ(j["energy"]["source"], "counter");
  EXPECT_FALSE(j["energy"].contains("estimate_reason"));
  EXPECT_TRUE(j["idle_baseline"].is_null());
}

TEST(SummaryJson, ProcessSection) {
  RunSummary s = estimated_run();
  s.tracking_mode = "process";
  ProcessReport p;
  p.root_pid = 4242;
  p.domains = {{"estimate:cpu", DomainKind::kCpuPackage, Source::kEstimate, true, true, 25, 100},
               {"nvml:gpu-0", DomainKind::kGpu, Source::kCounter, true, false, 0, 50}};
  p.joules = 25;
  p.domain_joules = 100;
  p.mean_share = 0.25;
  p.tree_cpu_seconds = 1.5;
  p.intervals = 25;
  s.process = p;
  const nlohmann::json j = to_json(s)["process"];
  EXPECT_EQ(j["root_pid"], 4242);
  EXPECT_EQ(j["joules"], 25);
  EXPECT_EQ(j["mean_share"], 0.25);
  EXPECT_EQ(j["tree_cpu_seconds"], 1.5);
  EXPECT_EQ(j["domains"][0]["joules"], 25);
  EXPECT_TRUE(j["domains"][1]["joules"].is_null());
  EXPECT_EQ(j["domains"][1]["attributed"], false);
}

TEST(SummaryJson, WritesTheFile) {
  testing::TempDir dir;
  write_summary_json(dir.file("run.json"), estimated_run());
  EXPECT_EQ(nlohmann::json::parse(testing::slurp(dir.file("run.json"))), to_json(estimated_run()));
}

TEST(SummaryUuid, Version4Format) {
  const std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = make_uuid_v4();
    EXPECT_TRUE(std::regex_match(id, re)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace wattserve::energy
