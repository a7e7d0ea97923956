// The llama.cpp text-generation model (a GGUF file): tokenizer, detokenizer and generation
// with a llama_sampler chain. Internal to the llama plug-in.
#pragma once

#include <llama.h>

#include <memory>
#include <mutex>

#include "engine/engine.h"

namespace wattserve::engine::llama {

struct ModelDeleter {
  void operator()(llama_model* m) const { llama_model_free(m); }
};
struct ContextDeleter {
  void operator()(llama_context* c) const { llama_free(c); }
};
using ModelPtr = std::unique_ptr<llama_model, ModelDeleter>;
using ContextPtr = std::unique_ptr<llama_context, ContextDeleter>;

// Not thread-safe for concurrent generate() calls on one model: they are serialised.
class LlamaTextModel final : public TextModel {
 public:
  // ctx is null for a vocab-only model.
  LlamaTextModel(ModelPtr model, ContextPtr ctx, std::string provider);

  std::string provider() const override { return provider_; }
  std::vector<Token> tokenize(std::string_view text, bool add_special,
                              bool parse_special) const override;
  std::string detokenize(std::span<const Token> tokens, bool remove_special,
                         bool unparse_special) const override;
  int vocab_size() const override;
  int context_length() const override;
  std::vector<float> next_logits(std::span<const Token> prompt) override;
  GenerateResult generate(std::span<const Token> prompt, const SamplingParams& params,
                          const TokenCallback& on_token) override;

 private:
  void check_tokens(std::span<const Token> tokens) const;
  void require_context() const;
  // Clears the KV cache and decodes `prompt` (checked, non-empty, shorter than the context).
  void decode_prompt(std::span<const Token> prompt);
  Token greedy_token();                       // argmax of the last logits
  bool decode(Token* tokens, std::size_t n);  // false: no room left in the context
  std::string piece(Token token) const;

  ModelPtr model_;
  ContextPtr ctx_;
  const llama_vocab* vocab_;
  std::string provider_;
  std::mutex generate_mu_;
};

}  // namespace wattserve::engine::llama
