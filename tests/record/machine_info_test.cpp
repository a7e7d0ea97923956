#include "record/machine_info.h"

#include <gtest/gtest.h>

#include "energy/fake_sysfs.h"

namespace wattserve::record {
namespace {

using energy::Domain;
using energy::DomainKind;
using energy::Source;

class MachineInfoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    proc_.create();
    sys_.create();
  }
  void TearDown() override {
    proc_.remove();
    sys_.remove();
  }
  MachineRoots roots() const { return {proc_.root(), sys_.root()}; }
  // A CPU with its topology and, when governor is not empty, a cpufreq governor.
  void cpu(int n, int package, int core, const std::string& governor) {
    const std::string d = "devices/system/cpu/cpu" + std::to_string(n);
    sys_.write(d + "/topology/physical_package_id", std::to_string(package) + "\n");
    sys_.write(d + "/topology/core_id", std::to_string(core) + "\n");
    if (!governor.empty()) sys_.write(d + "/cpufreq/scaling_governor", governor + "\n");
  }
  energy::testing::FakeSysfs proc_, sys_;
};

TEST_F(MachineInfoTest, ReadsEveryFieldFromTheTrees) {
  proc_.write("sys/kernel/ostype", "Linux\n");
  proc_.write("sys/kernel/osrelease", "6.1.0-13-amd64\n");
  proc_.write("cpuinfo",
              "processor\t: 0\nmodel name\t: AMD EPYC 9654 96-Core Processor\n\n"
              "processor\t: 1\nmodel name\t: AMD EPYC 9654 96-Core Processor\n");
  proc_.write("meminfo", "MemTotal:       32768000 kB\nMemFree:  1000 kB\n");
  // 2 sockets x 2 cores x 2 threads; cpu8 is offline (no topology is read for it).
  sys_.write("devices/system/cpu/online", "0-7\n");
  for (int c = 0; c < 8; ++c) cpu(c, c / 4, (c / 2) % 2, c == 5 ? "powersave" : "performance");
  sys_.mkdirs("devices/system/cpu/cpu8");
  sys_.mkdirs("devices/system/cpu/cpufreq");  // not a cpuN directory
  sys_.write("module/nvidia/version", "550.54.15\n");
  const std::vector<Domain> domains = {
      {"rapl:package-0", DomainKind::kCpuPackage, Source::kCounter, "RAPL package-0", true},
      {"nvml:gpu-0", DomainKind::kGpu, Source::kCounter,
       "NVIDIA H100 80GB HBM3 (NVML GPU 0, GPU-a)", true},
      {"nvml:gpu-1", DomainKind::kGpu, Source::kCounter,
       "NVIDIA H100 80GB HBM3 (NVML GPU 1, GPU-b)", true}};
  const MachineInfo m = machine_info(roots(), domains);
  EXPECT_EQ(m.os.rfind("Linux-6.1.0-13-amd64-", 0), 0u) << m.os;
  EXPECT_EQ(m.kernel, "6.1.0-13-amd64");
  EXPECT_EQ(m.cpu_model, "AMD EPYC 9654 96-Core Processor");
  EXPECT_EQ(m.cpu_count, 8);
  EXPECT_EQ(m.cpu_cores, 4);
  EXPECT_DOUBLE_EQ(m.ram_total_gib, 32768000 / 1048576.0);
  EXPECT_EQ(m.frequency_governor, "performance,powersave");
  EXPECT_EQ(m.gpu_count, 2);
  EXPECT_EQ(m.gpu_model, "2 x NVIDIA H100 80GB HBM3");
  EXPECT_EQ(m.gpu_driver, "nvidia 550.54.15");
}

TEST_F(MachineInfoTest, FallsBackToCpuinfoAndProcDriver) {
  // No sysfs CPU files: logical CPUs and cores come from cpuinfo; no cpufreq: "none".
  proc_.write("sys/kernel/osrelease", "5.15.0\n");
  proc_.write("cpuinfo",
              "processor\t: 0\nphysical id\t: 0\ncore id\t: 0\n\n"
              "processor\t: 1\nphysical id\t: 0\ncore id\t: 0\n\n"
              "processor\t: 2\nphysical id\t: 0\ncore id\t: 1\n\n"
              "processor\t: 3\nphysical id\t: 1\ncore id\t: 0\n\n"
              "processor\t: 4\nphysical id\t: 1\ncore id\t: 0\n");
  proc_.write("driver/nvidia/version",
              "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.161.07  Sat Feb 17 22:55:48 UTC "
              "2024\nGCC version:  gcc version 12.2.0\n");
  const std::vector<Domain> domains = {
      {"nvml:gpu-0", DomainKind::kGpu, Source::kPower, "Tesla T4 (NVML GPU 0)", true}};
  const MachineInfo m = machine_info(roots(), domains);
  EXPECT_EQ(m.kernel, "5.15.0");
  EXPECT_EQ(m.cpu_model, "");
  EXPECT_EQ(m.cpu_count, 5);
  EXPECT_EQ(m.cpu_cores, 3);
  EXPECT_EQ(m.ram_total_gib, 0);
  EXPECT_EQ(m.frequency_governor, "none");
  EXPECT_EQ(m.gpu_model, "1 x Tesla T4");
  EXPECT_EQ(m.gpu_driver, "nvidia 535.161.07");
}

TEST_F(MachineInfoTest, NoGpuNoDriverAndAmdgpu) {
  sys_.write("devices/system/cpu/online", "0,2-3\n");
  proc_.write("cpuinfo", "processor\t: 0\nProcessor\t: ARMv8 Processor rev 1 (v8l)\n");
  MachineInfo m = machine_info(roots(), {});
  EXPECT_EQ(m.cpu_count, 3);
  EXPECT_EQ(m.cpu_cores, 3);  // no topology anywhere: one core per logical CPU
  EXPECT_EQ(m.cpu_model, "ARMv8 Processor rev 1 (v8l)");
  EXPECT_EQ(m.gpu_count, 0);
  EXPECT_EQ(m.gpu_model, "");
  EXPECT_EQ(m.gpu_driver, "");
  sys_.write("module/nvidia/version", "550.54.15\n");  // a driver without a measured GPU
  m = machine_info(roots(), {{"hwmon:amdgpu-0", DomainKind::kGpu, Source::kCounter,
                              "AMD GPU board energy (hwmon3 energy1_input)", true}});
  EXPECT_EQ(m.gpu_driver, "amdgpu");
  EXPECT_EQ(m.gpu_model, "1 x AMD GPU board energy");
}

}  // namespace
}  // namespace wattserve::record
