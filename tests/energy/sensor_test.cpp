#include "energy/core/sensor.h"

#include <gtest/gtest.h>

namespace wattserve::energy {
namespace {

TEST(CounterUnwrapper, AddsDeltasAndUnfoldsOneWrap) {
  CounterUnwrapper u(1000);
  EXPECT_EQ(u.update(900), 0);
  EXPECT_EQ(u.update(950), 50);
  EXPECT_EQ(u.update(20), 120);  // wrapped: 50 to the top, 20 after
  EXPECT_EQ(u.total(), 120);
}

TEST(CounterUnwrapper, UnknownRangeNeverGoesBackwards) {
  CounterUnwrapper u;
  u.update(500);
  EXPECT_EQ(u.update(100), 0);
  EXPECT_EQ(u.update(150), 50);
}

TEST(PowerIntegrator, TrapezoidOnARamp) {
  PowerIntegrator p;
  p.add(0, 10);
  p.add(1'000'000'000, 20);  // 1 s from 10 W to 20 W: 15 J
  EXPECT_DOUBLE_EQ(p.joules(), 15);
  p.add(3'000'000'000, 5, /*mean_since_previous=*/true);  // 2 s at a mean 5 W
  EXPECT_DOUBLE_EQ(p.joules(), 25);
}

TEST(Source, WeakestIsTheLeastTrustworthy) {
  EXPECT_EQ(weakest(Source::kCounter, Source::kPower), Source::kPower);
  EXPECT_EQ(weakest(Source::kEstimate, Source::kCounter), Source::kEstimate);
  EXPECT_EQ(to_string(Source::kCounter), "counter");
}

}  // namespace
}  // namespace wattserve::energy
