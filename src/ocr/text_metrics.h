// How close recognised text is to the truth: Levenshtein distance over Unicode code points, and
// the two accuracy figures `wattserve ocr --eval` reports (models/ocr/README.md):
//   exact-line accuracy = images whose recognised text equals the label / images;
//   character accuracy  = max(0, 1 - sum of edit distances / sum of label lengths).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace wattserve::ocr {

// UTF-8 to code points; each byte of an invalid sequence becomes U+FFFD.
std::u32string utf8_to_u32(std::string_view text);

// Insertions, deletions and substitutions (each costing 1) that turn `a` into `b`.
std::size_t levenshtein(std::u32string_view a, std::u32string_view b);

class AccuracyTally {
 public:
  struct Item {
    bool exact = false;
    std::size_t edits = 0;  // levenshtein(expected, predicted) in code points
    std::size_t chars = 0;  // code points of expected
  };
  Item add(std::string_view expected, std::string_view predicted);

  std::size_t items() const { return items_; }
  std::size_t exact() const { return exact_; }
  std::size_t edits() const { return edits_; }
  std::size_t chars() const { return chars_; }
  double exact_line_accuracy() const;  // 0 when empty
  double character_accuracy() const;   // 1 when there is nothing to get wrong

 private:
  std::size_t items_ = 0, exact_ = 0, edits_ = 0, chars_ = 0;
};

}  // namespace wattserve::ocr
