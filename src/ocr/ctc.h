// CTC greedy decoding of the PP-OCR recogniser's output: per time step the most likely class,
// repeats merged, blanks dropped. The classes are PaddleOCR's: index 0 the CTC blank, then the
// dictionary file's characters in order (one per line), then a space.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace wattserve::ocr {

// The class labels for a dictionary file: {"" (blank), line 1, ..., line N, " "}. Throws
// std::invalid_argument naming the file when it cannot be read or has no characters.
std::vector<std::string> load_ctc_labels(const std::string& dictionary_path);

struct Decoded {
  std::string text;  // UTF-8
  float score = 0;   // mean probability of the kept characters; 0 when there are none
};

// `probs` is one sequence: `steps` rows of labels.size() class probabilities. Throws
// std::invalid_argument when the sizes disagree.
Decoded ctc_greedy_decode(std::span<const float> probs, std::size_t steps,
                          std::span<const std::string> labels);

}  // namespace wattserve::ocr
