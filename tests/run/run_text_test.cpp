// run_text / text_stats: TTFT, time per output token, throughput and energy per token from a
// fake model whose tokens take known time on a fake clock with a constant-power sensor.
#include <gtest/gtest.h>

#include <cmath>

#include "run/run.h"
#include "run_test_util.h"

namespace wattserve::run {
namespace {

// Prefill takes 100 ms, every further token 20 ms; emits tokens 1..max_tokens, "a" each.
class TimedTextModel final : public engine::TextModel {
 public:
  explicit TimedTextModel(std::shared_ptr<energy::FakeClock> clock) : clock_(std::move(clock)) {}
  std::string provider() const override { return "cpu"; }
  std::vector<engine::Token> tokenize(std::string_view text, bool, bool) const override {
    return std::vector<engine::Token>(text.size(), 7);
  }
  std::string detokenize(std::span<const engine::Token> t, bool, bool) const override {
    return std::string(t.size(), 'a');
  }
  int vocab_size() const override { return 16; }
  int context_length() const override { return 64; }
  std::vector<float> next_logits(std::span<const engine::Token>) override { return {}; }
  engine::GenerateResult generate(std::span<const engine::Token> prompt,
                                  const engine::SamplingParams& p,
                                  const engine::TokenCallback& cb) override {
    last_prompt_len = prompt.size();
    engine::GenerateResult r;
    clock_->advance_ns(100'000'000);
    for (int i = 0; i < p.max_tokens; ++i) {
      if (i > 0) clock_->advance_ns(20'000'000);
      r.tokens.push_back(i + 1);
      r.text += "a";
      if (cb && !cb(i + 1, "a")) {
        r.reason = engine::StopReason::kCallback;
        break;
      }
    }
    return r;
  }
  std::size_t last_prompt_len = 0;

 private:
  std::shared_ptr<energy::FakeClock> clock_;
};

TEST(RunText, TimingsAndEnergyPerToken) {
  FakeMeter fm(10.0);
  TimedTextModel model(fm.clock);
  engine::SamplingParams p;
  p.max_tokens = 5;
  int seen = 0;
  const auto run = run_text(model, "abc", p, *fm.meter, [&](engine::Token, std::string_view) {
    ++seen;
    return true;
  });
  EXPECT_EQ(seen, 5);
  EXPECT_EQ(run.prompt_tokens, 3);
  EXPECT_EQ(model.last_prompt_len, 3u);
  EXPECT_NEAR(run.ttft_s, 0.100, 1e-9);
  EXPECT_NEAR(run.total_s, 0.180, 1e-9);
  EXPECT_NEAR(run.energy.joules, 1.8, 1e-9);  // 10 W x 0.18 s
  const auto s = text_stats(run);
  EXPECT_EQ(s.output_tokens, 5);
  EXPECT_NEAR(s.tpot_s, 0.020, 1e-9);
  EXPECT_NEAR(s.decode_tokens_per_s, 50.0, 1e-6);
  EXPECT_NEAR(s.tokens_per_s, 5 / 0.18, 1e-6);
  EXPECT_NEAR(s.joules_per_token, 0.36, 1e-9);
}

TEST(RunText, OneTokenHasNoTimePerOutputToken) {
  FakeMeter fm(10.0);
  TimedTextModel model(fm.clock);
  engine::SamplingParams p;
  p.max_tokens = 1;
  const auto s = text_stats(run_text(model, "x", p, *fm.meter));
  EXPECT_TRUE(std::isnan(s.tpot_s));
  EXPECT_TRUE(std::isnan(s.decode_tokens_per_s));
  EXPECT_NEAR(s.joules_per_token, 1.0, 1e-9);  // 10 W x 0.1 s
}

TEST(RunText, CallbackCanStopAndEmptyPromptIsRejected) {
  FakeMeter fm(1.0);
  TimedTextModel model(fm.clock);
  engine::SamplingParams p;
  p.max_tokens = 10;
  const auto run =
      run_text(model, "ab", p, *fm.meter, [](engine::Token t, std::string_view) { return t < 3; });
  EXPECT_EQ(run.result.tokens.size(), 3u);
  EXPECT_EQ(run.result.reason, engine::StopReason::kCallback);
  EXPECT_THROW(run_text(model, "", p, *fm.meter), std::invalid_argument);
  p.top_p = 0;
  EXPECT_THROW(run_text(model, "ab", p, *fm.meter), std::invalid_argument);
}

}  // namespace
}  // namespace wattserve::run
