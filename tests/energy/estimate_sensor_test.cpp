#include "energy/sensors/estimate_sensor.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "energy/sensors/cpu_power_model.h"
#include "energy/sensors/ram_power.h"

namespace wattserve::energy {
namespace {

namespace fs = std::filesystem;

// A fake procfs: 4 logical CPUs of an i7-8550U (mobile, 15 W), 16 GiB of memory.
class FakeProc {
 public:
  FakeProc() {
    root_ =
        fs::temp_directory_path() /
        ("wattserve_estimate_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    std::string cpuinfo;
    for (int i = 0; i < 4; ++i) {
      cpuinfo += "processor\t: " + std::to_string(i) +
                 "\nmodel name\t: Intel(R) Core(TM) i7-8550U CPU @ 1.80GHz\nphysical id\t: 0\n\n";
    }
    write("cpuinfo", cpuinfo);
    write("meminfo", "MemTotal:       16777216 kB\nMemFree:         1000000 kB\n");
  }
  ~FakeProc() { fs::remove_all(root_); }
  // Aggregate jiffies: busy goes to user, idle to idle (+ fixed other fields).
  void set_stat(uint64_t busy, uint64_t idle) {
    std::string cpu =
        "cpu  " + std::to_string(busy) + " 0 0 " + std::to_string(idle) + " 0 0 0 0 0 0\n";
    for (int i = 0; i < 4; ++i) cpu += "cpu" + std::to_string(i) + " 1 0 0 1 0 0 0 0 0 0\n";
    write("stat", cpu + "intr 0\nctxt 0\n");
  }
  std::string root() const { return root_.string(); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(root_ / name) << text;
  }

 private:
  fs::path root_;
};

EstimateOptions options(const std::string& root) {
  EstimateOptions o;
  o.procfs_root = root;
  return o;
}

double mobile_watts(double u) {  // i7-8550U: TDP 15 W, mobile class (idle 10 %, full 100 %)
  return 15 * (0.10 + 0.90 * load_curve(u, 1.4));
}

TEST(EstimateSensor, DomainsAndInfoFromProcfs) {
  FakeProc proc;
  proc.set_stat(200, 800);
  std::vector<SensorNote> notes;
  auto s = make_estimate_sensor(options(proc.root()), &notes);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(notes.empty());
  EXPECT_EQ(s->name(), "estimate");
  ASSERT_EQ(s->domains().size(), 2u);
  EXPECT_EQ(s->domains()[0].id, "estimate:cpu");
  EXPECT_EQ(s->domains()[0].kind, DomainKind::kCpuPackage);
  EXPECT_EQ(s->domains()[0].source, Source::kEstimate);
  EXPECT_EQ(s->domains()[1].id, "estimate:ram");
  EXPECT_EQ(s->domains()[1].kind, DomainKind::kDram);
  auto info = estimate_info(*s);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->cpu_model, "Intel(R) Core(TM) i7-8550U CPU @ 1.80GHz");
  EXPECT_EQ(info->matched_model, "Intel Core i7-8550U");
  EXPECT_DOUBLE_EQ(info->tdp_w, 15);
  EXPECT_EQ(info->tdp_reason, "table (exact)");
  EXPECT_EQ(info->cpu_class, "mobile");
  EXPECT_EQ(info->sockets, 1);
  EXPECT_EQ(info->sockets_reason, "cpuinfo physical id");
  EXPECT_EQ(info->logical_cpus, 4);
  EXPECT_DOUBLE_EQ(info->ram_gib, 16);
  EXPECT_EQ(info->ram_modules, 2);
  EXPECT_DOUBLE_EQ(info->ram_w, 10);
  EXPECT_DOUBLE_EQ(info->utilisation, 0.2);  // since boot, until the first interval
}

TEST(EstimateSensor, ExactJoulesForGivenUtilisation) {
  FakeProc proc;
  proc.set_stat(200, 800);
  auto s = make_estimate_sensor(options(proc.root()), nullptr);
  ASSERT_NE(s, nullptr);
  std::array<double, 2> j{};
  std::string err;
  ASSERT_TRUE(s->read(1'000'000'000, j, &err)) << err;
  EXPECT_EQ(j[0], 0);  // the first read starts the integration
  EXPECT_EQ(j[1], 0);

  proc.set_stat(250, 850);  // +100 jiffies, 50 busy: u = 0.5
  ASSERT_TRUE(s->read(3'000'000'000, j, &err)) << err;
  double p50 = mobile_watts(0.5);
  EXPECT_DOUBLE_EQ(j[0], 2 * p50);
  EXPECT_DOUBLE_EQ(j[1], 2 * 10.0);
  std::array<double, 2> w{};
  s->last_power(w);
  EXPECT_DOUBLE_EQ(w[0], p50);
  EXPECT_DOUBLE_EQ(w[1], 10);

  proc.set_stat(250, 853);  // +3 jiffies < 2 per CPU (8): hold u = 0.5
  ASSERT_TRUE(s->read(4'000'000'000, j, &err)) << err;
  EXPECT_DOUBLE_EQ(j[0], 3 * p50);
  EXPECT_DOUBLE_EQ(estimate_info(*s)->utilisation, 0.5);

  proc.set_stat(255, 853);  // 8 jiffies since the last update, 5 busy: u = 0.625
  ASSERT_TRUE(s->read(4'500'000'000, j, &err)) << err;
  EXPECT_DOUBLE_EQ(j[0], 3 * p50 + 0.5 * mobile_watts(0.625));
  EXPECT_DOUBLE_EQ(j[1], 3.5 * 10.0);
  EXPECT_DOUBLE_EQ(estimate_info(*s)->utilisation, 0.625);
}

TEST(EstimateSensor, StealCountsAsNotBusyAndIowaitAsIdle) {
  // user nice system idle iowait irq softirq steal guest guest_nice; guest is inside user.
  EXPECT_DOUBLE_EQ(*utilisation_between(0, 0, 30, 100, 8), 0.3);
  EXPECT_FALSE(utilisation_between(0, 0, 3, 7, 8).has_value());
  EXPECT_FALSE(utilisation_between(10, 100, 5, 200, 8).has_value());
  FakeProc proc;
  proc.write("stat", "cpu  10 10 10 40 10 10 0 10 5 0\ncpu0 1 0 0 1 0 0 0 0 0 0\n");
  auto s = make_estimate_sensor(options(proc.root()), nullptr);
  ASSERT_NE(s, nullptr);
  // busy = user + nice + system + irq + softirq = 40; total = 40 + idle 40 + iowait 10 + steal 10.
  EXPECT_DOUBLE_EQ(estimate_info(*s)->utilisation, 0.4);
}

TEST(EstimateSensor, OptionsOverrideAndUnknownModelNotes) {
  FakeProc proc;
  proc.set_stat(0, 1000);
  std::vector<SensorNote> notes;
  EstimateOptions o = options(proc.root());
  o.cpu_model = "Mystery CPU 9000";
  o.sockets = 2;
  o.ram_gib = 64;
  auto s = make_estimate_sensor(o, &notes);
  ASSERT_NE(s, nullptr);
  auto info = *estimate_info(*s);
  EXPECT_DOUBLE_EQ(info.tdp_w, kFallbackTdpW);
  EXPECT_EQ(info.sockets, 2);
  EXPECT_EQ(info.sockets_reason, "user");
  EXPECT_EQ(info.ram_modules, 8);
  EXPECT_DOUBLE_EQ(info.ram_w, 4 * 5.0 + 4 * 4.5);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].reason.find("not in the TDP table"), std::string::npos);
}

TEST(EstimateSensor, MissingProcfsGivesNullAndNote) {
  std::vector<SensorNote> notes;
  auto s = make_estimate_sensor(options("/nonexistent/wattserve"), &notes);
  EXPECT_EQ(s, nullptr);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].sensor, "estimate");
}

TEST(RamPower, ModulesAndWatts) {
  EXPECT_DOUBLE_EQ(estimate_ram_power(8).watts, 10);     // 2 modules minimum
  EXPECT_DOUBLE_EQ(estimate_ram_power(32).watts, 20);    // 4 x 8 GiB
  EXPECT_DOUBLE_EQ(estimate_ram_power(1024).watts, 38);  // capped at 8 modules per socket
  EXPECT_EQ(estimate_ram_power(1024, 2).modules, 16);
  EXPECT_DOUBLE_EQ(estimate_ram_power(1024, 2).watts, 20 + 18 + 32);
  EXPECT_THROW(estimate_ram_power(0), std::invalid_argument);
  EXPECT_THROW(estimate_ram_power(8, 0), std::invalid_argument);
}

}  // namespace
}  // namespace wattserve::energy
