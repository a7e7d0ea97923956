// energy::MeterSpec and make_meter(): the one place meters for run, serve and bench are built.
#include "energy/sensors/meter_setup.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace wattserve::energy {
namespace {

TEST(MeterSetup, OneDefaultInterval) {
  const MeterSpec spec;
  EXPECT_EQ(spec.interval_ms, kDefaultMeterIntervalMs);
  EXPECT_EQ(kDefaultMeterIntervalMs, 100);
  EXPECT_EQ(MeterOptions{}.interval_ns, static_cast<int64_t>(kDefaultMeterIntervalMs * 1e6));
  EXPECT_EQ(spec.external_interval_ms, 1000);
  EXPECT_TRUE(spec.sensors.empty());
}

TEST(MeterSetup, SelectionSplitsTheSensorListAndSetsThePollInterval) {
  MeterSpec spec;
  spec.sensors = "rapl,,nvml,";
  spec.external_interval_ms = 250;
  spec.sel.sysfs_root = "/tmp/fake-sys";
  const auto sel = sensor_selection(spec);
  EXPECT_EQ(sel.only, (std::vector<std::string>{"rapl", "nvml"}));
  EXPECT_EQ(sel.external.interval_ns, 250'000'000);
  EXPECT_EQ(sel.sysfs_root, "/tmp/fake-sys");
}

TEST(MeterSetup, RefusesBadSpecs) {
  MeterSpec both;
  both.sel.external.command = "echo 1";
  both.sel.external.url = "http://127.0.0.1:1/";
  EXPECT_THROW(sensor_selection(both), std::invalid_argument);
  MeterSpec fast;
  fast.interval_ms = 0.5;
  EXPECT_THROW(make_meter(fast), std::invalid_argument);
  MeterSpec unknown;
  unknown.sensors = "no-such-sensor";
  EXPECT_THROW(make_meter(unknown), std::invalid_argument);
}

TEST(MeterSetup, MakesAMeterOverTheSelectedSensors) {
  MeterSpec spec;
  spec.sensors = "estimate";  // works on every machine (procfs and a CPU table)
  spec.interval_ms = 20;
  auto meter = make_meter(spec);
  ASSERT_NE(meter, nullptr);
  EXPECT_FALSE(meter->domains().empty());
  meter->start();
  meter->stop();
}

}  // namespace
}  // namespace wattserve::energy
