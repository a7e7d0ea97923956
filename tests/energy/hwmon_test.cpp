#include "energy/sensors/hwmon.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>

#include "fake_sysfs.h"

namespace wattserve::energy {
namespace {

using testing::FailingReader;
using testing::FakeSysfs;

constexpr int64_t kSec = 1'000'000'000;

class HwmonTest : public ::testing::Test {
 protected:
  void SetUp() override { fs_.create(); }
  void TearDown() override { fs_.remove(); }

  void file(const std::string& rel, const std::string& content) {
    fs_.write("class/hwmon/" + rel, content + "\n");
  }
  bool include_cpu_ = true;
  std::unique_ptr<Sensor> make() {
    HwmonOptions o;
    o.sysfs_root = fs_.root();
    if (reader_) o.reader = reader_;
    o.include_cpu = include_cpu_;
    return make_hwmon_sensor(o, &notes_);
  }
  static std::vector<std::string> ids(const Sensor& s) {
    std::vector<std::string> v;
    for (const Domain& d : s.domains()) v.push_back(d.id);
    return v;
  }

  FakeSysfs fs_;
  std::shared_ptr<FailingReader> reader_;
  std::vector<SensorNote> notes_;
};

TEST_F(HwmonTest, AmdgpuEnergyCounterIsPreferred) {
  file("hwmon0/name", "k10temp");  // ignored
  file("hwmon3/name", "amdgpu");
  file("hwmon3/energy1_input", "1000000");
  file("hwmon3/power1_average", "50000000");
  auto s = make();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->name(), "hwmon");
  ASSERT_EQ(ids(*s), (std::vector<std::string>{"hwmon:amdgpu-0"}));
  EXPECT_EQ(s->domains()[0].kind, DomainKind::kGpu);
  EXPECT_EQ(s->domains()[0].source, Source::kCounter);
  EXPECT_TRUE(s->domains()[0].counted);
  std::vector<double> out(1), watts(1);
  std::string err;
  file("hwmon3/energy1_input", "31000000");
  ASSERT_TRUE(s->read(kSec, out, &err)) << err;
  EXPECT_NEAR(out[0], 30.0, 1e-12);
  file("hwmon3/energy1_input", "151000000");
  ASSERT_TRUE(s->read(3 * kSec, out, &err)) << err;
  EXPECT_NEAR(out[0], 150.0, 1e-12);
  s->last_power(watts);
  EXPECT_NEAR(watts[0], 60.0, 1e-12);
  file("hwmon3/energy1_input", "5000000");  // reset: the interval adds nothing
  ASSERT_TRUE(s->read(4 * kSec, out, &err)) << err;
  EXPECT_NEAR(out[0], 150.0, 1e-12);
  file("hwmon3/energy1_input", "7000000");
  ASSERT_TRUE(s->read(5 * kSec, out, &err)) << err;
  EXPECT_NEAR(out[0], 152.0, 1e-12);
}

TEST_F(HwmonTest, AmdgpuPowerOnlyIsIntegratedWithTrapezoids) {
  file("hwmon1/name", "amdgpu");
  file("hwmon1/power1_average", "10000000");  // µW
  file("hwmon2/name", "amdgpu");
  file("hwmon2/power1_input", "100000000");
  auto s = make();
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(ids(*s), (std::vector<std::string>{"hwmon:amdgpu-0", "hwmon:amdgpu-1"}));
  EXPECT_EQ(s->domains()[0].source, Source::kPower);
  std::vector<double> out(2), watts(2);
  std::string err;
  ASSERT_TRUE(s->read(1 * kSec, out, &err)) << err;
  EXPECT_NEAR(out[0], 0.0, 1e-12);  // first reading: no interval yet
  file("hwmon1/power1_average", "20000000");
  ASSERT_TRUE(s->read(3 * kSec, out, &err)) << err;
  EXPECT_NEAR(out[0], 30.0, 1e-9);   // (10 + 20) / 2 W x 2 s
  EXPECT_NEAR(out[1], 200.0, 1e-9);  // 100 W x 2 s
  file("hwmon1/power1_average", "5000000");
  ASSERT_TRUE(s->read(4 * kSec, out, &err)) << err;
  EXPECT_NEAR(out[0], 42.5, 1e-9);  // + (20 + 5) / 2 W x 1 s
  s->last_power(watts);
  EXPECT_NEAR(watts[0], 5.0, 1e-12);
  EXPECT_NEAR(watts[1], 100.0, 1e-12);
}

TEST_F(HwmonTest, AmdEnergySocketsCountedCoresNot) {
  file("hwmon2/name", "amd_energy");
  const char* labels[] = {"Ecore000", "Ecore001", "Esocket0", "Ecore064", "Esocket1"};
  for (int i = 0; i < 5; ++i) {
    std::string stem = "hwmon2/energy" + std::to_string(i + 1);
    file(stem + "_label", labels[i]);
    file(stem + "_input", "1000");
  }
  auto s = make();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(ids(*s),
            (std::vector<std::string>{"hwmon:amd_energy/core000", "hwmon:amd_energy/core001",
                                      "hwmon:amd_energy/socket0", "hwmon:amd_energy/core064",
                                      "hwmon:amd_energy/socket1"}));
  std::vector<bool> counted;
  for (const Domain& d : s->domains()) counted.push_back(d.counted);
  EXPECT_EQ(counted, (std::vector<bool>{false, false, true, false, true}));
  EXPECT_EQ(s->domains()[2].kind, DomainKind::kCpuPackage);
  EXPECT_EQ(s->domains()[0].kind, DomainKind::kCpuCore);
  file("hwmon2/energy3_input", "45001000");
  file("hwmon2/energy5_input", "12501000");
  file("hwmon2/energy1_input", "2001000");
  std::vector<double> out(5);
  std::string err;
  ASSERT_TRUE(s->read(kSec, out, &err)) << err;
  EXPECT_NEAR(out[2], 45.0, 1e-12);
  EXPECT_NEAR(out[4], 12.5, 1e-12);
  EXPECT_NEAR(out[0], 2.0, 1e-12);
  EXPECT_NEAR(out[1], 0.0, 1e-12);
}

TEST_F(HwmonTest, CpuCountersAreLeftOutWhenRaplMeasuresTheCpu) {
  file("hwmon1/name", "amdgpu");
  file("hwmon1/energy1_input", "1000");
  file("hwmon2/name", "amd_energy");
  file("hwmon2/energy1_label", "Esocket0");
  file("hwmon2/energy1_input", "1000");
  include_cpu_ = false;
  auto s = make();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(ids(*s), (std::vector<std::string>{"hwmon:amdgpu-0"}));
  include_cpu_ = true;
  EXPECT_EQ(make()->domains().size(), 2u);
}

TEST_F(HwmonTest, ZenpowerUsesTheSameLabelsAndUnlabelledIsSkipped) {
  file("hwmon0/name", "zenpower");
  file("hwmon0/energy1_input", "0");
  file("hwmon0/energy1_label", "Esocket0");
  file("hwmon0/energy2_input", "0");  // no label
  auto s = make();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(ids(*s), (std::vector<std::string>{"hwmon:zenpower/socket0"}));
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_NE(notes_[0].reason.find("energy2_input"), std::string::npos) << notes_[0].reason;
}

TEST_F(HwmonTest, UnreadableCounterIsSkippedWithANote) {
  file("hwmon0/name", "amd_energy");
  file("hwmon0/energy1_input", "0");
  file("hwmon0/energy1_label", "Esocket0");
  file("hwmon1/name", "amdgpu");
  file("hwmon1/power1_input", "1000000");
  reader_ = std::make_shared<FailingReader>();
  reader_->fail("hwmon0/energy1_input", EACCES);
  auto s = make();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(ids(*s), (std::vector<std::string>{"hwmon:amdgpu-0"}));
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_NE(notes_[0].reason.find("Permission denied"), std::string::npos);
  EXPECT_NE(notes_[0].hint.find("root"), std::string::npos);
}

TEST_F(HwmonTest, ReadFailureReturnsFalse) {
  file("hwmon0/name", "amdgpu");
  file("hwmon0/power1_input", "1000000");
  reader_ = std::make_shared<FailingReader>();
  auto s = make();
  ASSERT_NE(s, nullptr);
  reader_->fail("power1_input", EIO);
  std::vector<double> out(1);
  std::string err;
  EXPECT_FALSE(s->read(kSec, out, &err));
  EXPECT_NE(err.find("power1_input"), std::string::npos) << err;
}

TEST_F(HwmonTest, NothingSupportedGivesNull) {
  file("hwmon0/name", "coretemp");
  file("hwmon1/name", "amdgpu");  // no energy or power file
  EXPECT_EQ(make(), nullptr);
  ASSERT_EQ(notes_.size(), 2u);
  EXPECT_NE(notes_[1].reason.find("no usable hwmon"), std::string::npos);
}

TEST_F(HwmonTest, NoHwmonDirectory) {
  EXPECT_EQ(make(), nullptr);
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_NE(notes_[0].reason.find("no hwmon interface"), std::string::npos);
}

}  // namespace
}  // namespace wattserve::energy
