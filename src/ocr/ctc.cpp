// CTC greedy decoding (see ctc.h).
#include "ocr/ctc.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace wattserve::ocr {

std::vector<std::string> load_ctc_labels(const std::string& dictionary_path) {
  std::ifstream in(dictionary_path, std::ios::binary);
  if (!in) {
    throw std::invalid_argument(
        fmt::format("cannot read the character dictionary {}", dictionary_path));
  }
  std::vector<std::string> labels{""};
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  if (labels.size() == 1) {
    throw std::invalid_argument(
        fmt::format("the character dictionary {} has no characters", dictionary_path));
  }
  labels.emplace_back(" ");
  return labels;
}

Decoded ctc_greedy_decode(std::span<const float> probs, std::size_t steps,
                          std::span<const std::string> labels) {
  const std::size_t classes = labels.size();
  if (classes < 2 || probs.size() != steps * classes) {
    throw std::invalid_argument(
        fmt::format("CTC decoding: {} probabilities are not {} steps x {} classes", probs.size(),
                    steps, classes));
  }
  Decoded out;
  double sum = 0;
  std::size_t kept = 0;
  std::size_t previous = 0;
  for (std::size_t t = 0; t < steps; ++t) {
    const auto row = probs.subspan(t * classes, classes);
    const auto best =
        static_cast<std::size_t>(std::max_element(row.begin(), row.end()) - row.begin());
    if (best != 0 && (t == 0 || best != previous)) {
      out.text += labels[best];
      sum += row[best];
      ++kept;
    }
    previous = best;
  }
  out.score = kept ? static_cast<float>(sum / static_cast<double>(kept)) : 0.0f;
  return out;
}

}  // namespace wattserve::ocr
