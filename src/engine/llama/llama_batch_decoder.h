// Continuous batching on llama.cpp (engine::BatchDecoder): one llama_context with one KV cache
// shared by the slots (n_seq_max = slots, unified cache), one llama_batch per step holding the
// last token of every generating slot first and then prompt chunks of new slots up to n_batch.
// A freed slot keeps its cache: a new prompt goes to the free slot sharing its longest prefix
// and decodes only the rest (as llama-server's prompt cache). Internal to the llama plug-in.
#pragma once

#include <vector>

#include "engine/engine.h"
#include "engine/llama/llama_util.h"

namespace wattserve::engine::llama {

class LlamaBatchDecoder final : public BatchDecoder {
 public:
  // `cparams` as the model's own context (threads, batch, KV-cache type); n_ctx becomes
  // sequences * context_per_sequence. `model` must outlive the decoder.
  LlamaBatchDecoder(llama_model* model, llama_context_params cparams, int sequences,
                    int context_per_sequence);
  ~LlamaBatchDecoder() override;
  LlamaBatchDecoder(const LlamaBatchDecoder&) = delete;
  LlamaBatchDecoder& operator=(const LlamaBatchDecoder&) = delete;

  int capacity() const override { return static_cast<int>(slots_.size()); }
  int context_length() const override { return n_ctx_seq_; }
  int batch_tokens() const override { return n_batch_; }
  int add(std::span<const Token> prompt, const SamplingParams& params) override;
  void remove(int slot) override;
  int pending_prompt(int slot) const override;
  std::vector<Sampled> step() override;

 private:
  struct Slot {
    bool live = false;
    std::vector<Token> prompt;
    std::size_t prompt_done = 0;  // prompt tokens decoded
    bool has_next = false;        // `next` was sampled and is the next input
    Token next = 0;
    int n_past = 0;  // tokens in this slot's cache
    bool greedy = true;
    SamplerPtr sampler;
    // The tokens whose keys and values this slot's cache holds, by position. Kept after
    // remove(), so that add() can reuse the longest common prefix of a new prompt.
    std::vector<Token> cached;
    unsigned long long last_used = 0;  // add() count when the slot was last taken
  };

  const llama_vocab* vocab_;
  Threadpool pool_;  // outlives ctx_ (declared first, destroyed last)
  ContextPtr ctx_;
  int n_ctx_seq_;
  int n_batch_;
  bool reuse_prefix_ = false;  // the memory can keep a prefix and drop the rest
  unsigned long long uses_ = 0;
  llama_batch batch_;
  std::vector<Slot> slots_;
};

}  // namespace wattserve::engine::llama
