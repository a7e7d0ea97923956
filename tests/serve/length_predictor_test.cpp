// LengthPredictor: predicts max_tokens until warmed up, then learns from finished requests
// which prompts get long answers and which short ones, and stays within [1, max_tokens].
#include "serve/length_predictor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace wattserve::serve {
namespace {

TEST(LengthPredictor, PredictsTheCapUntilWarmedUp) {
  LengthPredictor p;
  const auto x = LengthPredictor::features("explain everything", 200);
  EXPECT_EQ(p.predict(x, 200), 200);
  for (int i = 0; i + 1 < LengthPredictor::kWarmup; ++i) p.learn(x, 10);
  EXPECT_EQ(p.predict(x, 200), 200);
}

TEST(LengthPredictor, LearnsWhichPromptsGetLongAnswers) {
  LengthPredictor p;
  std::mt19937 rng(7);
  const std::vector<std::string> subjects = {"parsers", "caches", "threads", "sockets"};
  std::normal_distribution<double> noise(0.0, 0.1);
  double mae = 0, cap_mae = 0;
  int n = 0;
  for (int i = 0; i < 400; ++i) {
    const bool long_one = rng() % 2;
    const std::string prompt =
        (long_one ? "write an essay about " : "one word for ") + subjects[rng() % subjects.size()];
    const int truth = static_cast<int>(std::lround((long_one ? 120 : 6) * std::exp(noise(rng))));
    const auto x = LengthPredictor::features(prompt, 256);
    const double predicted = p.predict(x, 256);
    EXPECT_GE(predicted, 1);
    EXPECT_LE(predicted, 256);
    if (i >= 200) {  // after learning
      mae += std::abs(predicted - truth);
      cap_mae += std::abs(256.0 - truth);
      ++n;
    }
    p.learn(x, truth);
  }
  EXPECT_LT(mae / n, 15.0);  // truths are 6 or 120 (+-10%); predicting 256 errs by > 130
  EXPECT_GT(cap_mae / n, 130.0);
  EXPECT_EQ(p.observations(), 400);
}

TEST(LengthPredictor, StaysFiniteOverManyRequests) {
  LengthPredictor p(0.99);
  const auto x = LengthPredictor::features("same prompt", 64);
  for (int i = 0; i < 20000; ++i) p.learn(x, 10);
  const double y = p.predict(x, 64);
  EXPECT_TRUE(std::isfinite(y));
  EXPECT_NEAR(y, 10, 0.5);
  const auto other = LengthPredictor::features("zebra quantum", 64);
  EXPECT_TRUE(std::isfinite(p.predict(other, 64)));
}

TEST(LengthPredictor, RejectsABadForgettingFactor) {
  EXPECT_THROW(LengthPredictor(0), std::invalid_argument);
  EXPECT_THROW(LengthPredictor(1.5), std::invalid_argument);
}

}  // namespace
}  // namespace wattserve::serve
