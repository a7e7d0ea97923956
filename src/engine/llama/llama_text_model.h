// The llama.cpp text-generation model (a GGUF file): tokenizer, detokenizer, generation with a
// llama_sampler chain, and continuous-batching decoders. Internal to the llama plug-in.
#pragma once

#include <llama.h>

#include <memory>
#include <mutex>

#include "engine/engine.h"
#include "engine/llama/llama_util.h"

namespace wattserve::engine::llama {

// Not thread-safe for concurrent generate() calls on one model: they are serialised.
class LlamaTextModel final : public TextModel {
 public:
  // ctx is null for a vocab-only model; cparams are the parameters it was made with (batch
  // decoders make contexts of their own from them).
  LlamaTextModel(ModelPtr model, ContextPtr ctx, llama_context_params cparams,
                 std::string provider);

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
  // Slots of context_length() tokens each in a context of its own; must not outlive this model.
  std::unique_ptr<BatchDecoder> batch_decoder(int sequences) override;

 private:
  void require_context() const;
  // Clears the KV cache and decodes `prompt` (checked, non-empty, shorter than the context).
  void decode_prompt(std::span<const Token> prompt);
  bool decode(Token* tokens, std::size_t n);  // false: no room left in the context

  std::unique_ptr<Threadpool> pool_;  // outlives ctx_ (declared first, destroyed last)
  ModelPtr model_;
  ContextPtr ctx_;
  llama_context_params cparams_;
  const llama_vocab* vocab_;
  std::string provider_;
  std::mutex generate_mu_;
};

}  // namespace wattserve::engine::llama
