// KvTextModel: tokenizer + sampling + stop conditions around a backend's forward().
#include "engine/textgen/kv_text_model.h"

#include "engine/generation.h"
#include "engine/textgen/sampler.h"

namespace wattserve::engine::textgen {

KvTextModel::KvTextModel(std::unique_ptr<SpmTokenizer> tokenizer, int vocab, int context_length,
                         std::string provider)
    : tokenizer_(std::move(tokenizer)),
      vocab_(vocab),
      context_length_(context_length),
      provider_(std::move(provider)) {
  if (tokenizer_->size() != vocab_) {
    throw EngineError(EngineError::Kind::kBadFormat,
                      "the tokenizer has " + std::to_string(tokenizer_->size()) +
                          " tokens but the model's logits have " + std::to_string(vocab_) +
                          ": wrong tokenizer for this model?");
  }
  if (context_length_ < 2) {
    throw EngineError(EngineError::Kind::kBadFormat,
                      "context length " + std::to_string(context_length_) + " is too small");
  }
}

std::vector<Token> KvTextModel::tokenize(std::string_view text, bool add_special,
                                         bool parse_special) const {
  return tokenizer_->tokenize(text, add_special, parse_special);
}

std::string KvTextModel::detokenize(std::span<const Token> tokens, bool remove_special,
                                    bool unparse_special) const {
  return tokenizer_->detokenize(tokens, remove_special, unparse_special);
}

void KvTextModel::start(std::span<const Token> prompt) {
  if (prompt.empty()) throw std::invalid_argument("generate needs a non-empty prompt");
  for (const Token t : prompt) {
    if (t < 0 || t >= vocab_) {
      throw std::invalid_argument("token id " + std::to_string(t) + " out of range [0, " +
                                  std::to_string(vocab_) + ")");
    }
  }
  if (prompt.size() >= static_cast<std::size_t>(context_length_)) {
    throw std::invalid_argument("prompt of " + std::to_string(prompt.size()) +
                                " tokens does not fit the context of " +
                                std::to_string(context_length_));
  }
  reset();
  logits_ = forward(prompt);
}

std::vector<float> KvTextModel::next_logits(std::span<const Token> prompt) {
  std::lock_guard lock(mu_);
  start(prompt);
  return logits_;
}

GenerateResult KvTextModel::generate(std::span<const Token> prompt, const SamplingParams& params,
                                     const TokenCallback& on_token) {
  validate(params);
  std::lock_guard lock(mu_);
  start(prompt);
  Sampler sampler(params);
  const Token eos = tokenizer_->eos();
  Generation gen(params);
  for (std::size_t n_past = prompt.size();; ++n_past) {
    if (n_past >= static_cast<std::size_t>(context_length_)) {
      gen.end(StopReason::kContextFull);
      break;
    }
    const Token tok = sampler.sample(logits_);
    if (!gen.accept(tok, tok == eos, tokenizer_->piece(tok), on_token)) break;
    const Token next[1] = {tok};
    logits_ = forward(next);
  }
  return gen.take();
}

}  // namespace wattserve::engine::textgen
