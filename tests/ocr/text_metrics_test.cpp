// Levenshtein distance over code points and the accuracy tally.
#include "ocr/text_metrics.h"

#include <gtest/gtest.h>

namespace wattserve::ocr {
namespace {

std::size_t lev(std::string_view a, std::string_view b) {
  return levenshtein(utf8_to_u32(a), utf8_to_u32(b));
}

TEST(Levenshtein, ClassicCases) {
  EXPECT_EQ(lev("", ""), 0u);
  EXPECT_EQ(lev("abc", ""), 3u);
  EXPECT_EQ(lev("", "abc"), 3u);
  EXPECT_EQ(lev("kitten", "sitting"), 3u);
  EXPECT_EQ(lev("flaw", "lawn"), 2u);
  EXPECT_EQ(lev("HELLO WORLD", "HELLOWORLD"), 1u);
  EXPECT_EQ(lev("abc", "abc"), 0u);
  EXPECT_EQ(lev("ab", "ba"), 2u);  // no transpositions
}

TEST(Levenshtein, IsSymmetric) {
  EXPECT_EQ(lev("Invoice No. 48213", "lnvoiceNo.48213"),
            lev("lnvoiceNo.48213", "Invoice No. 48213"));
}

TEST(Levenshtein, CountsCodePointsNotBytes) {
  // "中文" is 6 bytes, 2 code points.
  EXPECT_EQ(utf8_to_u32("\xE4\xB8\xAD\xE6\x96\x87").size(), 2u);
  EXPECT_EQ(lev("\xE4\xB8\xAD\xE6\x96\x87", "\xE4\xB8\xAD"), 1u);
  EXPECT_EQ(lev("\xC3\xA9t\xC3\xA9", "ete"), 2u);  // été vs ete
}

TEST(Utf8, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(utf8_to_u32("a\xFF"
                        "b"),
            (std::u32string{U'a', U'\uFFFD', U'b'}));
  EXPECT_EQ(utf8_to_u32("\xE4\xB8"), (std::u32string{U'\uFFFD', U'\uFFFD'}));  // truncated
}

TEST(AccuracyTally, ExactLinesAndCharacterAccuracy) {
  AccuracyTally t;
  EXPECT_EQ(t.exact_line_accuracy(), 0.0);
  EXPECT_EQ(t.character_accuracy(), 1.0);
  const auto a = t.add("HELLO WORLD", "HELLO WORLD");
  EXPECT_TRUE(a.exact);
  EXPECT_EQ(a.edits, 0u);
  EXPECT_EQ(a.chars, 11u);
  const auto b = t.add("0123456789", "01234563839");
  EXPECT_FALSE(b.exact);
  EXPECT_EQ(b.edits, 2u);
  EXPECT_EQ(t.items(), 2u);
  EXPECT_EQ(t.exact(), 1u);
  EXPECT_DOUBLE_EQ(t.exact_line_accuracy(), 0.5);
  EXPECT_DOUBLE_EQ(t.character_accuracy(), 1.0 - 2.0 / 21.0);
}

TEST(AccuracyTally, CharacterAccuracyNeverBelowZero) {
  AccuracyTally t;
  t.add("ab", "a much longer reading");
  EXPECT_EQ(t.character_accuracy(), 0.0);
}

}  // namespace
}  // namespace wattserve::ocr
