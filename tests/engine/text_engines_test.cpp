// The trained pycode text models of the zoo on all three engines: the same text gives the same
// token ids (SentencePiece vs the GGUF vocabulary in llama.cpp), greedy decoding gives the same
// first 32 tokens, and next-token logits agree (llama.cpp with its f32 KV cache and flash
// attention off; tolerance below). Needs the zoo (scripts/build_zoo.sh); missing files fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "engine_test_util.h"

namespace wattserve::engine {
namespace {

std::string zoo_text(const std::string& file) {
  const char* env = std::getenv("WATTSERVE_ZOO");
  const std::string dir = env && *env ? env : WATTSERVE_ZOO_DIR;
  const std::string path = dir + "/text/" + file;
  EXPECT_TRUE(std::filesystem::exists(path))
      << "missing " << path << ": build the model zoo with scripts/build_zoo.sh";
  return path;
}

struct Loaded {
  std::unique_ptr<Model> llama, onnx, torch;
};

Loaded load_all(const std::string& size) {
  LoadOptions exact;
  exact.f32_kv_cache = true;
  exact.threads = 2;
  Loaded m;
  m.llama = load_engine("llama", WATTSERVE_TEST_PLUGIN_DIR)
                .load(zoo_text("pycode-" + size + "-f32.gguf"), exact);
  m.onnx = load_engine("onnx", WATTSERVE_TEST_PLUGIN_DIR)
               .load(zoo_text("pycode-" + size + ".onnx"), exact);
  m.torch = load_engine("torch", WATTSERVE_TEST_PLUGIN_DIR)
                .load(zoo_text("pycode-" + size + ".ts.pt"), exact);
  return m;
}

const char* const kPrompts[] = {
    "class Parser:\n    def __init__(self, ",
    "import os\n\n\ndef ",
    "    for i in range(len(items)):\n        if ",
};

class TextEngines : public ::testing::TestWithParam<std::string> {};

TEST_P(TextEngines, SameTokensForTheSameText) {
  Loaded m = load_all(GetParam());
  for (const std::string& text :
       {std::string(kPrompts[0]), std::string("x = {'a': 1, \"b\": [2.5e-3]}  # ünïcode ✓\n\t"),
        std::string("    \n\n\n        return None")}) {
    const auto ids = m.llama->text().tokenize(text);
    EXPECT_FALSE(ids.empty());
    EXPECT_EQ(m.onnx->text().tokenize(text), ids) << text;
    EXPECT_EQ(m.torch->text().tokenize(text), ids) << text;
    EXPECT_EQ(m.onnx->text().detokenize(ids), text);
    EXPECT_EQ(m.torch->text().detokenize(ids), text);
    EXPECT_EQ(m.llama->text().detokenize(ids), text);
  }
}

TEST_P(TextEngines, GreedyFirst32TokensIdentical) {
  Loaded m = load_all(GetParam());
  SamplingParams greedy;
  greedy.temperature = 0;
  greedy.max_tokens = 32;
  greedy.ignore_eos = true;
  for (const char* prompt : kPrompts) {
    const auto ids = m.llama->text().tokenize(prompt);
    const auto a = m.llama->text().generate(ids, greedy);
    const auto b = m.onnx->text().generate(ids, greedy);
    const auto c = m.torch->text().generate(ids, greedy);
    ASSERT_EQ(a.tokens.size(), 32u);
    EXPECT_EQ(b.tokens, a.tokens) << "onnx vs llama, prompt: " << prompt;
    EXPECT_EQ(c.tokens, a.tokens) << "torch vs llama, prompt: " << prompt;
    EXPECT_EQ(b.text, a.text);
    EXPECT_EQ(c.text, a.text);
  }
}

// Tolerance: 1e-4 times the largest |logit| (at least 1). All three compute in f32 with
// different kernels and summation orders; the exporters' checks saw differences of ~1e-5
// (models/README.md), and a wrong cache layout or position shows as differences of order 1.
TEST_P(TextEngines, NextTokenLogitsAgree) {
  Loaded m = load_all(GetParam());
  for (const char* prompt : kPrompts) {
    const auto ids = m.llama->text().tokenize(prompt);
    const auto a = m.llama->text().next_logits(ids);
    const auto b = m.onnx->text().next_logits(ids);
    const auto c = m.torch->text().next_logits(ids);
    ASSERT_EQ(a.size(), 4096u);
    ASSERT_EQ(b.size(), a.size());
    ASSERT_EQ(c.size(), a.size());
    float scale = 1, db = 0, dc = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      scale = std::max(scale, std::abs(a[i]));
      db = std::max(db, std::abs(a[i] - b[i]));
      dc = std::max(dc, std::abs(a[i] - c[i]));
    }
    EXPECT_LE(db, 1e-4f * scale) << "onnx vs llama, prompt: " << prompt;
    EXPECT_LE(dc, 1e-4f * scale) << "torch vs llama, prompt: " << prompt;
  }
}

// Decoding with the cache must give what a full pass over prompt + output gives.
TEST_P(TextEngines, CachedDecodingMatchesFullRecompute) {
  Loaded m = load_all(GetParam());
  SamplingParams greedy;
  greedy.temperature = 0;
  greedy.max_tokens = 8;
  greedy.ignore_eos = true;
  for (Model* model : {m.onnx.get(), m.torch.get()}) {
    auto ids = model->text().tokenize(kPrompts[0]);
    const auto out = model->text().generate(ids, greedy);
    ids.insert(ids.end(), out.tokens.begin(), out.tokens.end() - 1);
    const auto logits = model->text().next_logits(ids);
    EXPECT_EQ(std::max_element(logits.begin(), logits.end()) - logits.begin(), out.tokens.back());
  }
}

INSTANTIATE_TEST_SUITE_P(Pycode, TextEngines, ::testing::Values("tiny", "small", "base"));

}  // namespace
}  // namespace wattserve::engine
