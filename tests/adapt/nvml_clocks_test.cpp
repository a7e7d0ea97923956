// The NVML actuator on the fake libnvidia-ml (tests/fakes/fake_nvml.c): it reads the supported
// clocks, the application clocks and the power limit; in dry run (the default) it calls no
// setter at all, only says what it would do; with allow_actuate it sets the snapped clock and
// the clamped limit and restore() puts them back; NVML's refusals and a missing library or GPU
// are clear errors; the frequency governor drives it through the FrequencyActuator interface.
#include "adapt/nvml_clocks.h"

#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "adapt/actuator.h"
#include "adapt/governor.h"

namespace wattserve::adapt {
namespace {

using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

constexpr const char* kFakeLib = WATTSERVE_FAKES_DIR "/libfake_nvml.so";
constexpr const char* kH100 =
    "name=FakeH100 mem_clocks=2619,1593 gr_clocks=1980,1755,1410,990,210 app_gr=1980 "
    "app_mem=2619 power_limit_mw=700000 power_min_mw=200000 power_max_mw=700000";

// Writes the fake's control file, points FAKE_NVML_CONFIG at it, and keeps the fake loaded to
// read its setter counters (the actuator's dlopen of the same path shares them).
class NvmlClocksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "fake_nvml_clocks_" + std::to_string(getpid()) + ".conf";
    setenv("FAKE_NVML_CONFIG", path_.c_str(), 1);
    fake_ = dlopen(kFakeLib, RTLD_NOW | RTLD_LOCAL);
    ASSERT_TRUE(fake_) << dlerror();
    hook<void (*)()>("fake_nvml_reset")();
  }
  void TearDown() override {
    if (fake_) dlclose(fake_);
    unsetenv("FAKE_NVML_CONFIG");
    std::remove(path_.c_str());
  }
  void config(const std::string& text) {
    std::ofstream f(path_, std::ios::trunc);
    f << text << "\n";
  }
  template <typename Fn>
  Fn hook(const char* name) const {
    auto fn = reinterpret_cast<Fn>(dlsym(fake_, name));
    EXPECT_TRUE(fn) << name;
    return fn;
  }
  int count(const char* name) const { return hook<int (*)()>(name)(); }
  unsigned value(const char* name, unsigned gpu = 0) const {
    return hook<unsigned (*)(unsigned)>(name)(gpu);
  }
  static NvmlClocksOptions options(bool actuate, unsigned device = 0) {
    NvmlClocksOptions o;
    o.library = kFakeLib;
    o.allow_actuate = actuate;
    o.device = device;
    return o;
  }

  std::string path_;
  void* fake_ = nullptr;
};

TEST_F(NvmlClocksTest, ReadsClocksAndPowerLimit) {
  config(kH100);
  const auto c = NvmlClocks::open(options(false));
  EXPECT_EQ(c.name(), "nvml");
  EXPECT_FALSE(c.allow_actuate());
  ASSERT_EQ(c.gpus().size(), 1u);
  const auto& g = c.gpus()[0];
  EXPECT_EQ(g.name, "FakeH100");
  EXPECT_EQ(g.memory_mhz, (std::vector<unsigned>{1593, 2619}));
  EXPECT_EQ(g.graphics_mhz, (std::vector<unsigned>{210, 990, 1410, 1755, 1980}));
  EXPECT_EQ(g.app_graphics_mhz, 1980u);
  EXPECT_EQ(g.app_memory_mhz, 2619u);
  EXPECT_TRUE(g.has_power_limit);
  EXPECT_EQ(g.power_limit_mw, 700000u);
  EXPECT_EQ(g.power_min_mw, 200000u);
  EXPECT_EQ(g.power_max_mw, 700000u);
  EXPECT_EQ(c.caps_khz(), (std::vector<uint64_t>{210000, 990000, 1410000, 1755000, 1980000}));
  EXPECT_EQ(count("fake_nvml_setter_calls"), 0);
}

TEST_F(NvmlClocksTest, DryRunIsTheDefaultAndCallsNoSetter) {
  EXPECT_FALSE(NvmlClocksOptions{}.allow_actuate);
  config(kH100);
  {
    auto c = NvmlClocks::open(options(false));
    const auto a = c.set_cap(1500000);  // snapped down to 1410 MHz
    EXPECT_FALSE(a.applied);
    EXPECT_EQ(a.requested_khz, 1500000u);
    EXPECT_EQ(a.lines,
              (std::vector<std::string>{"gpu0: application clocks 1980 -> 1410 MHz (dry run)"}));
    EXPECT_EQ(c.set_cap(990000).lines.at(0),  // from the real clocks: nothing was set
              "gpu0: application clocks 1980 -> 990 MHz (dry run)");
    const auto p = c.set_power_limit_mw(500000);
    EXPECT_FALSE(p.applied);
    EXPECT_EQ(p.lines, (std::vector<std::string>{"gpu0: power limit 700 -> 500 W (dry run)"}));
    EXPECT_THAT(c.set_power_limit_mw(50000).lines.at(0),
                HasSubstr("700 -> 200 W (clamped to 200..700 W) (dry run)"));
    c.restore();
  }  // nor does the destructor
  EXPECT_EQ(count("fake_nvml_setter_calls"), 0);
  EXPECT_EQ(count("fake_nvml_set_clocks_calls"), 0);
  EXPECT_EQ(count("fake_nvml_reset_clocks_calls"), 0);
  EXPECT_EQ(count("fake_nvml_set_power_limit_calls"), 0);
}

TEST_F(NvmlClocksTest, ActuatesSnappedClocksAndRestoreResetsWhenAllowed) {
  config(kH100 + std::string(" app_mem=1593"));
  auto c = NvmlClocks::open(options(true));
  auto a = c.set_cap(1500000);
  EXPECT_TRUE(a.applied);
  EXPECT_EQ(a.lines, (std::vector<std::string>{
                         "gpu0: application clocks 1980 -> 1410 MHz, memory 1593 -> 2619 MHz"}));
  EXPECT_EQ(count("fake_nvml_set_clocks_calls"), 1);
  EXPECT_EQ(value("fake_nvml_graphics_mhz"), 1410u);
  EXPECT_EQ(value("fake_nvml_memory_mhz"), 2619u);  // the highest memory clock
  EXPECT_EQ(c.set_cap(100).lines.at(0), "gpu0: application clocks 1410 -> 210 MHz");
  EXPECT_EQ(value("fake_nvml_graphics_mhz"), 210u);  // below every clock: the lowest
  c.set_cap(9'000'000);
  EXPECT_EQ(value("fake_nvml_graphics_mhz"), 1980u);  // above: the highest
  EXPECT_EQ(c.set_power_limit_mw(450000).lines.at(0), "gpu0: power limit 700 -> 450 W");
  EXPECT_EQ(value("fake_nvml_power_limit_mw"), 450000u);
  EXPECT_EQ(count("fake_nvml_reset_clocks_calls"), 0);

  c.restore();
  EXPECT_EQ(count("fake_nvml_reset_clocks_calls"), 1);
  EXPECT_EQ(count("fake_nvml_set_power_limit_calls"), 2);
  EXPECT_EQ(value("fake_nvml_power_limit_mw"), 700000u);  // the limit found when opened
  c.restore();                                            // nothing applied any more
  EXPECT_EQ(count("fake_nvml_setter_calls"), 6);
}

TEST_F(NvmlClocksTest, RestoreTouchesOnlyWhatWasAppliedAndTheDestructorRestores) {
  config(kH100);
  {
    auto c = NvmlClocks::open(options(true));
    c.restore();  // nothing applied yet
    EXPECT_EQ(count("fake_nvml_setter_calls"), 0);
    c.set_cap(990000);
  }
  EXPECT_EQ(count("fake_nvml_reset_clocks_calls"), 1);
  EXPECT_EQ(count("fake_nvml_set_power_limit_calls"), 0);  // the limit was never set
}

TEST_F(NvmlClocksTest, NoPermissionIsAClearError) {
  config(kH100 + std::string(" set_rc=4"));
  auto c = NvmlClocks::open(options(true));
  EXPECT_THAT([&] { c.set_cap(1410000); },
              ThrowsMessage<std::runtime_error>(
                  AllOf(HasSubstr("gpu0 (FakeH100)"), HasSubstr("nvmlDeviceSetApplicationsClocks"),
                        HasSubstr("Insufficient Permissions (4)"), HasSubstr("root"))));
  EXPECT_THAT([&] { c.set_power_limit_mw(300000); },
              ThrowsMessage<std::runtime_error>(
                  AllOf(HasSubstr("gpu0"), HasSubstr("nvmlDeviceSetPowerManagementLimit"),
                        HasSubstr("Insufficient Permissions"))));
  c.restore();  // nothing was applied: nothing to reset
  EXPECT_EQ(count("fake_nvml_reset_clocks_calls"), 0);
}

TEST_F(NvmlClocksTest, EveryGpuOrOne) {
  config(std::string(kH100) +
         "\nname=FakeA100 mem_clocks=1593 gr_clocks=1410,990,705 app_gr=1410 app_mem=1593");
  auto all = NvmlClocks::open(options(false, NvmlClocksOptions::kAllDevices));
  ASSERT_EQ(all.gpus().size(), 2u);
  EXPECT_FALSE(all.gpus()[1].has_power_limit);
  EXPECT_EQ(all.caps_khz(), (std::vector<uint64_t>{990000, 1410000}));  // common to both
  EXPECT_EQ(all.set_cap(1200000).lines,
            (std::vector<std::string>{"gpu0: application clocks 1980 -> 990 MHz (dry run)",
                                      "gpu1: application clocks 1410 -> 990 MHz (dry run)"}));
  EXPECT_THAT(all.set_power_limit_mw(300000).lines.at(1), HasSubstr("skipped"));
  const auto second = NvmlClocks::open(options(false, 1));
  ASSERT_EQ(second.gpus().size(), 1u);
  EXPECT_EQ(second.gpus()[0].index, 1u);
  EXPECT_EQ(second.caps_khz(), (std::vector<uint64_t>{705000, 990000, 1410000}));
  EXPECT_THAT([&] { NvmlClocks::open(options(false, 2)); },
              ThrowsMessage<std::runtime_error>(HasSubstr("GPU 2 does not exist")));
  EXPECT_EQ(count("fake_nvml_setter_calls"), 0);
}

TEST_F(NvmlClocksTest, TheGovernorLowersTheCapThroughTheInterfaceInDryRun) {
  config(kH100);
  auto clocks = NvmlClocks::open(options(false));
  FrequencyActuator& actuator = clocks;
  FrequencyGovernor governor(actuator.caps_khz());
  EXPECT_EQ(governor.cap_khz(), 1980000u);
  std::vector<std::string> log;
  for (int window = 0; window < 4; ++window) {
    const auto d = governor.update(100, 100);  // every request within the SLO: calm
    if (d.changed) {
      const auto a = actuator.set_cap(d.cap_khz);
      log.insert(log.end(), a.lines.begin(), a.lines.end());
    }
  }
  EXPECT_EQ(governor.cap_khz(), 1410000u);  // one step down per two calm windows
  EXPECT_EQ(log, (std::vector<std::string>{"gpu0: application clocks 1980 -> 1755 MHz (dry run)",
                                           "gpu0: application clocks 1980 -> 1410 MHz (dry run)"}));
  actuator.restore();
  EXPECT_EQ(count("fake_nvml_setter_calls"), 0);
}

TEST_F(NvmlClocksTest, MissingLibraryNoGpuAndUnsupportedClocksAreClearErrors) {
  auto o = options(false);
  o.library = "libnvidia-ml-does-not-exist.so.1";
  EXPECT_THAT([&] { NvmlClocks::open(o); },
              ThrowsMessage<std::runtime_error>(
                  AllOf(HasSubstr("libnvidia-ml-does-not-exist.so.1 cannot be loaded"),
                        HasSubstr("no NVIDIA driver"))));
  config("count_rc=0");
  EXPECT_THAT([&] { NvmlClocks::open(options(false)); },
              ThrowsMessage<std::runtime_error>(HasSubstr("found no NVIDIA GPU")));
  config("init_rc=9");
  EXPECT_THAT([&] { NvmlClocks::open(options(false)); },
              ThrowsMessage<std::runtime_error>(
                  AllOf(HasSubstr("nvmlInit_v2 failed"), HasSubstr("Driver Not Loaded"))));
  config("name=FakeT4 app_gr=1590");  // no supported clocks
  EXPECT_THAT([&] { NvmlClocks::open(options(false)); },
              ThrowsMessage<std::runtime_error>(
                  AllOf(HasSubstr("gpu0 (FakeT4)"), HasSubstr("Not Supported"),
                        HasSubstr("application clocks cannot be read or set"))));
  EXPECT_EQ(count("fake_nvml_setter_calls"), 0);
}

// The real driver where there is one (skipped elsewhere), in dry run only: the GPUs this project
// is lent must never have their clocks or power limit changed, and in dry run no setter of
// NVML is even looked up.
TEST(NvmlClocksReal, ReadsTheRealDriverInDryRunWhenPresent) {
  NvmlClocksOptions o;
  o.device = NvmlClocksOptions::kAllDevices;
  ASSERT_FALSE(o.allow_actuate);
  void* probe = dlopen(o.library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!probe) GTEST_SKIP() << "no " << o.library;
  dlclose(probe);
  std::unique_ptr<NvmlClocks> c;
  try {
    c = std::make_unique<NvmlClocks>(NvmlClocks::open(o));
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).find("no NVIDIA GPU") != std::string::npos ||
        std::string(e.what()).find("nvmlInit_v2 failed") != std::string::npos) {
      GTEST_SKIP() << e.what();
    }
    throw;
  }
  const auto caps = c->caps_khz();
  ASSERT_FALSE(caps.empty());
  for (const auto& g : c->gpus()) {
    std::printf(
        "gpu%u %s: graphics %u..%u MHz (%zu clocks), memory %u MHz, application %u/%u "
        "MHz, power limit %u mW (%u..%u)\n",
        g.index, g.name.c_str(), g.graphics_mhz.front(), g.graphics_mhz.back(),
        g.graphics_mhz.size(), g.memory_mhz.back(), g.app_graphics_mhz, g.app_memory_mhz,
        g.power_limit_mw, g.power_min_mw, g.power_max_mw);
  }
  const auto a = c->set_cap(caps[caps.size() / 2]);
  EXPECT_FALSE(a.applied);
  for (const auto& line : a.lines) {
    EXPECT_THAT(line, HasSubstr("(dry run)"));
    std::printf("%s\n", line.c_str());
  }
  for (const auto& line : c->set_power_limit_mw(1).lines) {  // clamped to the minimum
    EXPECT_THAT(line, AnyOf(HasSubstr("(dry run)"), HasSubstr("skipped")));
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace
}  // namespace wattserve::adapt
