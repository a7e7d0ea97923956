#include "energy/sensors/cpu_power_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "energy/core/embedded_csv.h"

namespace wattserve::energy {
namespace {

TEST(CpuClass, FromRealNames) {
  EXPECT_EQ(classify_cpu("Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz"), CpuClass::kServerIntel);
  EXPECT_EQ(classify_cpu("AMD EPYC 7763 64-Core Processor"), CpuClass::kServerAmd);
  EXPECT_EQ(classify_cpu("AMD Opteron(tm) Processor 6272"), CpuClass::kServerAmd);
  EXPECT_EQ(classify_cpu("AMD Ryzen 9 5950X 16-Core Processor"), CpuClass::kDesktopAmd);
  EXPECT_EQ(classify_cpu("AMD Ryzen Threadripper 1950X 16-Core Processor"), CpuClass::kDesktopAmd);
  EXPECT_EQ(classify_cpu("Intel(R) Core(TM) i9-9900K CPU @ 3.60GHz"), CpuClass::kDesktopIntel);
  EXPECT_EQ(classify_cpu("Intel(R) Core(TM) i7-8550U CPU @ 1.80GHz"), CpuClass::kMobile);
  EXPECT_EQ(classify_cpu("11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz"), CpuClass::kMobile);
  EXPECT_EQ(classify_cpu("AMD Ryzen 7 5800H with Radeon Graphics"), CpuClass::kMobile);
  EXPECT_EQ(classify_cpu("AMD Ryzen 7 7840HS w/ Radeon 780M Graphics"), CpuClass::kMobile);
  EXPECT_EQ(classify_cpu("Intel(R) Core(TM) Ultra 7 155H"), CpuClass::kMobile);
  EXPECT_EQ(classify_cpu("AMD Ryzen AI 9 HX 370 w/ Radeon 890M"), CpuClass::kMobile);
  EXPECT_EQ(classify_cpu("AMD Ryzen 5 5600G with Radeon Graphics"), CpuClass::kDesktopAmd);
  EXPECT_EQ(classify_cpu("Intel(R) Xeon(R) CPU E3-1240 V2 @ 3.40GHz"), CpuClass::kServerIntel);
  EXPECT_EQ(classify_cpu("QEMU Virtual CPU version 2.5+"), CpuClass::kUnknown);
  EXPECT_EQ(to_string(CpuClass::kServerAmd), "server-amd");
}

TEST(CpuPowerModel, CurveEndpointsAndShape) {
  EXPECT_DOUBLE_EQ(load_curve(0, 1.4), 0);
  EXPECT_DOUBLE_EQ(load_curve(1, 1.4), 1);
  EXPECT_DOUBLE_EQ(load_curve(0.5, 1.4), 1 - std::pow(0.5, 1.4));
  EXPECT_GT(load_curve(0.5, 1.4), 0.5);  // concave: above the straight line
}

TEST(CpuPowerModel, MonotonicIdleBelowTotalDynamicZeroAtIdle) {
  for (const char* name :
       {"AMD EPYC 7763 64-Core Processor", "Intel(R) Core(TM) i7-8550U CPU @ 1.80GHz",
        "AMD Ryzen 9 5950X 16-Core Processor", "unknown thing"}) {
    auto e0 = estimate_cpu_power(name, 0.0);
    EXPECT_DOUBLE_EQ(e0.dynamic_w, 0) << name;
    EXPECT_DOUBLE_EQ(e0.total_w, e0.idle_w) << name;
    double prev = e0.total_w;
    for (int i = 1; i <= 100; ++i) {
      auto e = estimate_cpu_power(name, i / 100.0);
      EXPECT_GT(e.total_w, prev) << name << " at " << i << " %";
      EXPECT_LT(e.idle_w, e.total_w);
      EXPECT_DOUBLE_EQ(e.dynamic_w, e.total_w - e.idle_w);
      prev = e.total_w;
    }
    EXPECT_DOUBLE_EQ(estimate_cpu_power(name, 1.0).total_w, estimate_cpu_power(name, 1.0).full_w);
  }
}

TEST(CpuPowerModel, ExactFormulaAndSockets) {
  // EPYC 7763: 280 W table TDP, server-amd: idle 0.25, full 0.80 of TDP per socket.
  auto e = estimate_cpu_power("AMD EPYC 7763 64-Core Processor", 0.5, {.tdp_w = 0, .sockets = 2});
  EXPECT_EQ(e.cpu_class, "server-amd");
  EXPECT_TRUE(e.tdp_from_table);
  EXPECT_EQ(e.matched_model, "AMD EPYC 7763");
  EXPECT_DOUBLE_EQ(e.tdp_w, 280);
  EXPECT_DOUBLE_EQ(e.idle_w, 2 * 280 * 0.25);
  EXPECT_DOUBLE_EQ(e.full_w, 2 * 280 * 0.80);
  EXPECT_DOUBLE_EQ(e.total_w, 2 * 280 * (0.25 + 0.55 * load_curve(0.5, 1.4)));
}

TEST(CpuPowerModel, ClassesDiffer) {
  // Same TDP, different classes: AMD's I/O die idles higher than Intel's desktop parts, and a
  // server busy loop stays further below TDP than a desktop/mobile one.
  CpuModelOptions o{.tdp_w = 100, .sockets = 1};
  auto server_amd = estimate_cpu_power("AMD EPYC 7763 64-Core Processor", 0, o);
  auto desktop_intel = estimate_cpu_power("Intel(R) Core(TM) i9-9900K CPU @ 3.60GHz", 0, o);
  auto server_intel = estimate_cpu_power("Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz", 1, o);
  auto mobile = estimate_cpu_power("Intel(R) Core(TM) i7-8550U CPU @ 1.80GHz", 1, o);
  EXPECT_GT(server_amd.idle_w, desktop_intel.idle_w);
  EXPECT_LT(server_intel.total_w, mobile.total_w);
  EXPECT_FALSE(server_intel.tdp_from_table);  // the user's TDP wins
}

TEST(CpuPowerModel, UnknownModelFallsBackTo85W) {
  auto e = estimate_cpu_power("QEMU Virtual CPU version 2.5+", 1.0);
  EXPECT_TRUE(e.tdp_fallback);
  EXPECT_FALSE(e.tdp_from_table);
  EXPECT_DOUBLE_EQ(e.tdp_w, kFallbackTdpW);
  EXPECT_EQ(e.cpu_class, "unknown");
  EXPECT_TRUE(e.matched_model.empty());
}

TEST(CpuPowerModel, InvalidInputsThrow) {
  EXPECT_THROW(estimate_cpu_power("x", -0.01), std::invalid_argument);
  EXPECT_THROW(estimate_cpu_power("x", 1.01), std::invalid_argument);
  EXPECT_THROW(estimate_cpu_power("x", 50), std::invalid_argument);
  EXPECT_THROW(estimate_cpu_power("x", std::nan("")), std::invalid_argument);
  EXPECT_THROW(estimate_cpu_power("x", 0.5, {.tdp_w = -1, .sockets = 1}), std::invalid_argument);
  EXPECT_THROW(estimate_cpu_power("x", 0.5, {.tdp_w = 0, .sockets = 0}), std::invalid_argument);
  try {
    estimate_cpu_power("x", 50);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("[0, 1]"), std::string::npos);
  }
}

// Sanity check only (the model was not fitted to these): CodeCarbon's load steps vs RAPL
// package power on a 2-socket Xeon E5-2620 v3 (6 cores x 2 threads, 85 W per socket from the
// table; we assume sockets = 2 as on that machine). Dynamic power = P(u) - P(0), within 35 %.
std::map<double, double> read_rapl(const std::string& file) {
  std::ifstream in(std::string(WATTSERVE_SOURCE_DIR) + "/data/codecarbon/" + file);
  std::stringstream ss;
  ss << in.rdbuf();
  auto rows = parse_csv(ss.str());
  std::map<double, double> out;  // cpu_load (0..100) -> rapl_power (W)
  for (size_t i = 1; i < rows.size(); ++i) out[std::stod(rows[i][5])] = std::stod(rows[i][8]);
  return out;
}

TEST(CpuPowerModel, SanityAgainstXeonE5_2620v3Measurements) {
  const char* name = "Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz";
  for (const char* file : {"cpu_load_vs_rapl_xeon_e5-2620v3_all_cores.csv",
                           "cpu_load_vs_rapl_xeon_e5-2620v3_some_cores.csv"}) {
    auto m = read_rapl(file);
    ASSERT_GE(m.size(), 10u) << file;
    double idle = m.begin()->second;
    for (auto [load, watts] : m) {
      if (load < 45) continue;
      bool near_half = load > 45 && load<55, near_full = load> 95;
      if (!near_half && !near_full) continue;
      auto e = estimate_cpu_power(name, load / 100.0, {.tdp_w = 0, .sockets = 2});
      EXPECT_DOUBLE_EQ(e.tdp_w, 85);
      double measured = watts - idle;
      EXPECT_NEAR(e.dynamic_w, measured, 0.35 * measured) << file << " at " << load << " %";
    }
  }
}

}  // namespace
}  // namespace wattserve::energy
