// Generation through the llama engine with a tiny random-weight llama model written by the
// test itself (gguf API): llama-spm's vocabulary, 2 layers, 32-wide. Its text is nonsense, but
// greedy decoding must be deterministic, and stop conditions and the callback must hold.
#include <ggml.h>
#include <gguf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <random>

#include "engine_test_util.h"

namespace wattserve::engine {
namespace {

std::string write_tiny_model() {
  // One file per process: ctest runs each test in its own process, possibly in parallel.
  const auto path = std::filesystem::temp_directory_path() /
                    ("wattserve_tiny_llama." + std::to_string(getpid()) + ".gguf");
  ggml_context* vocab_tensors = nullptr;
  gguf_context* vocab = gguf_init_from_file(test::vocab_path("ggml-vocab-llama-spm.gguf").c_str(),
                                            gguf_init_params{true, &vocab_tensors});
  EXPECT_NE(vocab, nullptr);
  if (!vocab) return "";
  const int64_t n_vocab = gguf_get_arr_n(vocab, gguf_find_key(vocab, "tokenizer.ggml.tokens"));
  constexpr int64_t kEmbd = 32, kFf = 64, kLayers = 2, kHeads = 4;

  gguf_context* g = gguf_init_empty();
  gguf_set_kv(g, vocab);
  gguf_set_val_str(g, "general.architecture", "llama");
  gguf_set_val_u32(g, "llama.context_length", 256);
  gguf_set_val_u32(g, "llama.embedding_length", kEmbd);
  gguf_set_val_u32(g, "llama.block_count", kLayers);
  gguf_set_val_u32(g, "llama.feed_forward_length", kFf);
  gguf_set_val_u32(g, "llama.attention.head_count", kHeads);
  gguf_set_val_u32(g, "llama.attention.head_count_kv", kHeads);
  gguf_set_val_u32(g, "llama.rope.dimension_count", kEmbd / kHeads);
  gguf_set_val_f32(g, "llama.attention.layer_norm_rms_epsilon", 1e-5f);

  const std::size_t mem = static_cast<std::size_t>((n_vocab * kEmbd + 16 * kEmbd * kFf) * 4 * 2);
  ggml_context* ctx = ggml_init(ggml_init_params{mem, nullptr, false});
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 0.5f);
  auto add = [&](const std::string& name, int64_t ne0, int64_t ne1, bool ones) {
    ggml_tensor* t = ne1 ? ggml_new_tensor_2d(ctx, GGML_TYPE_F32, ne0, ne1)
                         : ggml_new_tensor_1d(ctx, GGML_TYPE_F32, ne0);
    ggml_set_name(t, name.c_str());
    auto* data = static_cast<float*>(t->data);
    for (int64_t i = 0; i < ggml_nelements(t); ++i) data[i] = ones ? 1.0f : normal(rng);
    gguf_add_tensor(g, t);
  };
  add("token_embd.weight", kEmbd, n_vocab, false);
  add("output_norm.weight", kEmbd, 0, true);
  add("output.weight", kEmbd, n_vocab, false);
  for (int64_t l = 0; l < kLayers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    add(b + "attn_norm.weight", kEmbd, 0, true);
    add(b + "attn_q.weight", kEmbd, kEmbd, false);
    add(b + "attn_k.weight", kEmbd, kEmbd, false);
    add(b + "attn_v.weight", kEmbd, kEmbd, false);
    add(b + "attn_output.weight", kEmbd, kEmbd, false);
    add(b + "ffn_norm.weight", kEmbd, 0, true);
    add(b + "ffn_gate.weight", kEmbd, kFf, false);
    add(b + "ffn_down.weight", kFf, kEmbd, false);
    add(b + "ffn_up.weight", kEmbd, kFf, false);
  }
  EXPECT_TRUE(gguf_write_to_file(g, path.c_str(), false));
  gguf_free(g);
  ggml_free(ctx);
  gguf_free(vocab);
  ggml_free(vocab_tensors);
  return path.string();
}

class Generate : public ::testing::Test {
 protected:
  // Built once per process by the first test; a failure fails every test (never a skip).
  void SetUp() override {
    if (!model_ && error_.empty()) {
      try {
        path_ = write_tiny_model();
        LoadOptions o;
        o.threads = 1;
        o.context_length = 128;
        model_ = test::llama().load(path_, o);
      } catch (const std::exception& e) {
        error_ = e.what();
      }
    }
    ASSERT_TRUE(model_) << "no tiny test model: " << error_;
  }
  static void TearDownTestSuite() {
    model_.reset();
    if (!path_.empty()) std::filesystem::remove(path_);
  }
  static TextModel& m() { return model_->text(); }
  static inline std::string path_;
  static inline std::unique_ptr<Model> model_;
  static inline std::string error_;
};

SamplingParams greedy(int n) {
  SamplingParams p;
  p.temperature = 0;
  p.max_tokens = n;
  p.ignore_eos = true;
  return p;
}

TEST_F(Generate, GreedyIsDeterministic) {
  const auto prompt = m().tokenize("Once upon a time");
  const auto a = m().generate(prompt, greedy(12));
  const auto b = m().generate(prompt, greedy(12));
  EXPECT_EQ(a.tokens.size(), 12u);
  EXPECT_EQ(a.reason, StopReason::kMaxTokens);
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_EQ(a.text, b.text);
}

TEST_F(Generate, SeededSamplingIsReproducible) {
  const auto prompt = m().tokenize("Hello");
  SamplingParams p;
  p.max_tokens = 10;
  p.temperature = 1.0f;
  p.seed = 1234;
  p.ignore_eos = true;
  EXPECT_EQ(m().generate(prompt, p).tokens, m().generate(prompt, p).tokens);
}

TEST_F(Generate, CallbackStreamsAndStops) {
  const auto prompt = m().tokenize("Hello");
  std::vector<Token> streamed;
  const auto r = m().generate(prompt, greedy(20), [&](Token t, std::string_view) {
    streamed.push_back(t);
    return streamed.size() < 3;
  });
  EXPECT_EQ(r.reason, StopReason::kCallback);
  EXPECT_EQ(streamed, r.tokens);
  EXPECT_EQ(r.tokens.size(), 3u);
}

TEST_F(Generate, StopStringCutsText) {
  const auto prompt = m().tokenize("Hello");
  const auto full = m().generate(prompt, greedy(8));
  ASSERT_GE(full.text.size(), 2u);
  SamplingParams p = greedy(8);
  p.stop = {full.text.substr(full.text.size() / 2, 1)};
  const auto r = m().generate(prompt, p);
  EXPECT_EQ(r.reason, StopReason::kStopString);
  EXPECT_EQ(r.text, full.text.substr(0, full.text.find(p.stop[0])));
}

// Runs `prompts` through a batch decoder, adding prompt i before step join_step[i], until each
// has `n` tokens; returns their tokens.
std::vector<std::vector<Token>> batch_generate(TextModel& m,
                                               const std::vector<std::string>& prompts,
                                               const std::vector<int>& join_step, int n) {
  auto dec = m.batch_decoder(4);
  std::vector<std::vector<Token>> out(prompts.size());
  std::map<int, std::size_t> slot_of;  // slot -> prompt index
  std::size_t done = 0;
  for (int step = 0; done < prompts.size() && step < 1000; ++step) {
    for (std::size_t i = 0; i < prompts.size(); ++i) {
      if (join_step[i] == step) slot_of[dec->add(m.tokenize(prompts[i]), greedy(n))] = i;
    }
    for (const auto& s : dec->step()) {
      EXPECT_FALSE(s.context_full);
      auto& toks = out[slot_of.at(s.slot)];
      toks.push_back(s.token);
      if (toks.size() == static_cast<std::size_t>(n)) {
        dec->remove(s.slot);
        ++done;
      }
    }
  }
  return out;
}

TEST_F(Generate, BatchDecoderGivesEachSequenceItsOwnGreedyTokens) {
  const std::vector<std::string> prompts = {"Once upon a time", "Hello", "The quick brown fox",
                                            "x"};
  const auto batched = batch_generate(m(), prompts, {0, 0, 3, 7}, 10);
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(batched[i], m().generate(m().tokenize(prompts[i]), greedy(10)).tokens)
        << "prompt " << i;
  }
}

TEST_F(Generate, BatchDecoderChunksPromptsLongerThanOneBatch) {
  // Three prompts of ~100 tokens: more than the 128-token batch together.
  std::vector<std::string> prompts;
  for (const char* w : {"alpha ", "beta ", "gamma "}) {
    std::string p;
    while (m().tokenize(p).size() < 100) p += w;
    prompts.push_back(p);
  }
  auto dec = m().batch_decoder(4);
  EXPECT_EQ(dec->batch_tokens(), 128);
  const auto batched = batch_generate(m(), prompts, {0, 0, 0}, 5);
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(batched[i], m().generate(m().tokenize(prompts[i]), greedy(5)).tokens);
  }
}

TEST_F(Generate, BatchDecoderSlotsAreLimitedAndReusable) {
  auto dec = m().batch_decoder(2);
  EXPECT_EQ(dec->capacity(), 2);
  EXPECT_EQ(dec->context_length(), m().context_length());
  const auto p = m().tokenize("Hello");
  const int a = dec->add(p, greedy(4));
  const int b = dec->add(p, greedy(4));
  EXPECT_NE(a, b);
  EXPECT_EQ(dec->pending_prompt(a), static_cast<int>(p.size()));
  EXPECT_THROW(dec->add(p, greedy(4)), std::logic_error);
  dec->step();
  EXPECT_EQ(dec->pending_prompt(a), 0);
  dec->remove(a);
  dec->remove(a);  // ignored
  EXPECT_EQ(dec->add(p, greedy(4)), a);
  EXPECT_THROW(dec->add({}, greedy(4)), std::invalid_argument);
  EXPECT_THROW(m().batch_decoder(0), std::invalid_argument);
}

// A freed slot keeps its cache: a prompt that extends an earlier one goes to that slot, decodes
// only what is new, and still gets the tokens generate() gives for the whole prompt.
TEST_F(Generate, BatchDecoderReusesTheLongestCachedPrefix) {
  auto dec = m().batch_decoder(2);
  const auto p = m().tokenize("Once upon a time there was");
  const auto other = m().tokenize("x y z");
  const int a = dec->add(p, greedy(3));
  const int b = dec->add(other, greedy(3));
  for (int i = 0; i < 3; ++i) dec->step();
  dec->remove(a);
  dec->remove(b);
  auto longer = p;
  for (const Token t : m().tokenize(" a little", /*add_special=*/false)) longer.push_back(t);
  const int c = dec->add(longer, greedy(6));
  EXPECT_EQ(c, a);  // the slot holding its prefix, not the other free one
  EXPECT_EQ(dec->pending_prompt(c), static_cast<int>(longer.size() - p.size()));
  std::vector<Token> got;
  for (int i = 0; i < 20 && got.size() < 6; ++i) {
    for (const auto& s : dec->step()) got.push_back(s.token);
  }
  EXPECT_EQ(got, m().generate(longer, greedy(6)).tokens);
}

TEST_F(Generate, BatchDecoderReportsAFullContext) {
  auto dec = m().batch_decoder(2);
  std::vector<Token> prompt = m().tokenize("Hello");
  prompt.resize(static_cast<std::size_t>(m().context_length() - 3), prompt.back());
  const int slot = dec->add(prompt, greedy(100));
  // Tokens come from the logits after positions n_ctx - 4 .. n_ctx - 1 (the prompt's last and
  // the three generated tokens that still fit); then the context is full.
  int tokens = 0;
  bool full = false;
  for (int i = 0; i < 10 && !full; ++i) {
    for (const auto& s : dec->step()) {
      EXPECT_EQ(s.slot, slot);
      full = s.context_full;
      tokens += !s.context_full;
    }
  }
  EXPECT_TRUE(full);
  EXPECT_EQ(tokens, 4);
  std::vector<Token> too_long(static_cast<std::size_t>(m().context_length()), prompt.back());
  EXPECT_THROW(dec->add(too_long, greedy(1)), std::invalid_argument);
}

}  // namespace
}  // namespace wattserve::engine
