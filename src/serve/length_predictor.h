// The output-length predictor behind shortest-predicted-job-first scheduling: an online linear
// model of log(1 + output tokens) on features of the request (its prompt's length in bytes and
// words, max_tokens, and a hashed bag of the prompt's words), fitted by recursive least squares
// with forgetting as requests finish. Predictions are clamped to [1, max_tokens]; until it has
// seen kWarmup requests it predicts max_tokens. Formulas: docs/serve.md "Scheduling".
#pragma once

#include <cstddef>
#include <mutex>
#include <string_view>
#include <vector>

namespace wattserve::serve {

class LengthPredictor {
 public:
  static constexpr std::size_t kHashBuckets = 32;
  static constexpr std::size_t kFeatures = 4 + kHashBuckets;
  static constexpr int kWarmup = 8;
  // forgetting in (0, 1]: the weight of an observation n requests old is forgetting^n.
  explicit LengthPredictor(double forgetting = 0.995);

  // The request's feature vector (kFeatures values).
  static std::vector<double> features(std::string_view prompt, int max_tokens);
  // Predicted output tokens, in [1, max_tokens]. Thread-safe.
  double predict(const std::vector<double>& x, int max_tokens) const;
  // Learns from a finished request. Thread-safe.
  void learn(const std::vector<double>& x, int output_tokens);
  int observations() const;

 private:
  double forgetting_;
  mutable std::mutex mu_;
  std::vector<double> w_;  // kFeatures weights
  std::vector<double> p_;  // kFeatures x kFeatures inverse-correlation matrix, row-major
  int n_ = 0;
};

}  // namespace wattserve::serve
