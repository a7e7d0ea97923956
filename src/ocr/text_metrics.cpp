// Edit distance and accuracy figures (see text_metrics.h).
#include "ocr/text_metrics.h"

#include <algorithm>
#include <vector>

namespace wattserve::ocr {

std::u32string utf8_to_u32(std::string_view text) {
  std::u32string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t len = 0;
    char32_t cp = 0;
    if (lead < 0x80) {
      len = 1, cp = lead;
    } else if ((lead >> 5) == 0x6) {
      len = 2, cp = lead & 0x1Fu;
    } else if ((lead >> 4) == 0xE) {
      len = 3, cp = lead & 0x0Fu;
    } else if ((lead >> 3) == 0x1E) {
      len = 4, cp = lead & 0x07u;
    }
    bool ok = len > 0 && i + len <= text.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      ok = (c >> 6) == 0x2;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    if (!ok) {
      out.push_back(U'\uFFFD');
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

std::size_t levenshtein(std::u32string_view a, std::u32string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];  // distance(a[:i-1], b[:j-1])
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

AccuracyTally::Item AccuracyTally::add(std::string_view expected, std::string_view predicted) {
  const auto want = utf8_to_u32(expected);
  Item item{expected == predicted, levenshtein(want, utf8_to_u32(predicted)), want.size()};
  ++items_;
  exact_ += item.exact ? 1 : 0;
  edits_ += item.edits;
  chars_ += item.chars;
  return item;
}

double AccuracyTally::exact_line_accuracy() const {
  return items_ ? static_cast<double>(exact_) / static_cast<double>(items_) : 0.0;
}

double AccuracyTally::character_accuracy() const {
  if (chars_ == 0) return edits_ == 0 ? 1.0 : 0.0;
  return std::max(0.0, 1.0 - static_cast<double>(edits_) / static_cast<double>(chars_));
}

}  // namespace wattserve::ocr
