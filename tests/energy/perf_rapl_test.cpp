#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "energy/sensors/rapl_perf.h"
#include "fake_sysfs.h"

namespace wattserve::energy {
namespace {

using testing::FakeSysfs;

constexpr int64_t kSec = 1'000'000'000;
constexpr uint64_t kTwo32 = 1ull << 32;
constexpr const char* kScale32 = "2.3283064365386962890625e-10\n";  // 2^-32 J (Intel pkg)
constexpr const char* kScale14 = "6.103515625e-05\n";               // 2^-14 J (server dram)
constexpr uint32_t kType = 21;

// Scripted perf_event_open: counts per (config, cpu), errors per (config, cpu).
class FakePerfEvents final : public PerfEvents {
 public:
  int open(uint32_t type, uint64_t config, int cpu) override {
    opens.emplace_back(type, config, cpu);
    if (auto it = errors.find({config, cpu}); it != errors.end()) return -it->second;
    int fd = next_fd++;
    fds[fd] = {config, cpu};
    open_fds.insert(fd);
    return fd;
  }
  bool read(int fd, uint64_t* value) override {
    if (fail_reads || !fds.count(fd)) {
      errno = EIO;
      return false;
    }
    *value = counts[fds[fd]];
    return true;
  }
  void close(int fd) override { open_fds.erase(fd); }

  std::map<std::pair<uint64_t, int>, uint64_t> counts;
  std::map<std::pair<uint64_t, int>, int> errors;
  std::vector<std::tuple<uint32_t, uint64_t, int>> opens;
  std::map<int, std::pair<uint64_t, int>> fds;
  std::set<int> open_fds;
  int next_fd = 100;
  bool fail_reads = false;
};

class PerfRaplTest : public ::testing::Test {
 protected:
  void SetUp() override { fs_.create(); }
  void TearDown() override { fs_.remove(); }

  void pmu(const std::string& cpumask) {
    fs_.write(kPmu + "type", std::to_string(kType) + "\n");
    fs_.write(kPmu + "cpumask", cpumask + "\n");
  }
  void event(const std::string& name, const std::string& config, const char* scale) {
    fs_.write(kPmu + "events/" + name, config + "\n");
    fs_.write(kPmu + "events/" + name + ".scale", scale);
    fs_.write(kPmu + "events/" + name + ".unit", "Joules\n");
  }
  void intel_events() {
    event("energy-cores", "event=0x01", kScale32);
    event("energy-pkg", "event=0x02", kScale32);
    event("energy-ram", "event=0x03", kScale14);
    event("energy-gpu", "event=0x04", kScale32);
    event("energy-psys", "event=0x05", kScale32);
  }
  std::unique_ptr<Sensor> make(bool psys = false) {
    PerfRaplOptions o;
    o.sysfs_root = fs_.root();
    o.include_psys = psys;
    o.events = perf_;
    return make_perf_rapl_sensor(o, &notes_);
  }
  static std::vector<std::string> ids(const Sensor& s) {
    std::vector<std::string> v;
    for (const Domain& d : s.domains()) v.push_back(d.id);
    return v;
  }
  static std::vector<bool> counted(const Sensor& s) {
    std::vector<bool> v;
    for (const Domain& d : s.domains()) v.push_back(d.counted);
    return v;
  }

  const std::string kPmu = "bus/event_source/devices/power/";
  FakeSysfs fs_;
  std::shared_ptr<FakePerfEvents> perf_ = std::make_shared<FakePerfEvents>();
  std::vector<SensorNote> notes_;
};

TEST_F(PerfRaplTest, OneSocketScalesRawCountsExactly) {
  pmu("0");
  intel_events();
  perf_->counts[{0x02, 0}] = 5 * kTwo32;
  perf_->counts[{0x03, 0}] = 100;
  auto s = make();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->name(), "rapl-perf");
  EXPECT_EQ(ids(*s), (std::vector<std::string>{"rapl:package-0", "rapl:package-0/core",
                                               "rapl:package-0/uncore", "rapl:package-0/dram"}));
  EXPECT_EQ(counted(*s), (std::vector<bool>{true, false, false, true}));
  EXPECT_EQ(s->domains()[0].source, Source::kCounter);
  EXPECT_EQ(s->domains()[3].kind, DomainKind::kDram);
  ASSERT_EQ(perf_->opens.size(), 4u);
  EXPECT_EQ(perf_->opens[0], std::make_tuple(kType, uint64_t{0x02}, 0));

  perf_->counts[{0x02, 0}] += 3 * kTwo32 + kTwo32 / 2;  // 3.5 J at 2^-32 J per count
  perf_->counts[{0x03, 0}] += 16384 * 3;                // 3 J at 2^-14 J per count
  perf_->counts[{0x01, 0}] += kTwo32 / 4;               // 0.25 J
  std::vector<double> out(4), watts(4);
  std::string err;
  ASSERT_TRUE(s->read(kSec, out, &err)) << err;
  EXPECT_NEAR(out[0], 3.5, 1e-12);
  EXPECT_NEAR(out[1], 0.25, 1e-12);
  EXPECT_NEAR(out[2], 0.0, 1e-12);
  EXPECT_NEAR(out[3], 3.0, 1e-12);
  perf_->counts[{0x02, 0}] += 2 * kTwo32;
  ASSERT_TRUE(s->read(3 * kSec, out, &err)) << err;
  EXPECT_NEAR(out[0], 5.5, 1e-12);
  s->last_power(watts);
  EXPECT_NEAR(watts[0], 1.0, 1e-12);  // 2 J in 2 s
  EXPECT_NEAR(watts[3], 0.0, 1e-12);
}

TEST_F(PerfRaplTest, TwoSocketsOneCounterPerEventPerPackageCpu) {
  pmu("0,18");
  fs_.write("devices/system/cpu/cpu0/topology/physical_package_id", "0\n");
  fs_.write("devices/system/cpu/cpu18/topology/physical_package_id", "1\n");
  event("energy-pkg", "event=0x02", kScale32);
  event("energy-ram", "event=0x03", kScale14);
  event("energy-cores", "event=0x01", kScale32);
  auto s = make();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(ids(*s), (std::vector<std::string>{"rapl:package-0", "rapl:package-0/core",
                                               "rapl:package-0/dram", "rapl:package-1",
                                               "rapl:package-1/core", "rapl:package-1/dram"}));
  EXPECT_EQ(counted(*s), (std::vector<bool>{true, false, true, true, false, true}));
  EXPECT_EQ(perf_->opens.size(), 6u);
  perf_->counts[{0x02, 18}] = 7 * kTwo32;
  perf_->counts[{0x03, 18}] = 16384;
  perf_->counts[{0x02, 0}] = kTwo32;
  std::vector<double> out(6);
  std::string err;
  ASSERT_TRUE(s->read(kSec, out, &err)) << err;
  EXPECT_NEAR(out[0], 1.0, 1e-12);
  EXPECT_NEAR(out[3], 7.0, 1e-12);
  EXPECT_NEAR(out[5], 1.0, 1e-12);
}

TEST_F(PerfRaplTest, PermissionDeniedGivesNullAndParanoidHint) {
  pmu("0,1");
  intel_events();
  perf_->errors[{0x03, 1}] = EACCES;  // fails after five other counters were opened
  EXPECT_EQ(make(), nullptr);
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_EQ(notes_[0].sensor, "rapl-perf");
  EXPECT_NE(notes_[0].reason.find("Permission denied"), std::string::npos) << notes_[0].reason;
  EXPECT_NE(notes_[0].hint.find("sysctl kernel.perf_event_paranoid=0"), std::string::npos);
  EXPECT_NE(notes_[0].hint.find("CAP_PERFMON"), std::string::npos);
  EXPECT_TRUE(perf_->open_fds.empty());  // nothing leaked
}

TEST_F(PerfRaplTest, PackageEventMissingOnTheCpuGivesNull) {
  pmu("0");
  intel_events();
  perf_->errors[{0x02, 0}] = ENOENT;
  EXPECT_EQ(make(), nullptr);
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_NE(notes_[0].reason.find("energy-pkg"), std::string::npos);
}

// Some VMs (and this kind of client platform) list only energy-psys.
TEST_F(PerfRaplTest, PsysOnlyPmuNeedsPsysEnabled) {
  pmu("0");
  event("energy-psys", "event=0x05", kScale32);
  EXPECT_EQ(make(), nullptr);
  ASSERT_EQ(notes_.size(), 2u);
  EXPECT_NE(notes_[0].reason.find("no energy-pkg event"), std::string::npos);
  EXPECT_NE(notes_[1].hint.find("enable psys"), std::string::npos) << notes_[1].hint;
  notes_.clear();
  auto s = make(/*psys=*/true);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(ids(*s), (std::vector<std::string>{"rapl:psys"}));
  EXPECT_TRUE(s->domains()[0].counted);
  perf_->counts[{0x05, 0}] = kTwo32 / 8;
  std::vector<double> out(1);
  std::string err;
  ASSERT_TRUE(s->read(kSec, out, &err));
  EXPECT_NEAR(out[0], 0.125, 1e-12);
}

TEST_F(PerfRaplTest, OtherEventThatCannotOpenIsSkipped) {
  pmu("0");
  intel_events();
  perf_->errors[{0x04, 0}] = ENODEV;
  auto s = make();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(ids(*s), (std::vector<std::string>{"rapl:package-0", "rapl:package-0/core",
                                               "rapl:package-0/dram"}));
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_NE(notes_[0].reason.find("energy-gpu"), std::string::npos);
}

TEST_F(PerfRaplTest, NoPowerPmu) {
  EXPECT_EQ(make(), nullptr);
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_EQ(notes_[0].reason.rfind("no RAPL perf PMU", 0), 0u) << notes_[0].reason;
  EXPECT_TRUE(perf_->opens.empty());
}

TEST_F(PerfRaplTest, PsysIsOptInOpenedOnceAndCountedAlone) {
  pmu("0,18");
  intel_events();
  EXPECT_EQ(ids(*make()).size(), 8u);
  perf_->opens.clear();
  auto s = make(/*psys=*/true);
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->domains().size(), 9u);
  EXPECT_EQ(s->domains()[8].id, "rapl:psys");
  EXPECT_EQ(s->domains()[8].kind, DomainKind::kPsys);
  EXPECT_EQ(counted(*s),
            (std::vector<bool>{false, false, false, false, false, false, false, false, true}));
  EXPECT_EQ(perf_->opens.back(), std::make_tuple(kType, uint64_t{0x05}, 0));
  perf_->counts[{0x05, 0}] = 40 * kTwo32;
  std::vector<double> out(9);
  std::string err;
  ASSERT_TRUE(s->read(kSec, out, &err));
  EXPECT_NEAR(out[8], 40.0, 1e-12);
}

TEST_F(PerfRaplTest, AmdOnlyHasEnergyPkg) {
  pmu("0");
  event("energy-pkg", "event=0x02", kScale32);
  auto s = make(/*psys=*/true);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(ids(*s), (std::vector<std::string>{"rapl:package-0"}));
  EXPECT_EQ(counted(*s), (std::vector<bool>{true}));
  ASSERT_EQ(notes_.size(), 1u);  // psys asked for but absent
}

TEST_F(PerfRaplTest, ReadFailureAndDestructorClosesEverything) {
  pmu("0");
  intel_events();
  {
    auto s = make();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(perf_->open_fds.size(), 4u);
    perf_->fail_reads = true;
    std::vector<double> out(4);
    std::string err;
    EXPECT_FALSE(s->read(kSec, out, &err));
    EXPECT_NE(err.find("rapl:package-0"), std::string::npos) << err;
  }
  EXPECT_TRUE(perf_->open_fds.empty());
}

TEST_F(PerfRaplTest, WrongUnitIsSkipped) {
  pmu("0");
  intel_events();
  fs_.write(kPmu + "events/energy-ram.unit", "Watts\n");
  auto s = make();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->domains().size(), 3u);
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_NE(notes_[0].reason.find("energy-ram"), std::string::npos);
}

TEST(PerfParse, CpuListAndEventConfig) {
  std::vector<int> cpus;
  ASSERT_TRUE(parse_cpu_list("0,18\n", &cpus));
  EXPECT_EQ(cpus, (std::vector<int>{0, 18}));
  ASSERT_TRUE(parse_cpu_list("0-2,8", &cpus));
  EXPECT_EQ(cpus, (std::vector<int>{0, 1, 2, 8}));
  EXPECT_FALSE(parse_cpu_list("", &cpus));
  EXPECT_FALSE(parse_cpu_list("3-1", &cpus));
  EXPECT_FALSE(parse_cpu_list("a", &cpus));
  // Corrupt or hostile masks: no int overflow, no gigabytes of ids.
  EXPECT_FALSE(parse_cpu_list("0-2147483647", &cpus));
  EXPECT_FALSE(parse_cpu_list("2147483647", &cpus));
  EXPECT_FALSE(parse_cpu_list("0-4294967295", &cpus));
  EXPECT_FALSE(parse_cpu_list("0-99999999999999999999", &cpus));
  EXPECT_FALSE(parse_cpu_list("65536", &cpus));
  EXPECT_FALSE(parse_cpu_list("-1", &cpus));
  EXPECT_FALSE(parse_cpu_list("0-65535,0-65535", &cpus));
  ASSERT_TRUE(parse_cpu_list("65534-65535", &cpus));
  EXPECT_EQ(cpus, (std::vector<int>{65534, 65535}));
  uint64_t c = 0;
  ASSERT_TRUE(parse_perf_event_config("event=0x02\n", &c));
  EXPECT_EQ(c, 2u);
  ASSERT_TRUE(parse_perf_event_config("event=0x1a", &c));
  EXPECT_EQ(c, 26u);
  EXPECT_FALSE(parse_perf_event_config("event=0x02,umask=0x1", &c));
  EXPECT_FALSE(parse_perf_event_config("config=2", &c));
}

}  // namespace
}  // namespace wattserve::energy
