// CTC greedy decoding on hand-made probability rows, and the dictionary's class layout.
#include "ocr/ctc.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace wattserve::ocr {
namespace {

// One row per step, all mass on `best` except a little on the others.
std::vector<float> rows(const std::vector<std::size_t>& best, std::size_t classes) {
  std::vector<float> p(best.size() * classes, 0.01f);
  for (std::size_t t = 0; t < best.size(); ++t) p[t * classes + best[t]] = 0.9f;
  return p;
}

const std::vector<std::string> kLabels{"", "a", "b", "c", " "};

TEST(CtcDecode, MergesRepeatsAndDropsBlanks) {
  // a a _ a b b _ _ c  ->  "aabc": a blank separates two a's, repeats merge.
  const auto p = rows({1, 1, 0, 1, 2, 2, 0, 0, 3}, kLabels.size());
  const auto d = ctc_greedy_decode(p, 9, kLabels);
  EXPECT_EQ(d.text, "aabc");
  EXPECT_FLOAT_EQ(d.score, 0.9f);
}

TEST(CtcDecode, LeadingAndTrailingBlanksAndSpace) {
  const auto p = rows({0, 0, 1, 4, 4, 2, 0}, kLabels.size());
  EXPECT_EQ(ctc_greedy_decode(p, 7, kLabels).text, "a b");
}

TEST(CtcDecode, AllBlankIsEmptyWithScoreZero) {
  const auto p = rows({0, 0, 0}, kLabels.size());
  const auto d = ctc_greedy_decode(p, 3, kLabels);
  EXPECT_EQ(d.text, "");
  EXPECT_EQ(d.score, 0.0f);
  EXPECT_EQ(ctc_greedy_decode({}, 0, kLabels).text, "");
}

TEST(CtcDecode, ScoreIsTheMeanOfTheKeptMaxima) {
  std::vector<float> p = rows({1, 1, 2}, kLabels.size());
  p[0 * 5 + 1] = 0.6f;  // first 'a' kept, the repeat not
  p[1 * 5 + 1] = 0.2f;
  p[1 * 5 + 0] = 0.1f;
  p[2 * 5 + 2] = 0.8f;
  EXPECT_FLOAT_EQ(ctc_greedy_decode(p, 3, kLabels).score, 0.7f);
}

TEST(CtcDecode, RejectsSizesThatDisagree) {
  const auto p = rows({1, 2}, kLabels.size());
  EXPECT_THROW(ctc_greedy_decode(p, 3, kLabels), std::invalid_argument);
  EXPECT_THROW(ctc_greedy_decode(std::span(p).first(9), 2, kLabels), std::invalid_argument);
}

TEST(CtcLabels, BlankDictionaryThenSpace) {
  const auto path = std::filesystem::path(::testing::TempDir()) / "ocr_keys.txt";
  std::ofstream(path, std::ios::binary) << "a\nb\r\n\xE4\xB8\xAD\n";  // a, b (CRLF), 中
  const auto labels = load_ctc_labels(path.string());
  EXPECT_EQ(labels, (std::vector<std::string>{"", "a", "b", "\xE4\xB8\xAD", " "}));
  std::filesystem::remove(path);
}

TEST(CtcLabels, MissingOrEmptyDictionaryNamesTheFile) {
  try {
    load_ctc_labels("/nonexistent/keys.txt");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/keys.txt"), std::string::npos);
  }
  const auto path = std::filesystem::path(::testing::TempDir()) / "empty_keys.txt";
  std::ofstream{path};
  EXPECT_THROW(load_ctc_labels(path.string()), std::invalid_argument);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace wattserve::ocr
