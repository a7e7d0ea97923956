// LlamaTextModel: llama.cpp's own tokenizer and a sampler chain implementing SamplingParams.
#include "engine/llama/llama_text_model.h"

#include <algorithm>
#include <climits>

#include "engine/generation.h"
#include "engine/llama/llama_batch_decoder.h"
#include "engine/llama/llama_util.h"

namespace wattserve::engine::llama {

LlamaTextModel::LlamaTextModel(ModelPtr model, ContextPtr ctx, llama_context_params cparams,
                               std::string provider)
    : pool_(ctx ? std::make_unique<Threadpool>(cparams.n_threads) : nullptr),
      model_(std::move(model)),
      ctx_(std::move(ctx)),
      cparams_(cparams),
      vocab_(llama_model_get_vocab(model_.get())),
      provider_(std::move(provider)) {
  if (pool_) pool_->attach(ctx_.get());
}

int LlamaTextModel::vocab_size() const {
  return llama_vocab_n_tokens(vocab_);
}

std::vector<Token> LlamaTextModel::tokenize(std::string_view text, bool add_special,
                                            bool parse_special) const {
  if (text.size() > static_cast<std::size_t>(INT32_MAX / 2)) {
    throw std::invalid_argument("text too long to tokenize");
  }
  const auto len = static_cast<int32_t>(text.size());
  std::vector<Token> out(text.size() + 2);
  int32_t n = llama_tokenize(vocab_, text.data(), len, out.data(), static_cast<int32_t>(out.size()),
                             add_special, parse_special);
  if (n == INT32_MIN) throw std::invalid_argument("text too long to tokenize");
  if (n < 0) {
    out.resize(static_cast<std::size_t>(-n));
    n = llama_tokenize(vocab_, text.data(), len, out.data(), static_cast<int32_t>(out.size()),
                       add_special, parse_special);
    if (n < 0) throw EngineError(EngineError::Kind::kRuntime, "llama_tokenize failed");
  }
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string LlamaTextModel::detokenize(std::span<const Token> tokens, bool remove_special,
                                       bool unparse_special) const {
  check_tokens(vocab_, tokens);
  const auto n_tokens = static_cast<int32_t>(tokens.size());
  std::string out(tokens.size() * 4 + 16, '\0');
  int32_t n = llama_detokenize(vocab_, tokens.data(), n_tokens, out.data(),
                               static_cast<int32_t>(out.size()), remove_special, unparse_special);
  if (n < 0) {
    out.resize(static_cast<std::size_t>(-n));
    n = llama_detokenize(vocab_, tokens.data(), n_tokens, out.data(),
                         static_cast<int32_t>(out.size()), remove_special, unparse_special);
    if (n < 0) throw EngineError(EngineError::Kind::kRuntime, "llama_detokenize failed");
  }
  out.resize(static_cast<std::size_t>(n));
  return out;
}

int LlamaTextModel::context_length() const {
  return ctx_ ? static_cast<int>(llama_n_ctx(ctx_.get())) : 0;
}

void LlamaTextModel::require_context() const {
  if (!ctx_) {
    throw EngineError(EngineError::Kind::kUnsupported,
                      "model was loaded vocab_only (tokenizer only): it cannot generate");
  }
}

bool LlamaTextModel::decode(Token* tokens, std::size_t n) {
  const int32_t rc = llama_decode(ctx_.get(), llama_batch_get_one(tokens, static_cast<int32_t>(n)));
  if (rc < 0) {
    throw EngineError(EngineError::Kind::kRuntime, "llama_decode failed: " + std::to_string(rc));
  }
  return rc == 0;
}

void LlamaTextModel::decode_prompt(std::span<const Token> prompt) {
  if (prompt.empty()) throw std::invalid_argument("generate needs a non-empty prompt");
  check_tokens(vocab_, prompt);
  const uint32_t n_ctx = llama_n_ctx(ctx_.get());
  if (prompt.size() >= n_ctx) {
    throw std::invalid_argument("prompt of " + std::to_string(prompt.size()) +
                                " tokens does not fit the context of " + std::to_string(n_ctx));
  }
  llama_memory_clear(llama_get_memory(ctx_.get()), true);
  std::vector<Token> input(prompt.begin(), prompt.end());
  const std::size_t n_batch = llama_n_batch(ctx_.get());
  for (std::size_t i = 0; i < input.size(); i += n_batch) {
    if (!decode(input.data() + i, std::min(n_batch, input.size() - i))) {
      throw EngineError(EngineError::Kind::kRuntime, "prompt does not fit the context");
    }
  }
}

std::vector<float> LlamaTextModel::next_logits(std::span<const Token> prompt) {
  require_context();
  std::lock_guard lock(generate_mu_);
  decode_prompt(prompt);
  const float* logits = llama_get_logits_ith(ctx_.get(), -1);
  if (!logits) throw EngineError(EngineError::Kind::kRuntime, "llama.cpp returned no logits");
  return {logits, logits + vocab_size()};
}

GenerateResult LlamaTextModel::generate(std::span<const Token> prompt, const SamplingParams& params,
                                        const TokenCallback& on_token) {
  validate(params);
  require_context();
  std::lock_guard lock(generate_mu_);
  decode_prompt(prompt);
  SamplerPtr sampler = make_sampler(params);
  const bool greedy = params.temperature == 0.0f;
  const std::size_t n_ctx = llama_n_ctx(ctx_.get());
  Generation gen(params);
  for (std::size_t n_past = prompt.size();; ++n_past) {
    if (n_past >= n_ctx) {
      gen.end(StopReason::kContextFull);
      break;
    }
    Token tok = sample_token(ctx_.get(), -1, sampler.get(), greedy);
    if (!gen.accept(tok, llama_vocab_is_eog(vocab_, tok), token_piece(vocab_, tok), on_token)) {
      break;
    }
    if (!decode(&tok, 1)) {
      gen.end(StopReason::kContextFull);
      break;
    }
  }
  return gen.take();
}

std::unique_ptr<BatchDecoder> LlamaTextModel::batch_decoder(int sequences) {
  require_context();
  return std::make_unique<LlamaBatchDecoder>(model_.get(), cparams_, sequences, context_length());
}

}  // namespace wattserve::engine::llama
