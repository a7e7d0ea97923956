// Sampler: top-k -> top-p -> temperature -> seeded draw, as llama.cpp's sampler chain.
#include "engine/textgen/sampler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace wattserve::engine::textgen {

Token argmax(std::span<const float> logits) {
  if (logits.empty()) throw std::invalid_argument("argmax of empty logits");
  std::size_t best = 0;
  for (std::size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > logits[best]) best = i;
  }
  return static_cast<Token>(best);
}

Sampler::Sampler(const SamplingParams& params)
    : params_(params),
      rng_(params.seed == SamplingParams::kRandomSeed ? std::random_device{}() : params.seed) {}

Token Sampler::sample(std::span<const float> logits) {
  if (params_.temperature == 0.0f) return argmax(logits);
  if (logits.empty()) throw std::invalid_argument("sample from empty logits");

  cand_.resize(logits.size());
  for (std::size_t i = 0; i < logits.size(); ++i) {
    cand_[i] = {static_cast<Token>(i), logits[i]};
  }
  const auto by_logit = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  // top-k: keep the k largest, sorted descending.
  std::size_t n = cand_.size();
  if (params_.top_k > 0 && static_cast<std::size_t>(params_.top_k) < n) {
    n = static_cast<std::size_t>(params_.top_k);
    std::partial_sort(cand_.begin(), cand_.begin() + static_cast<std::ptrdiff_t>(n), cand_.end(),
                      by_logit);
    cand_.resize(n);
  } else {
    std::sort(cand_.begin(), cand_.end(), by_logit);
  }
  // Softmax over what is left (at temperature 1, as llama.cpp's top-p does).
  std::vector<double> p(n);
  const auto softmax = [&](double temp) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      p[i] = std::exp((static_cast<double>(cand_[i].logit) - cand_[0].logit) / temp);
      sum += p[i];
    }
    for (std::size_t i = 0; i < n; ++i) p[i] /= sum;
  };
  // top-p: the smallest prefix whose probability reaches top_p (at least one token).
  if (params_.top_p < 1.0f) {
    softmax(1.0);
    double cum = 0;
    std::size_t keep = n;
    for (std::size_t i = 0; i < n; ++i) {
      cum += p[i];
      if (cum >= params_.top_p) {
        keep = i + 1;
        break;
      }
    }
    n = keep;
    p.resize(n);
  }
  // Temperature, then a draw from the renormalised distribution.
  softmax(static_cast<double>(params_.temperature));
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  double cum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    cum += p[i];
    if (u < cum) return cand_[i].id;
  }
  return cand_[n - 1].id;
}

}  // namespace wattserve::engine::textgen
