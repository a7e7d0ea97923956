// The online controller: least predicted energy within the headroom and the SLO, and feedback
// that moves one step faster after a missed window and holds there.
#include "adapt/controller.h"

#include <gtest/gtest.h>

#include <cmath>

namespace wattserve::adapt {
namespace {

AdaptOption option(const std::string& name, double step_s, double busy_w) {
  AdaptOption o;
  o.name = name;
  o.parallel = 4;
  o.profile.id = name;
  o.profile.kind = "text";
  o.profile.parallel = 4;
  o.profile.step.base_s = step_s;
  o.profile.prefill.base_s = step_s;
  o.profile.power.idle_w = 10;
  o.profile.power.busy_w = busy_w;
  return o;
}

ControllerOptions opts() {
  ControllerOptions co;
  co.slo_e2e_s = 1.0;
  co.shape = {10, 10, 10};
  co.hold_windows = 2;
  return co;
}

// fast: 10 ms steps at 40 W; slow: 30 ms steps at 8 W (cheaper per request, a third the capacity:
// 4 / (11 * 0.03) = 12 req/s against 36 req/s).
std::vector<AdaptOption> two() {
  return {option("fast", 0.010, 40), option("slow", 0.030, 8)};
}

TEST(Controller, StartsFastAndPicksTheCheapestOptionTheRateAllows) {
  Controller c(two(), opts());
  EXPECT_EQ(c.options()[c.current()].name, "fast");
  auto d = c.update({1.0, 2, 2, 2, 0});  // 2 req/s
  EXPECT_EQ(c.options()[d.option].name, "slow");
  EXPECT_TRUE(d.changed);
  EXPECT_NE(d.reason.find("least predicted energy"), std::string::npos);
  // 20 req/s: beyond the slow option's headroom (0.7 x 12): back to fast at once.
  d = c.update({1.0, 20, 20, 20, 0});
  EXPECT_EQ(c.options()[d.option].name, "fast");
}

TEST(Controller, AMissedWindowMovesOneStepFasterAndHolds) {
  Controller c(two(), opts());
  c.update({1.0, 2, 2, 2, 0});
  ASSERT_EQ(c.options()[c.current()].name, "slow");
  // Attainment 0.9 at a low rate: the prediction says slow, the feedback overrides it.
  auto d = c.update({1.0, 2, 10, 9, 0});
  EXPECT_EQ(c.options()[d.option].name, "fast");
  EXPECT_NE(d.reason.find("below the target"), std::string::npos);
  // Held for hold_windows windows (the calm one that follows still counts down).
  d = c.update({1.0, 2, 2, 2, 0});
  EXPECT_EQ(c.options()[d.option].name, "fast");
  d = c.update({1.0, 2, 2, 2, 0});
  d = c.update({1.0, 2, 2, 2, 0});
  EXPECT_EQ(c.options()[d.option].name, "slow");
}

TEST(Controller, ALongQueueCountsAsAMissedWindow) {
  Controller c(two(), opts());
  c.update({1.0, 2, 2, 2, 0});
  const auto d = c.update({1.0, 2, 2, 2, 1000});
  EXPECT_EQ(c.options()[d.option].name, "fast");
  EXPECT_NE(d.reason.find("queued"), std::string::npos);
}

TEST(Controller, PredictionsFollowTheQueueingModel) {
  const auto o = option("x", 0.010, 40);
  const auto p = predict(o, 0, {10, 10, 10});
  // S(4) = prefill 10 ms + 10 tokens x 10 ms; capacity = 4 / S.
  EXPECT_NEAR(p.capacity_per_s, 4 / 0.11, 1e-9);
  const auto hi = predict(o, 100, {10, 10, 10});  // beyond capacity
  EXPECT_FALSE(std::isfinite(hi.latency_p99_s));
  EXPECT_GT(hi.utilisation, 1);
}

TEST(Controller, NeverChoosesAVariantBelowTheQualityFloor) {
  auto options = two();
  options[0].profile.quality = 0.9;  // fast
  options[1].profile.quality = 0.5;  // slow: cheaper, but below the floor
  auto co = opts();
  co.min_quality = 0.8;
  Controller c(options, co);
  const auto d = c.update({1.0, 2, 2, 2, 0});
  EXPECT_EQ(c.options()[d.option].name, "fast");
  co.min_quality = 0.4;
  Controller c2(options, co);
  EXPECT_EQ(c2.options()[c2.update({1.0, 2, 2, 2, 0}).option].name, "slow");
}

TEST(Controller, RefusesBadOptions) {
  EXPECT_THROW(Controller({}, opts()), std::invalid_argument);
  auto co = opts();
  co.headroom = 0;
  EXPECT_THROW(Controller(two(), co), std::invalid_argument);
}

}  // namespace
}  // namespace wattserve::adapt
