// The llama engine's tokenizer against llama.cpp's own test vectors (models/ggml-vocab-*.gguf
// with .inp/.out files, read as llama.cpp's tests/test-tokenizer-0 does), and detokenization.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine_test_util.h"

namespace wattserve::engine {
namespace {

struct Case {
  std::string text;
  std::vector<Token> ids;
};

// Inputs are separated by "\n__ggml_vocab_test__\n"; outputs are one line of ids per input.
std::vector<Case> read_cases(const std::string& vocab) {
  std::ifstream inp(vocab + ".inp", std::ios::binary), out(vocab + ".out");
  EXPECT_TRUE(inp && out) << "missing test vectors " << vocab << ".inp/.out";
  const std::string raw((std::istreambuf_iterator<char>(inp)), std::istreambuf_iterator<char>());
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> inputs;
  for (std::size_t pos = 0; pos < raw.size();) {
    const std::size_t next = raw.find(sep, pos);
    if (next == std::string::npos) {
      inputs.push_back(raw.substr(pos));
      break;
    }
    inputs.push_back(raw.substr(pos, next - pos));
    pos = next + sep.size();
  }
  std::vector<Case> cases;
  std::string line;
  for (const auto& in : inputs) {
    if (!std::getline(out, line)) break;
    Case c{in, {}};
    std::istringstream ids(line);
    for (Token t; ids >> t;) c.ids.push_back(t);
    cases.push_back(std::move(c));
  }
  EXPECT_EQ(cases.size(), inputs.size()) << vocab << ": .inp and .out disagree on the count";
  return cases;
}

class Tokenizer : public ::testing::TestWithParam<const char*> {};

TEST_P(Tokenizer, MatchesLlamaCppTestVectors) {
  const std::string vocab = test::vocab_path(GetParam());
  auto model = test::llama().load(vocab, test::vocab_only());
  TextModel& text = model->text();
  const auto cases = read_cases(vocab);
  ASSERT_GT(cases.size(), 10u);
  int failures = 0;
  for (const auto& c : cases) {
    // As test-tokenizer-0: no BOS/EOS, special-token text is plain text.
    const auto got = text.tokenize(c.text, false, false);
    if (got != c.ids) ++failures;
    EXPECT_EQ(got, c.ids) << "input: '" << c.text << "'";
  }
  EXPECT_EQ(failures, 0) << "of " << cases.size() << " cases";
}

TEST_P(Tokenizer, DetokenizeRoundTrips) {
  const std::string vocab = test::vocab_path(GetParam());
  auto model = test::llama().load(vocab, test::vocab_only());
  TextModel& text = model->text();
  for (const std::string s : {"Hello world", " Hello, y'all! How are you?", "3333 tokens\n\tx",
                              "нещо на Български", "🦙.cpp"}) {
    EXPECT_EQ(text.detokenize(text.tokenize(s, false, false)), s);
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabs, Tokenizer,
                         ::testing::Values("ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf",
                                           "ggml-vocab-qwen2.gguf"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           n = n.substr(11, n.size() - 16);  // ggml-vocab-X.gguf -> X
                           for (auto& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

TEST(Tokenizer, AddSpecialAddsBos) {
  auto model =
      test::llama().load(test::vocab_path("ggml-vocab-llama-spm.gguf"), test::vocab_only());
  const auto plain = model->text().tokenize("Hello", false);
  const auto with_bos = model->text().tokenize("Hello", true);
  ASSERT_EQ(with_bos.size(), plain.size() + 1);
  EXPECT_EQ(with_bos[0], 1);  // <s>
  // unparse_special renders <s>; remove_special drops it.
  EXPECT_EQ(model->text().detokenize(with_bos, false, true).rfind("<s>", 0), 0u);
  EXPECT_EQ(model->text().detokenize(with_bos, true).find("<s>"), std::string::npos);
  EXPECT_GT(model->text().vocab_size(), 30000);
}

TEST(Tokenizer, OutOfRangeTokenIsRejected) {
  auto model = test::llama().load(test::vocab_path("ggml-vocab-gpt-2.gguf"), test::vocab_only());
  const std::vector<Token> bad{1, -1};
  EXPECT_THROW(model->text().detokenize(bad), std::invalid_argument);
  const std::vector<Token> too_big{model->text().vocab_size()};
  EXPECT_THROW(model->text().detokenize(too_big), std::invalid_argument);
}

}  // namespace
}  // namespace wattserve::engine
