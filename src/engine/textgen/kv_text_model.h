// The generation loop shared by the text models whose engine computes logits one forward pass at
// a time over an explicit KV cache (ONNX Runtime, LibTorch). A backend implements reset() and
// forward(); this class adds the SentencePiece tokenizer, sampling (Sampler), stop strings,
// end-of-generation, the callback and the context limit, with the same behaviour as the llama.cpp
// backend's generate().
#pragma once

#include <memory>
#include <mutex>

#include "engine/engine.h"
#include "engine/textgen/spm_tokenizer.h"

namespace wattserve::engine::textgen {

// Not thread-safe for concurrent generate() calls on one model: they are serialised.
class KvTextModel : public TextModel {
 public:
  // vocab: width of the model's logits (must equal the tokenizer's size).
  KvTextModel(std::unique_ptr<SpmTokenizer> tokenizer, int vocab, int context_length,
              std::string provider);

  std::string provider() const override { return provider_; }
  std::vector<Token> tokenize(std::string_view text, bool add_special,
                              bool parse_special) const override;
  std::string detokenize(std::span<const Token> tokens, bool remove_special,
                         bool unparse_special) const override;
  int vocab_size() const override { return vocab_; }
  int context_length() const override { return context_length_; }
  std::vector<float> next_logits(std::span<const Token> prompt) override;
  GenerateResult generate(std::span<const Token> prompt, const SamplingParams& params,
                          const TokenCallback& on_token) override;

 protected:
  // Empties the KV cache.
  virtual void reset() = 0;
  // Runs `tokens` after the cached ones, appends their keys/values to the cache, and returns
  // the logits of the last one (vocab_size() floats).
  virtual std::vector<float> forward(std::span<const Token> tokens) = 0;

 private:
  void start(std::span<const Token> prompt);  // checks, reset(), forward(prompt)

  std::unique_ptr<SpmTokenizer> tokenizer_;
  int vocab_;
  int context_length_;
  std::string provider_;
  std::vector<float> logits_;
  std::mutex mu_;
};

}  // namespace wattserve::engine::textgen
