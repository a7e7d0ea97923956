// LengthPredictor: recursive least squares on request features (length_predictor.h).
#include "serve/length_predictor.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace wattserve::serve {

namespace {

constexpr double kInitialVariance = 100.0;  // P(0) = 100 I: a weak prior of zero weights

std::uint32_t fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(c)));
    h *= 16777619u;
  }
  return h;
}

}  // namespace

LengthPredictor::LengthPredictor(double forgetting)
    : forgetting_(forgetting), w_(kFeatures, 0.0), p_(kFeatures * kFeatures, 0.0) {
  if (!(forgetting > 0 && forgetting <= 1)) {
    throw std::invalid_argument("the predictor's forgetting factor must be in (0, 1]");
  }
  for (std::size_t i = 0; i < kFeatures; ++i) p_[i * kFeatures + i] = kInitialVariance;
}

std::vector<double> LengthPredictor::features(std::string_view prompt, int max_tokens) {
  std::vector<double> x(kFeatures, 0.0);
  std::vector<double> bag(kHashBuckets, 0.0);
  std::size_t words = 0;
  for (std::size_t i = 0; i < prompt.size();) {
    while (i < prompt.size() && !std::isalnum(static_cast<unsigned char>(prompt[i]))) ++i;
    const std::size_t start = i;
    while (i < prompt.size() && std::isalnum(static_cast<unsigned char>(prompt[i]))) ++i;
    if (i > start) {
      ++words;
      bag[fnv1a(prompt.substr(start, i - start)) % kHashBuckets] += 1.0;
    }
  }
  x[0] = 1.0;
  x[1] = std::log1p(static_cast<double>(prompt.size())) / 8.0;
  x[2] = std::log1p(static_cast<double>(words)) / 8.0;
  x[3] = std::log1p(static_cast<double>(std::max(max_tokens, 1))) / 8.0;
  const double norm = words ? std::sqrt(static_cast<double>(words)) : 1.0;
  for (std::size_t b = 0; b < kHashBuckets; ++b) x[4 + b] = bag[b] / norm;
  return x;
}

double LengthPredictor::predict(const std::vector<double>& x, int max_tokens) const {
  const double cap = std::max(1, max_tokens);
  std::lock_guard lk(mu_);
  if (n_ < kWarmup || x.size() != kFeatures) return cap;
  double y = 0;
  for (std::size_t i = 0; i < kFeatures; ++i) y += w_[i] * x[i];
  return std::clamp(std::expm1(y), 1.0, cap);
}

void LengthPredictor::learn(const std::vector<double>& x, int output_tokens) {
  if (x.size() != kFeatures) throw std::invalid_argument("wrong feature vector size");
  const double y = std::log1p(static_cast<double>(std::max(output_tokens, 0)));
  std::lock_guard lk(mu_);
  // RLS: k = P x / (lambda + x' P x); w += k (y - w' x); P = (P - k x' P) / lambda.
  std::vector<double> px(kFeatures, 0.0);
  for (std::size_t i = 0; i < kFeatures; ++i) {
    for (std::size_t j = 0; j < kFeatures; ++j) px[i] += p_[i * kFeatures + j] * x[j];
  }
  double denom = forgetting_;
  for (std::size_t i = 0; i < kFeatures; ++i) denom += x[i] * px[i];
  double err = y;
  for (std::size_t i = 0; i < kFeatures; ++i) err -= w_[i] * x[i];
  for (std::size_t i = 0; i < kFeatures; ++i) w_[i] += px[i] / denom * err;
  // P is symmetric, so x' P = (P x)'.
  for (std::size_t i = 0; i < kFeatures; ++i) {
    for (std::size_t j = 0; j < kFeatures; ++j) {
      p_[i * kFeatures + j] = (p_[i * kFeatures + j] - px[i] * px[j] / denom) / forgetting_;
    }
  }
  // Forgetting inflates P along directions the features never excite (unused hash buckets);
  // cap its trace at the prior's so it cannot wind up to overflow.
  double trace = 0;
  for (std::size_t i = 0; i < kFeatures; ++i) trace += p_[i * kFeatures + i];
  const double max_trace = kInitialVariance * static_cast<double>(kFeatures);
  if (trace > max_trace) {
    for (double& v : p_) v *= max_trace / trace;
  }
  ++n_;
}

int LengthPredictor::observations() const {
  std::lock_guard lk(mu_);
  return n_;
}

}  // namespace wattserve::serve
