#include "energy/exporters/codecarbon_csv.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <latch>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "energy/exporters/output_format.h"
#include "test_tmpdir.h"

namespace wattserve::energy {
namespace {

using testing::slurp;
using testing::spit;
using testing::TempDir;

DomainEnergy de(std::string id, DomainKind kind, bool counted, double joules) {
  DomainEnergy d;
  d.id = std::move(id);
  d.kind = kind;
  d.source = Source::kCounter;
  d.counted = counted;
  d.joules = joules;
  return d;
}

// 10 s run: package 36 kJ (0.01 kWh), core 10 kJ (inside the package), DRAM 3.6 kJ, GPU 72 kJ.
RunSummary summary() {
  RunSummary s;
  s.tool_version = "0.1.0";
  s.project_name = "bench, \"quoted\"";
  s.run_id = "0b1c2d3e-4f50-4617-8899-aabbccddeeff";
  s.experiment_id = "exp-1";
  s.end_wall_ns = 1'700'000'000'123'000'000;  // 2023-11-14T22:13:20.123Z
  s.window.duration_s = 10;
  s.window.domains = {de("rapl:package-0", DomainKind::kCpuPackage, true, 36000),
                      de("rapl:core-0", DomainKind::kCpuCore, false, 10000),
                      de("rapl:dram-0", DomainKind::kDram, true, 3600),
                      de("nvml:gpu-0", DomainKind::kGpu, true, 72000)};
  s.window.joules = 111600;
  s.carbon = {{500, "test", "France", "FRA", "ile-de-france", "", ""}, 1};
  s.emissions_kg = 0.0155;
  s.machine.os = "Linux-6.1.0-x86_64";
  s.machine.cpu_count = 16;
  s.machine.cpu_model = "AMD EPYC 9654";
  s.machine.ram_total_gib = 62.5;
  s.machine.gpu_count = 1;
  s.machine.gpu_model = "1 x NVIDIA H100";
  return s;
}

const char* kHeader3 =
    "timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,cpu_power,"
    "gpu_power,ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,water_consumed,"
    "country_name,country_iso_code,region,cloud_provider,cloud_region,os,python_version,"
    "codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,longitude,latitude,"
    "ram_total_size,tracking_mode,cpu_utilization_percent,gpu_utilization_percent,"
    "ram_utilization_percent,ram_used_gb,on_cloud,pue,wue";
const char* kHeader2 =
    "timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,cpu_power,"
    "gpu_power,ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,country_name,"
    "country_iso_code,region,cloud_provider,cloud_region,os,python_version,codecarbon_version,"
    "cpu_count,cpu_model,gpu_count,gpu_model,longitude,latitude,ram_total_size,tracking_mode,"
    "on_cloud,pue";
const char* kRow3 =
    "2023-11-14T22:13:20,\"bench, \"\"quoted\"\"\",0b1c2d3e-4f50-4617-8899-aabbccddeeff,exp-1,"
    "10,0.0155,0.00155,3600,7200,360,0.01,0.02,0.001,0.031,0,France,FRA,ile-de-france,,,"
    "Linux-6.1.0-x86_64,,wattserve-0.1.0,16,AMD EPYC 9654,1,1 x NVIDIA H100,,,62.5,machine,,,,,N,"
    "1,0";

TEST(CodecarbonCsv, HeaderMatchesCodecarbon3) {
  EXPECT_EQ(csv_row(codecarbon_columns()), kHeader3);
  EXPECT_EQ(codecarbon_columns().size(), 38u);
  EXPECT_EQ(csv_row(codecarbon_v2_columns()), kHeader2);
}

TEST(CodecarbonCsv, RowMapsDomainsToCpuGpuRam) {
  EXPECT_EQ(codecarbon_row(summary(), codecarbon_columns()), kRow3);
}

TEST(CodecarbonCsv, CreatesThenAppends) {
  TempDir dir;
  const std::string path = dir.file("emissions.csv");
  append_codecarbon_csv(path, summary());
  EXPECT_EQ(slurp(path), std::string(kHeader3) + "\n" + kRow3 + "\n");
  append_codecarbon_csv(path, summary());
  EXPECT_EQ(slurp(path), std::string(kHeader3) + "\n" + kRow3 + "\n" + kRow3 + "\n");
}

TEST(CodecarbonCsv, AppendsToACodecarbon2FileInItsLayout) {
  TempDir dir;
  const std::string path = dir.file("emissions.csv");
  const std::string old = std::string(kHeader2) + "\r\nold,row";  // no final line end
  spit(path, old);
  append_codecarbon_csv(path, summary());
  const std::string text = slurp(path);
  ASSERT_EQ(text.rfind(old + "\n", 0), 0u) << text;
  const std::string row = text.substr(old.size() + 1);
  EXPECT_EQ(row,
            "2023-11-14T22:13:20,\"bench, \"\"quoted\"\"\",0b1c2d3e-4f50-4617-8899-aabbccddeeff,"
            "exp-1,10,0.0155,0.00155,3600,7200,360,0.01,0.02,0.001,0.031,France,FRA,"
            "ile-de-france,,,Linux-6.1.0-x86_64,,wattserve-0.1.0,16,AMD EPYC 9654,1,"
            "1 x NVIDIA H100,,,62.5,machine,N,1\n");
}

TEST(CodecarbonCsv, RefusesAForeignHeaderAndLeavesTheFileAlone) {
  TempDir dir;
  const std::string path = dir.file("emissions.csv");
  spit(path, "timestamp,project_name,something_else\n1,2,3\n");
  EXPECT_THROW(append_codecarbon_csv(path, summary()), std::runtime_error);
  EXPECT_EQ(slurp(path), "timestamp,project_name,something_else\n1,2,3\n");
}

// The data rows of a CodeCarbon 3.x file, keyed by run_id (third column; the test run ids hold
// no commas or quotes), after checking the header and that every line is whole.
std::multiset<std::string> run_ids(const std::string& text) {
  std::multiset<std::string> ids;
  EXPECT_EQ(text.rfind(std::string(kHeader3) + "\n", 0), 0u);
  EXPECT_EQ(text.back(), '\n');
  size_t pos = text.find('\n') + 1;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    auto fields = csv_parse_first_line(line);
    EXPECT_EQ(fields.size(), codecarbon_columns().size()) << line;
    if (fields.size() > 2) ids.insert(fields[2]);
  }
  return ids;
}

// Parallel `wattserve measure --csv e.csv` runs: every run's row must survive.
TEST(CodecarbonCsv, ConcurrentAppendsFromThreadsKeepEveryRow) {
  TempDir dir;
  const std::string path = dir.file("emissions.csv");
  constexpr int kThreads = 8, kEach = 25;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kEach; ++i) {
        RunSummary s = summary();
        s.run_id = "run-" + std::to_string(t) + "-" + std::to_string(i);
        append_codecarbon_csv(path, s);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::multiset<std::string> want;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i)
      want.insert("run-" + std::to_string(t) + "-" + std::to_string(i));
  }
  EXPECT_EQ(run_ids(slurp(path)), want);
}

TEST(CodecarbonCsv, ConcurrentAppendsFromProcessesKeepEveryRow) {
  TempDir dir;
  const std::string path = dir.file("emissions.csv");
  constexpr int kProcs = 6, kEach = 20;
  // The children wait on a pipe so that they start together.
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(go[1]);
      char c;
      (void)!::read(go[0], &c, 1);  // returns 0 when the parent closes the write end
      int rc = 0;
      try {
        for (int i = 0; i < kEach; ++i) {
          RunSummary s = summary();
          s.run_id = "proc-" + std::to_string(p) + "-" + std::to_string(i);
          append_codecarbon_csv(path, s);
        }
      } catch (...) {
        rc = 1;
      }
      ::_exit(rc);
    }
    pids.push_back(pid);
  }
  ::close(go[0]);
  ::close(go[1]);
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::multiset<std::string> want;
  for (int p = 0; p < kProcs; ++p) {
    for (int i = 0; i < kEach; ++i)
      want.insert("proc-" + std::to_string(p) + "-" + std::to_string(i));
  }
  EXPECT_EQ(run_ids(slurp(path)), want);
}

TEST(CodecarbonCsv, AppendingKeepsTheFilesInodeAndMode) {
  TempDir dir;
  const std::string path = dir.file("emissions.csv");
  append_codecarbon_csv(path, summary());
  ASSERT_EQ(::chmod(path.c_str(), 0604), 0);
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  append_codecarbon_csv(path, summary());
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mode & 07777, 0604u);
  EXPECT_EQ(slurp(path), std::string(kHeader3) + "\n" + kRow3 + "\n" + kRow3 + "\n");
}

TEST(CodecarbonCsv, AnEmptyFileGetsTheHeaderInPlace) {
  TempDir dir;
  const std::string path = dir.file("emissions.csv");
  spit(path, "");
  ASSERT_EQ(::chmod(path.c_str(), 0604), 0);
  append_codecarbon_csv(path, summary());
  EXPECT_EQ(slurp(path), std::string(kHeader3) + "\n" + kRow3 + "\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0604u);
}

std::string text(const RunSummary& s, const std::string& col) {
  for (const auto& [name, value] : codecarbon_fields(s)) {
    if (name == col) return value;
  }
  return "<missing>";
}

double field(const RunSummary& s, const std::string& col) {
  return std::stod(text(s, col));
}

TEST(CodecarbonCsv, SystemMeterOnlyInEnergyConsumedAndPueScalesEnergy) {
  RunSummary s = summary();
  s.window.domains.push_back(de("ext:pdu", DomainKind::kSystem, true, 36000));
  s.carbon.pue = 1.5;
  s.carbon.cloud_provider = "aws";
  EXPECT_DOUBLE_EQ(field(s, "cpu_energy"), 0.015);
  EXPECT_DOUBLE_EQ(field(s, "energy_consumed"), 147600 / 3.6e6 * 1.5);
  EXPECT_DOUBLE_EQ(field(s, "cpu_power"), 3600);  // power is not scaled by the PUE
  EXPECT_DOUBLE_EQ(field(s, "pue"), 1.5);
  EXPECT_EQ(text(s, "on_cloud"), "Y");
}

TEST(CodecarbonCsv, ProcessModeUsesAttributedCpuSideEnergy) {
  RunSummary s = summary();
  s.tracking_mode = "process";
  ProcessReport p;
  p.domains = {
      {"rapl:package-0", DomainKind::kCpuPackage, Source::kCounter, true, true, 9000, 36000},
      {"rapl:core-0", DomainKind::kCpuCore, Source::kCounter, false, true, 2500, 10000},
      {"rapl:dram-0", DomainKind::kDram, Source::kCounter, true, true, 900, 3600},
      {"nvml:gpu-0", DomainKind::kGpu, Source::kCounter, true, false, 0, 72000}};
  s.process = p;
  EXPECT_DOUBLE_EQ(field(s, "cpu_energy"), 9000 / 3.6e6);
  EXPECT_DOUBLE_EQ(field(s, "ram_energy"), 900 / 3.6e6);
  EXPECT_DOUBLE_EQ(field(s, "gpu_energy"), 72000 / 3.6e6);  // GPU counted in full
  EXPECT_DOUBLE_EQ(field(s, "energy_consumed"), 81900 / 3.6e6);
  EXPECT_DOUBLE_EQ(field(s, "emissions"), 0.0155 * 81900 / 111600);
  EXPECT_EQ(text(s, "tracking_mode"), "process");
}

}  // namespace
}  // namespace wattserve::energy
