// The cpufreq actuator on a fake /sys/devices/system/cpu/cpufreq tree: it reads the policies,
// offers their common available frequencies (or even steps), writes nothing in dry-run mode
// (the default), writes and restores every policy's cap with allow_actuate, and refuses a
// machine without cpufreq with a message that says so.
#include "adapt/cpufreq.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace wattserve::adapt {
namespace {

namespace fs = std::filesystem;

class FakeCpuFreq : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("wattserve-cpufreq-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    policy("policy0", "2400000 1800000 1200000");
    policy("policy1", "2400000 1800000 1200000 800000");
  }
  void TearDown() override { fs::remove_all(root_); }

  void policy(const std::string& name, const std::string& available) {
    const auto d = root_ / name;
    fs::create_directories(d);
    write(d / "cpuinfo_min_freq", "800000");
    write(d / "cpuinfo_max_freq", "2400000");
    write(d / "scaling_max_freq", "2400000");
    if (!available.empty()) write(d / "scaling_available_frequencies", available + " ");
  }
  static void write(const fs::path& p, const std::string& text) {
    std::ofstream(p) << text << "\n";
  }
  std::string cap(const std::string& name) const {
    std::string s;
    std::ifstream(root_ / name / "scaling_max_freq") >> s;
    return s;
  }
  CpuFreqOptions options(bool actuate) const { return {root_.string(), actuate}; }

  fs::path root_;
};

TEST_F(FakeCpuFreq, ReadsPoliciesAndOffersTheCommonFrequencies) {
  const auto c = CpuFreq::open(options(false));
  ASSERT_EQ(c.policies().size(), 2u);
  EXPECT_EQ(c.policies()[0].name, "policy0");
  EXPECT_EQ(c.policies()[1].cap_khz, 2400000u);
  EXPECT_EQ(c.caps_khz(), (std::vector<uint64_t>{1200000, 1800000, 2400000}));
}

TEST_F(FakeCpuFreq, EvenStepsWithoutAvailableFrequencies) {
  fs::remove(root_ / "policy1" / "scaling_available_frequencies");
  const auto c = CpuFreq::open(options(false));
  EXPECT_EQ(c.caps_khz(5), (std::vector<uint64_t>{800000, 1200000, 1600000, 2000000, 2400000}));
}

TEST_F(FakeCpuFreq, DryRunIsTheDefaultAndWritesNothing) {
  EXPECT_FALSE(CpuFreqOptions{}.allow_actuate);
  auto c = CpuFreq::open(options(false));
  const auto a = c.set_cap(1200000);
  EXPECT_FALSE(a.applied);
  ASSERT_EQ(a.lines.size(), 2u);
  EXPECT_THAT(a.lines[0], ::testing::HasSubstr("dry run"));
  EXPECT_EQ(cap("policy0"), "2400000");
  EXPECT_EQ(cap("policy1"), "2400000");
}

TEST_F(FakeCpuFreq, ActuatesClampsAndRestoresWhenAllowed) {
  auto c = CpuFreq::open(options(true));
  auto a = c.set_cap(1800000);
  EXPECT_TRUE(a.applied);
  EXPECT_EQ(cap("policy0"), "1800000");
  EXPECT_EQ(cap("policy1"), "1800000");
  c.set_cap(100);  // below every policy's minimum: clamped
  EXPECT_EQ(cap("policy0"), "800000");
  c.restore();
  EXPECT_EQ(cap("policy0"), "2400000");
  EXPECT_EQ(cap("policy1"), "2400000");
}

TEST_F(FakeCpuFreq, RefusesAMachineWithoutCpufreqAndMalformedFiles) {
  EXPECT_THAT(
      [&] {
        CpuFreq::open({(root_ / "nowhere").string(), false});
      },
      ::testing::ThrowsMessage<std::runtime_error>(::testing::HasSubstr("no cpufreq policy")));
  write(root_ / "policy0" / "cpuinfo_max_freq", "fast");
  EXPECT_THAT([&] { CpuFreq::open(options(false)); }, ::testing::ThrowsMessage<std::runtime_error>(
                                                          ::testing::HasSubstr("not a frequency")));
}

}  // namespace
}  // namespace wattserve::adapt
