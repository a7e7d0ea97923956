#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>

#include "energy/sensors/rapl_powercap.h"
#include "fake_sysfs.h"

namespace wattserve::energy {
namespace {

using testing::FailingReader;
using testing::FakeSysfs;

constexpr int64_t kSec = 1'000'000'000;
constexpr uint64_t kRange = 262143328850;  // a real max_energy_range_uj

class PowercapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_.create();
    fs_.mkdirs("class/powercap/intel-rapl");  // the control-type directory, not a zone
  }
  void TearDown() override { fs_.remove(); }

  void zone(const std::string& entry, const std::string& name, uint64_t energy,
            uint64_t range = kRange) {
    fs_.write("class/powercap/" + entry + "/name", name + "\n");
    fs_.write("class/powercap/" + entry + "/energy_uj", energy);
    fs_.write("class/powercap/" + entry + "/max_energy_range_uj", range);
  }
  void set(const std::string& entry, uint64_t energy) {
    fs_.write("class/powercap/" + entry + "/energy_uj", energy);
  }
  std::unique_ptr<Sensor> make(bool psys = false) {
    PowercapOptions o;
    o.sysfs_root = fs_.root();
    o.include_psys = psys;
    if (reader_) o.reader = reader_;
    return make_powercap_sensor(o, &notes_);
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

  FakeSysfs fs_;
  std::shared_ptr<FailingReader> reader_;
  std::vector<SensorNote> notes_;
};

TEST_F(PowercapTest, OneSocketCountsFromCreationAndReportsPower) {
  zone("intel-rapl:0", "package-0", 1'000'000);
  zone("intel-rapl:0:0", "dram", 200);
  auto s = make();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->name(), "rapl-powercap");
  ASSERT_EQ(ids(*s), (std::vector<std::string>{"rapl:package-0", "rapl:package-0/dram"}));
  EXPECT_EQ(s->domains()[0].kind, DomainKind::kCpuPackage);
  EXPECT_EQ(s->domains()[1].kind, DomainKind::kDram);
  EXPECT_EQ(s->domains()[0].source, Source::kCounter);
  EXPECT_EQ(counted(*s), (std::vector<bool>{true, true}));

  std::vector<double> out(2), watts(2);
  std::string err;
  set("intel-rapl:0", 1'500'000);
  set("intel-rapl:0:0", 100'200);
  ASSERT_TRUE(s->read(1 * kSec, out, &err)) << err;
  EXPECT_NEAR(out[0], 0.5, 1e-12);
  EXPECT_NEAR(out[1], 0.1, 1e-12);
  s->last_power(watts);
  EXPECT_TRUE(std::isnan(watts[0]));  // no interval yet

  set("intel-rapl:0", 3'500'000);
  set("intel-rapl:0:0", 700'200);
  ASSERT_TRUE(s->read(3 * kSec, out, &err)) << err;
  EXPECT_NEAR(out[0], 2.5, 1e-12);
  EXPECT_NEAR(out[1], 0.7, 1e-12);
  s->last_power(watts);
  EXPECT_NEAR(watts[0], 1.0, 1e-12);  // 2 J over 2 s
  EXPECT_NEAR(watts[1], 0.3, 1e-12);
}

TEST_F(PowercapTest, TwoSocketsEachWithDramAndCore) {
  for (int p = 0; p < 2; ++p) {
    std::string pk = "intel-rapl:" + std::to_string(p);
    zone(pk, "package-" + std::to_string(p), 10);
    zone(pk + ":0", "core", 20);
    zone(pk + ":1", "dram", 30);
  }
  auto s = make();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(ids(*s), (std::vector<std::string>{"rapl:package-0", "rapl:package-0/core",
                                               "rapl:package-0/dram", "rapl:package-1",
                                               "rapl:package-1/core", "rapl:package-1/dram"}));
  EXPECT_EQ(counted(*s), (std::vector<bool>{true, false, true, true, false, true}));
  EXPECT_EQ(s->domains()[1].kind, DomainKind::kCpuCore);
  set("intel-rapl:0", 10 + 5'000'000);
  set("intel-rapl:0:0", 20 + 4'000'000);
  set("intel-rapl:0:1", 30 + 250'000);
  set("intel-rapl:1", 10 + 7'000'000);
  set("intel-rapl:1:0", 20 + 6'000'000);
  set("intel-rapl:1:1", 30 + 125'000);
  std::vector<double> out(6);
  std::string err;
  ASSERT_TRUE(s->read(kSec, out, &err)) << err;
  const double want[] = {5.0, 4.0, 0.25, 7.0, 6.0, 0.125};
  for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(out[i], want[i], 1e-12) << i;
}

TEST_F(PowercapTest, CounterWrapsInsideAWindow) {
  zone("intel-rapl:0", "package-0", 980'000, 1'000'000);
  auto s = make();
  ASSERT_NE(s, nullptr);
  std::vector<double> out(1);
  std::string err;
  set("intel-rapl:0", 990'000);
  ASSERT_TRUE(s->read(kSec, out, &err));
  EXPECT_NEAR(out[0], 0.01, 1e-12);
  set("intel-rapl:0", 10'000);  // wrapped: 10000 to the top, 10000 after
  ASSERT_TRUE(s->read(2 * kSec, out, &err));
  EXPECT_NEAR(out[0], 0.03, 1e-12);
  std::vector<double> watts(1);
  s->last_power(watts);
  EXPECT_NEAR(watts[0], 0.02, 1e-12);
}

TEST_F(PowercapTest, PermissionDeniedGivesNullAndHowToFix) {
  zone("intel-rapl:0", "package-0", 1);
  zone("intel-rapl:0:0", "dram", 1);
  reader_ = std::make_shared<FailingReader>();
  reader_->fail("intel-rapl:0:0/energy_uj", EACCES);
  EXPECT_EQ(make(), nullptr);
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_EQ(notes_[0].sensor, "rapl-powercap");
  EXPECT_NE(notes_[0].reason.find("intel-rapl:0:0/energy_uj: Permission denied"), std::string::npos)
      << notes_[0].reason;
  EXPECT_NE(notes_[0].reason.find("CVE-2020-8694"), std::string::npos);
  EXPECT_NE(notes_[0].hint.find("run as root"), std::string::npos);
  EXPECT_NE(
      notes_[0].hint.find("chmod a+r " + fs_.root() + "/class/powercap/intel-rapl:*/energy_uj"),
      std::string::npos)
      << notes_[0].hint;
  EXPECT_NE(notes_[0].hint.find("udev"), std::string::npos);
}

// The real open() error, no injection: a mode-000 energy_uj read by an unprivileged user. Tests
// usually run as root, which ignores modes, so a forked child drops to `nobody` first.
TEST_F(PowercapTest, PermissionDeniedByTheRealFileMode) {
  zone("intel-rapl:0", "package-0", 1);
  fs_.chmod("class/powercap/intel-rapl:0/energy_uj", 0000);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(77);
    std::vector<SensorNote> notes;
    PowercapOptions o;
    o.sysfs_root = fs_.root();
    auto s = make_powercap_sensor(o, &notes);
    bool ok = s == nullptr && notes.size() == 1 &&
              notes[0].reason.find("Permission denied") != std::string::npos;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot drop privileges here";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(PowercapTest, NoPowercapDirectory) {
  fs_.remove("class/powercap");
  EXPECT_EQ(make(), nullptr);
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_EQ(notes_[0].reason.rfind("no RAPL powercap interface (", 0), 0u) << notes_[0].reason;
  EXPECT_NE(notes_[0].reason.find(fs_.root() + "/class/powercap does not exist"),
            std::string::npos);
  EXPECT_FALSE(notes_[0].hint.empty());
}

TEST_F(PowercapTest, NoZonesAtAll) {
  EXPECT_EQ(make(), nullptr);
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_NE(notes_[0].reason.find("no usable RAPL zones"), std::string::npos);
}

TEST_F(PowercapTest, ZoneWithoutEnergyFileIsSkippedWithANote) {
  zone("intel-rapl:0", "package-0", 0);
  zone("intel-rapl:0:0", "core", 0);
  zone("intel-rapl:0:1", "dram", 0);
  fs_.remove("class/powercap/intel-rapl:0:0/energy_uj");
  auto s = make();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(ids(*s), (std::vector<std::string>{"rapl:package-0", "rapl:package-0/dram"}));
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_NE(notes_[0].reason.find("skipped powercap zone intel-rapl:0:0 (core)"), std::string::npos)
      << notes_[0].reason;
}

TEST_F(PowercapTest, PsysIsOptInAndThenTheOnlyCountedDomain) {
  zone("intel-rapl:0", "package-0", 0);
  zone("intel-rapl:0:0", "core", 0);
  zone("intel-rapl:0:1", "uncore", 0);
  zone("intel-rapl:0:2", "dram", 0);
  zone("intel-rapl:1", "psys", 0);
  auto plain = make();
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(ids(*plain),
            (std::vector<std::string>{"rapl:package-0", "rapl:package-0/core",
                                      "rapl:package-0/uncore", "rapl:package-0/dram"}));
  EXPECT_EQ(counted(*plain), (std::vector<bool>{true, false, false, true}));
  EXPECT_EQ(plain->domains()[2].kind, DomainKind::kCpuUncore);

  auto with = make(/*psys=*/true);
  ASSERT_NE(with, nullptr);
  EXPECT_EQ(ids(*with), (std::vector<std::string>{"rapl:package-0", "rapl:package-0/core",
                                                  "rapl:package-0/uncore", "rapl:package-0/dram",
                                                  "rapl:psys"}));
  EXPECT_EQ(counted(*with), (std::vector<bool>{false, false, false, false, true}));
  EXPECT_EQ(with->domains()[4].kind, DomainKind::kPsys);
  set("intel-rapl:1", 12'000'000);
  std::vector<double> out(5);
  std::string err;
  ASSERT_TRUE(with->read(kSec, out, &err));
  EXPECT_NEAR(out[4], 12.0, 1e-12);
}

TEST_F(PowercapTest, PsysRequestedButAbsentKeepsPackageCounted) {
  zone("intel-rapl:0", "package-0", 0);
  auto s = make(/*psys=*/true);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(counted(*s), (std::vector<bool>{true}));
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_NE(notes_[0].reason.find("psys requested"), std::string::npos);
}

TEST_F(PowercapTest, MmioDuplicateOfThePackageIsNotCountedTwice) {
  fs_.mkdirs("class/powercap/intel-rapl-mmio");
  zone("intel-rapl:0", "package-0", 0);
  zone("intel-rapl:0:0", "core", 0);
  zone("intel-rapl-mmio:0", "package-0", 0);
  auto s = make();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(ids(*s), (std::vector<std::string>{"rapl:package-0", "rapl:package-0/core"}));
  EXPECT_TRUE(notes_.empty());
}

TEST_F(PowercapTest, MmioOnlyPackageIsUsed) {
  zone("intel-rapl-mmio:0", "package-0", 0);
  auto s = make();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(ids(*s), (std::vector<std::string>{"rapl:package-0"}));
}

// AMD Zen (Linux >= 5.8): same intel-rapl names, a package per socket with a core subzone and
// no dram zone.
TEST_F(PowercapTest, AmdTwoSocketsPackageAndCore) {
  zone("intel-rapl:0", "package-0", 100, 65'532'610'987);
  zone("intel-rapl:0:0", "core", 100, 65'532'610'987);
  zone("intel-rapl:1", "package-1", 100, 65'532'610'987);
  zone("intel-rapl:1:0", "core", 100, 65'532'610'987);
  auto s = make();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(ids(*s), (std::vector<std::string>{"rapl:package-0", "rapl:package-0/core",
                                               "rapl:package-1", "rapl:package-1/core"}));
  EXPECT_EQ(counted(*s), (std::vector<bool>{true, false, true, false}));
  set("intel-rapl:1", 100 + 42'000'000);
  std::vector<double> out(4);
  std::string err;
  ASSERT_TRUE(s->read(kSec, out, &err));
  EXPECT_NEAR(out[0], 0.0, 1e-12);
  EXPECT_NEAR(out[2], 42.0, 1e-12);
}

TEST_F(PowercapTest, ReadFailureReturnsFalseAndKeepsState) {
  zone("intel-rapl:0", "package-0", 0);
  zone("intel-rapl:0:0", "dram", 0);
  reader_ = std::make_shared<FailingReader>();
  auto s = make();
  ASSERT_NE(s, nullptr);
  set("intel-rapl:0", 1'000'000);
  set("intel-rapl:0:0", 1'000'000);
  reader_->fail("intel-rapl:0:0/energy_uj", EIO);
  std::vector<double> out(2, -1);
  std::string err;
  EXPECT_FALSE(s->read(kSec, out, &err));
  EXPECT_NE(err.find("intel-rapl:0:0/energy_uj"), std::string::npos) << err;
  EXPECT_NE(err.find("Input/output error"), std::string::npos) << err;
  reader_->clear();
  ASSERT_TRUE(s->read(2 * kSec, out, &err));
  EXPECT_NEAR(out[0], 1.0, 1e-12);
  EXPECT_NEAR(out[1], 1.0, 1e-12);
}

TEST_F(PowercapTest, UnknownRangeTreatsADecreaseAsReset) {
  zone("intel-rapl:0", "package-0", 500);
  fs_.remove("class/powercap/intel-rapl:0/max_energy_range_uj");
  auto s = make();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(notes_.size(), 1u);
  std::vector<double> out(1);
  std::string err;
  set("intel-rapl:0", 100);
  ASSERT_TRUE(s->read(kSec, out, &err));
  EXPECT_NEAR(out[0], 0.0, 1e-12);
  set("intel-rapl:0", 1'000'100);
  ASSERT_TRUE(s->read(2 * kSec, out, &err));
  EXPECT_NEAR(out[0], 1.0, 1e-12);
}

}  // namespace
}  // namespace wattserve::energy
