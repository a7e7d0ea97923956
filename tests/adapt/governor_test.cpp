// The frequency governor's rules: lower one step after calm windows with slack, raise at once
// when attainment falls, hold on thin windows and in the slack band.
#include "adapt/governor.h"

#include <gtest/gtest.h>

namespace wattserve::adapt {
namespace {

const std::vector<uint64_t> kCaps = {3000000, 1200000, 2400000, 1800000, 2400000};

TEST(FrequencyGovernor, StartsAtTheHighestCapAndLowersAfterCalmWindows) {
  FrequencyGovernor g(kCaps);
  EXPECT_EQ(g.caps_khz(), (std::vector<uint64_t>{1200000, 1800000, 2400000, 3000000}));
  EXPECT_EQ(g.cap_khz(), 3000000u);
  auto d = g.update(100, 100);  // slack, but one calm window of two
  EXPECT_FALSE(d.changed);
  EXPECT_EQ(d.cap_khz, 3000000u);
  d = g.update(100, 100);
  EXPECT_TRUE(d.changed);
  EXPECT_EQ(d.cap_khz, 2400000u);
  EXPECT_NE(d.reason.find("lower"), std::string::npos);
  g.update(100, 100);
  g.update(100, 100);
  g.update(100, 100);
  d = g.update(100, 100);
  EXPECT_EQ(d.cap_khz, 1200000u);
  d = g.update(100, 100);  // already at the bottom
  EXPECT_FALSE(d.changed);
  EXPECT_NE(d.reason.find("lowest"), std::string::npos);
}

TEST(FrequencyGovernor, RaisesTwoStepsBelowTargetAndToTheTopFarBelow) {
  FrequencyGovernor g(kCaps);
  for (int i = 0; i < 6; ++i) g.update(100, 100);
  ASSERT_EQ(g.cap_khz(), 1200000u);
  auto d = g.update(97, 100);  // 0.97 < 0.99, within 5 points: two steps up
  EXPECT_TRUE(d.changed);
  EXPECT_EQ(d.cap_khz, 2400000u);
  for (int i = 0; i < 4; ++i) g.update(100, 100);
  ASSERT_EQ(g.cap_khz(), 1200000u);
  d = g.update(80, 100);  // far below: all the way up
  EXPECT_EQ(d.cap_khz, 3000000u);
  EXPECT_NE(d.reason.find("to the top"), std::string::npos);
}

TEST(FrequencyGovernor, HoldsOnThinWindowsAndInTheSlackBand) {
  FrequencyGovernor g(kCaps);
  g.update(100, 100);
  auto d = g.update(5, 5);  // too few requests: hold, and the calm count starts again
  EXPECT_FALSE(d.changed);
  EXPECT_NE(d.reason.find("hold"), std::string::npos);
  d = g.update(100, 100);
  EXPECT_FALSE(d.changed);
  d = g.update(992, 1000);  // 0.992: above target, below target + slack
  EXPECT_FALSE(d.changed);
  EXPECT_NE(d.reason.find("slack band"), std::string::npos);
  d = g.update(101, 100);  // impossible counts say nothing
  EXPECT_FALSE(d.changed);
}

TEST(FrequencyGovernor, RefusesNoCapsAndBadOptions) {
  EXPECT_THROW(FrequencyGovernor({}), std::invalid_argument);
  EXPECT_THROW(FrequencyGovernor({0}), std::invalid_argument);
  GovernorOptions o;
  o.target = 1.5;
  EXPECT_THROW(FrequencyGovernor({1000}, o), std::invalid_argument);
}

}  // namespace
}  // namespace wattserve::adapt
