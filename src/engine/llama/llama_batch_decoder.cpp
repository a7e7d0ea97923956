// LlamaBatchDecoder: continuous batching on one llama_context (llama_batch_decoder.h).
#include "engine/llama/llama_batch_decoder.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace wattserve::engine::llama {

namespace {

void push(llama_batch& b, Token token, int pos, int seq, bool logits) {
  const int i = b.n_tokens++;
  b.token[i] = token;
  b.pos[i] = pos;
  b.n_seq_id[i] = 1;
  b.seq_id[i][0] = seq;
  b.logits[i] = logits;
}

}  // namespace

LlamaBatchDecoder::LlamaBatchDecoder(llama_model* model, llama_context_params cp, int sequences,
                                     int context_per_sequence)
    : vocab_(llama_model_get_vocab(model)), pool_(cp.n_threads), n_ctx_seq_(context_per_sequence) {
  if (sequences < 1 || sequences > 256) {
    throw std::invalid_argument("batch decoder sequences must be in [1, 256] (got " +
                                std::to_string(sequences) + ")");
  }
  if (context_per_sequence < 2) {
    throw std::invalid_argument("batch decoder context per sequence must be >= 2");
  }
  cp.n_seq_max = static_cast<uint32_t>(sequences);
  cp.n_ctx = static_cast<uint32_t>(sequences) * static_cast<uint32_t>(context_per_sequence);
  // One cache for every sequence, as llama-server's default: llama.cpp then decodes a step in
  // one micro-batch whatever its mix. With a cache stream per sequence it splits a batch into
  // micro-batches of consecutive sequence ids with equal token counts, a pass over the weights
  // each: a step that mixes prompt chunks with the generating slots' tokens took two or three
  // (7 sequences, 3 of them new with 13-token prompts: 236 ms, unified 186 ms; qwen2-0.5b q8_0,
  // 2 threads).
  // Each slot still holds at most context_per_sequence tokens (step() reports a full context), so
  // the shared cache of sequences x context_per_sequence cells never runs out.
  cp.kv_unified = true;
  cp.n_batch = std::max<uint32_t>(cp.n_batch, static_cast<uint32_t>(sequences));
  ctx_.reset(llama_init_from_model(model, cp));
  if (!ctx_) {
    throw EngineError(EngineError::Kind::kRuntime,
                      "llama.cpp could not create a context for " + std::to_string(sequences) +
                          " sequences of " + std::to_string(context_per_sequence) + " tokens");
  }
  pool_.attach(ctx_.get());
  // Keeping a finished sequence's cache for a later prompt needs a cache that can drop the
  // positions after a prefix and still holds every position before it: not recurrent or hybrid
  // memory, and no sliding window that forgets (unless the window cache is full size).
  reuse_prefix_ = !llama_model_is_recurrent(model) && !llama_model_is_hybrid(model) &&
                  (llama_model_n_swa(model) == 0 || cp.swa_full);
  n_batch_ = static_cast<int>(llama_n_batch(ctx_.get()));
  batch_ = llama_batch_init(n_batch_, 0, 1);
  slots_.resize(static_cast<std::size_t>(sequences));
}

LlamaBatchDecoder::~LlamaBatchDecoder() {
  llama_batch_free(batch_);
}

int LlamaBatchDecoder::add(std::span<const Token> prompt, const SamplingParams& params) {
  validate(params);
  if (prompt.empty()) throw std::invalid_argument("generate needs a non-empty prompt");
  check_tokens(vocab_, prompt);
  if (prompt.size() >= static_cast<std::size_t>(n_ctx_seq_)) {
    throw std::invalid_argument("prompt of " + std::to_string(prompt.size()) +
                                " tokens does not fit the context of " +
                                std::to_string(n_ctx_seq_));
  }
  // The free slot whose cache shares the longest prefix with the prompt (as llama-server's
  // prompt cache), the least recently used among equals; its cache is cut to that prefix.
  int slot = -1;
  std::size_t reuse = 0;
  for (int i = 0; i < capacity(); ++i) {
    const Slot& c = slots_[static_cast<std::size_t>(i)];
    if (c.live) continue;
    const std::size_t n =
        reuse_prefix_ ? static_cast<std::size_t>(std::mismatch(c.cached.begin(), c.cached.end(),
                                                               prompt.begin(), prompt.end())
                                                     .first -
                                                 c.cached.begin())
                      : 0;
    const Slot* best = slot < 0 ? nullptr : &slots_[static_cast<std::size_t>(slot)];
    if (!best || n > reuse || (n == reuse && c.last_used < best->last_used)) {
      slot = i;
      reuse = n;
    }
  }
  if (slot < 0) throw std::logic_error("every batch decoder slot is in use");
  reuse = std::min(reuse, prompt.size() - 1);  // the last prompt token is decoded for its logits
  llama_memory_t mem = llama_get_memory(ctx_.get());
  if (reuse > 0 && llama_memory_seq_pos_min(mem, slot) != 0) reuse = 0;
  if (!llama_memory_seq_rm(mem, slot, static_cast<llama_pos>(reuse), -1)) {
    llama_memory_seq_rm(mem, slot, -1, -1);
    reuse = 0;
  }
  Slot& s = slots_[static_cast<std::size_t>(slot)];
  std::vector<Token> cached = std::move(s.cached);
  cached.resize(reuse);
  s = Slot{};
  s.live = true;
  s.last_used = ++uses_;
  s.cached = std::move(cached);
  s.prompt_done = reuse;
  s.n_past = static_cast<int>(reuse);
  s.prompt.assign(prompt.begin(), prompt.end());
  s.greedy = params.temperature == 0.0f;
  s.sampler = make_sampler(params);
  return slot;
}

void LlamaBatchDecoder::remove(int slot) {
  if (slot < 0 || slot >= capacity() || !slots_[static_cast<std::size_t>(slot)].live) return;
  Slot& s = slots_[static_cast<std::size_t>(slot)];
  Slot freed;  // its cache stays for add() to reuse
  freed.cached = std::move(s.cached);
  freed.last_used = s.last_used;
  s = std::move(freed);
}

int LlamaBatchDecoder::pending_prompt(int slot) const {
  if (slot < 0 || slot >= capacity()) return 0;
  const Slot& s = slots_[static_cast<std::size_t>(slot)];
  return s.live && !s.has_next ? static_cast<int>(s.prompt.size() - s.prompt_done) : 0;
}

std::vector<BatchDecoder::Sampled> LlamaBatchDecoder::step() {
  std::vector<Sampled> out;
  batch_.n_tokens = 0;
  std::vector<int> sampled_slot;  // batch index -> slot, for the entries with logits
  std::vector<int> sampled_at;
  // Generating slots first, a token each, so prompts never hold back running sequences.
  for (int i = 0; i < capacity(); ++i) {
    Slot& s = slots_[static_cast<std::size_t>(i)];
    if (!s.live || !s.has_next) continue;
    if (s.n_past >= n_ctx_seq_) {
      Sampled full;
      full.slot = i;
      full.context_full = true;
      out.push_back(std::move(full));
      continue;
    }
    sampled_slot.push_back(i);
    sampled_at.push_back(batch_.n_tokens);
    s.cached.push_back(s.next);
    push(batch_, s.next, s.n_past++, i, true);
  }
  // Then prompt chunks in slot order while the batch has room.
  for (int i = 0; i < capacity() && batch_.n_tokens < n_batch_; ++i) {
    Slot& s = slots_[static_cast<std::size_t>(i)];
    if (!s.live || s.has_next) continue;
    const std::size_t room = static_cast<std::size_t>(n_batch_ - batch_.n_tokens);
    const std::size_t n = std::min(room, s.prompt.size() - s.prompt_done);
    for (std::size_t k = 0; k < n; ++k) {
      const bool last = s.prompt_done + 1 == s.prompt.size();
      if (last) {
        sampled_slot.push_back(i);
        sampled_at.push_back(batch_.n_tokens);
      }
      s.cached.push_back(s.prompt[s.prompt_done]);
      push(batch_, s.prompt[s.prompt_done++], s.n_past++, i, last);
    }
  }
  if (batch_.n_tokens == 0) return out;
  const int32_t rc = llama_decode(ctx_.get(), batch_);
  if (rc != 0) {
    for (Slot& s : slots_) s.cached.clear();  // what the cache holds is unknown: reuse nothing
    throw EngineError(EngineError::Kind::kRuntime, "llama_decode failed on a batch of " +
                                                       std::to_string(batch_.n_tokens) +
                                                       " tokens: " + std::to_string(rc));
  }
  for (std::size_t k = 0; k < sampled_slot.size(); ++k) {
    Slot& s = slots_[static_cast<std::size_t>(sampled_slot[k])];
    Sampled r;
    r.slot = sampled_slot[k];
    r.token = sample_token(ctx_.get(), sampled_at[k], s.sampler.get(), s.greedy);
    r.piece = token_piece(vocab_, r.token);
    r.end_of_generation = llama_vocab_is_eog(vocab_, r.token);
    s.next = r.token;
    s.has_next = true;
    s.prompt = {};  // decoded: free it
    s.prompt_done = 0;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace wattserve::engine::llama
