// Token sampling from a logits vector, for the engines that compute logits themselves (ONNX
// Runtime, LibTorch). The same chain and the same meaning of every SamplingParams field as the
// llama.cpp backend's llama_sampler chain: greedy (argmax, lowest id on ties) when
// temperature == 0; otherwise top-k -> top-p -> temperature -> a draw from the softmax with a
// seeded std::mt19937 (llama.cpp's dist sampler). Engines agree on the distribution, not on the
// random draw (their logits differ in the last float bits).
#pragma once

#include <random>
#include <span>
#include <vector>

#include "engine/engine.h"

namespace wattserve::engine::textgen {

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);  // params must be valid (validate())
  Token sample(std::span<const float> logits);

 private:
  struct Candidate {
    Token id;
    float logit;
  };
  SamplingParams params_;
  std::mt19937 rng_;
  std::vector<Candidate> cand_;
};

// Greedy choice: index of the largest logit, the lowest index on ties.
Token argmax(std::span<const float> logits);

}  // namespace wattserve::engine::textgen
