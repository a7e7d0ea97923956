// Pieces the llama.cpp text model and its batch decoder share: the CPU thread pool, the sampler
// chain implementing SamplingParams, greedy argmax, token pieces and token-id checks. Internal to
// the llama plug-in.
#pragma once

#include <llama.h>

#include <memory>
#include <span>
#include <string>

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
// A persistent ggml CPU thread pool for a context (llama_attach_threadpool), as llama-server and
// llama-bench use: without one, ggml starts and joins its worker threads for every decode, which
// costs tens of microseconds per token. Threads poll for work briefly (poll = 50, their default)
// before they sleep. Must outlive the contexts it is attached to.
class Threadpool {
 public:
  explicit Threadpool(int n_threads);  // EngineError(kRuntime) when the CPU backend cannot
  ~Threadpool();
  Threadpool(const Threadpool&) = delete;
  Threadpool& operator=(const Threadpool&) = delete;
  void attach(llama_context* ctx) const { llama_attach_threadpool(ctx, pool_, nullptr); }

 private:
  ggml_threadpool* pool_ = nullptr;
  void (*free_)(ggml_threadpool*) = nullptr;
};

struct SamplerDeleter {
  void operator()(llama_sampler* s) const { llama_sampler_free(s); }
};
using SamplerPtr = std::unique_ptr<llama_sampler, SamplerDeleter>;

// Greedy when temperature == 0; else top-k -> top-p -> temperature -> seeded draw.
SamplerPtr make_sampler(const SamplingParams& p);
// The next token from the logits of batch entry `i` (-1: the last): the argmax directly for
// greedy decoding (ties to the lowest id, as llama.cpp's greedy sampler, without building its
// candidate array of the whole vocabulary), else a draw from `sampler`.
Token sample_token(llama_context* ctx, int i, llama_sampler* sampler, bool greedy);
// The token's text piece (possibly a partial UTF-8 sequence).
std::string token_piece(const llama_vocab* vocab, Token token);
// std::invalid_argument unless every id is in [0, vocab size).
void check_tokens(const llama_vocab* vocab, std::span<const Token> tokens);

}  // namespace wattserve::engine::llama
