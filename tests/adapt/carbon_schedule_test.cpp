// Carbon-aware start times: reading intensity CSVs as Electricity Maps exports them, the mean
// intensity of a job over a piecewise-constant series, and the best start before a deadline.
#include "adapt/carbon_schedule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace wattserve::adapt {
namespace {

namespace fs = std::filesystem;

std::string write_csv(const std::string& name, const std::string& text) {
  const auto p = fs::temp_directory_path() /
                 ("wattserve-carbon-" + std::to_string(::getpid()) + "-" + name + ".csv");
  std::ofstream(p) << text;
  return p.string();
}

// 4 hours: 400, 100, 300, 200 gCO2e/kWh from t = 0.
const std::vector<IntensityPoint> kSeries = {{0, 400}, {3600, 100}, {7200, 300}, {10800, 200}};

TEST(CarbonSchedule, ReadsElectricityMapsStyleCsv) {
  const auto path = write_csv("em",
                              "Datetime (UTC),Zone Id,Carbon Intensity gCO\xe2\x82\x82"
                              "eq/kWh (direct)\n"
                              "2024-01-01 01:00:00,FR,55.5\n"
                              "2024-01-01 00:00:00,FR,60\n");
  const auto s = read_intensity_csv(path);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].t_s, 1704067200);  // sorted by time
  EXPECT_DOUBLE_EQ(s[0].g_per_kwh, 60);
  EXPECT_DOUBLE_EQ(s[1].g_per_kwh, 55.5);
  fs::remove(path);
}

TEST(CarbonSchedule, RefusesBadRowsNamingTheLine) {
  const auto path = write_csv("bad", "time,value\n0,100\n3600,-5\n");
  EXPECT_THAT([&] { read_intensity_csv(path); },
              ::testing::ThrowsMessage<std::runtime_error>(::testing::HasSubstr(":3:")));
  const auto nocol = write_csv("nocol", "time,zone\n0,FR\n");
  EXPECT_THAT([&] { read_intensity_csv(nocol); },
              ::testing::ThrowsMessage<std::runtime_error>(::testing::HasSubstr("no intensity")));
  fs::remove(path);
  fs::remove(nocol);
}

TEST(CarbonSchedule, MeanIntensityIsTimeWeighted) {
  EXPECT_DOUBLE_EQ(mean_intensity(kSeries, 0, 3600), 400);
  EXPECT_DOUBLE_EQ(mean_intensity(kSeries, 1800, 3600), 250);   // half 400, half 100
  EXPECT_DOUBLE_EQ(mean_intensity(kSeries, 10800, 7200), 200);  // held after the last point
  EXPECT_TRUE(std::isnan(mean_intensity(kSeries, -1, 60)));
}

TEST(CarbonSchedule, StartsInTheCleanestWindowThatMeetsTheDeadline) {
  auto c = best_start(kSeries, 0, 3600, 4 * 3600);
  EXPECT_EQ(c.start_s, 3600);
  EXPECT_DOUBLE_EQ(c.mean_g_per_kwh, 100);
  EXPECT_DOUBLE_EQ(c.now_g_per_kwh, 400);
  EXPECT_DOUBLE_EQ(c.saved_fraction, 0.75);
  // A two-hour job: starting at 1 h averages 200, at 2 h 250, at 3 h 200 (tie: the earliest).
  c = best_start(kSeries, 0, 7200, 5 * 3600);
  EXPECT_EQ(c.start_s, 3600);
  EXPECT_DOUBLE_EQ(c.mean_g_per_kwh, 200);
  // A deadline that leaves no room to wait: start now.
  c = best_start(kSeries, 0, 3600, 3600);
  EXPECT_EQ(c.start_s, 0);
  EXPECT_DOUBLE_EQ(c.saved_fraction, 0);
  EXPECT_THROW(best_start(kSeries, 0, 0, 3600), std::invalid_argument);
  EXPECT_THROW(best_start(kSeries, -10, 60, 3600), std::invalid_argument);
}

}  // namespace
}  // namespace wattserve::adapt
