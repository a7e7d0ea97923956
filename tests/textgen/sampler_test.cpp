// The sampler shared by the onnx and torch text models: greedy is the argmax, each filter keeps
// what it should, a seed fixes the draws, and the draws follow softmax(logits / T).
#include "engine/textgen/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace wattserve::engine::textgen {
namespace {

SamplingParams sampling(float temperature, int top_k, float top_p, std::uint32_t seed) {
  SamplingParams p;
  p.temperature = temperature;
  p.top_k = top_k;
  p.top_p = top_p;
  p.seed = seed;
  return p;
}

TEST(Sampler, GreedyIsArgmaxWithLowestIdOnTies) {
  const std::vector<float> logits{0.5f, 3.0f, -1.0f, 3.0f};
  Sampler s(sampling(0.0f, 40, 0.95f, 1));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(s.sample(logits), 1);
  EXPECT_EQ(argmax(std::vector<float>{-2.0f, -1.0f}), 1);
}

TEST(Sampler, TopKOfOneIsGreedyAtAnyTemperature) {
  const std::vector<float> logits{0.1f, 0.2f, 0.15f, 0.19f};
  Sampler s(sampling(5.0f, 1, 1.0f, 7));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(s.sample(logits), 1);
}

TEST(Sampler, TopKDrawsOnlyAmongTheKLargest) {
  const std::vector<float> logits{5.0f, 0.0f, 4.9f, 4.8f, 0.1f};
  Sampler s(sampling(100.0f, 3, 1.0f, 11));
  std::map<Token, int> seen;
  for (int i = 0; i < 300; ++i) ++seen[s.sample(logits)];
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_GT(seen[0], 0);
  EXPECT_GT(seen[2], 0);
  EXPECT_GT(seen[3], 0);
}

TEST(Sampler, TopPKeepsTheSmallestPrefixReachingP) {
  // softmax of {ln 0.5, ln 0.3, ln 0.2} = {0.5, 0.3, 0.2}: p = 0.75 keeps the first two.
  const std::vector<float> logits{std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  Sampler s(sampling(1.0f, 0, 0.75f, 3));
  std::map<Token, int> seen;
  for (int i = 0; i < 400; ++i) ++seen[s.sample(logits)];
  EXPECT_EQ(seen.count(2), 0u);
  EXPECT_GT(seen[0], seen[1]);
  EXPECT_GT(seen[1], 0);
}

TEST(Sampler, SameSeedSameDrawsOtherSeedOtherDraws) {
  std::vector<float> logits(100);
  for (std::size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(i % 7) * 0.3f;
  auto draws = [&](std::uint32_t seed) {
    Sampler s(sampling(1.0f, 0, 1.0f, seed));
    std::vector<Token> out;
    for (int i = 0; i < 64; ++i) out.push_back(s.sample(logits));
    return out;
  };
  EXPECT_EQ(draws(42), draws(42));
  EXPECT_NE(draws(42), draws(43));
}

TEST(Sampler, DrawsFollowTheTemperedSoftmax) {
  // p_i proportional to exp(l_i / T): with l = {0, ln 2, ln 4} and T = 1 that is {1, 2, 4} / 7;
  // with T = 2 it is {1, sqrt2, 2} / (3 + sqrt2). 20000 seeded draws: each frequency is within
  // 4 standard deviations (sd <= 0.0036) of its probability.
  const std::vector<float> logits{0.0f, std::log(2.0f), std::log(4.0f)};
  for (const float temp : {1.0f, 2.0f}) {
    Sampler s(sampling(temp, 0, 1.0f, 2024));
    std::vector<int> count(3);
    constexpr int kDraws = 20000;
    for (int i = 0; i < kDraws; ++i) ++count[static_cast<std::size_t>(s.sample(logits))];
    double z = 0;
    std::vector<double> p(3);
    for (std::size_t i = 0; i < 3; ++i) z += p[i] = std::exp(logits[i] / temp);
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_NEAR(count[i] / double{kDraws}, p[i] / z, 4 * 0.0036)
          << "token " << i << " T " << temp;
    }
  }
}

}  // namespace
}  // namespace wattserve::engine::textgen
