// Prompts of a requested length for load against a server, cut from a workload's prompt set:
// the set's texts (prompts and references) joined into one corpus, and request i's prompt taken
// from a pseudo-random offset in it, so that no two prompts share a prefix a server could cache.
// With the served model's tokenizer at hand (zoo models) a prompt has exactly the requested
// number of tokens (as the tokenizer counts them without BOS); without one it is approximate:
// kCharsPerToken characters per token. docs/bench-serving.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/workload.h"
#include "engine/engine.h"

namespace wattserve::bench::load {

inline constexpr int kCharsPerToken = 4;

class PromptBuilder {
 public:
  // `tokenizer` may be null (approximate lengths); it must outlive the builder.
  PromptBuilder(const Workload& workload, const engine::TextModel* tokenizer);
  // A prompt of `tokens` tokens for request `index`; the offset depends on index and seed.
  std::string build(std::size_t index, int tokens, std::uint64_t seed) const;
  bool exact() const { return tokenizer_ != nullptr; }

 private:
  const engine::TextModel* tokenizer_;
  std::string corpus_;
  std::vector<engine::Token> tokens_;  // the corpus tokenized (with a tokenizer)
};

}  // namespace wattserve::bench::load
