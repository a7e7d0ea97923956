// Prompts of a requested length (prompts.h).
#include "bench/load/prompts.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace wattserve::bench::load {

namespace {

// splitmix64: a well-mixed offset for (index, seed).
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

PromptBuilder::PromptBuilder(const Workload& w, const engine::TextModel* tokenizer)
    : tokenizer_(tokenizer) {
  for (const auto& item : w.text) {
    corpus_ += item.prompt;
    corpus_ += item.reference;
    corpus_ += "\n\n";
  }
  if (corpus_.empty())
    throw std::invalid_argument("the workload has no text to build prompts from");
  if (tokenizer_) tokens_ = tokenizer_->tokenize(corpus_, /*add_special=*/false);
  if (tokenizer_ && tokens_.empty()) {
    throw std::invalid_argument("the workload's text tokenizes to nothing");
  }
}

std::string PromptBuilder::build(std::size_t index, int n, std::uint64_t seed) const {
  n = std::max(1, n);
  const std::uint64_t h = mix(seed * 0x100000001b3ULL ^ mix(index));
  if (!tokenizer_) {
    const std::size_t len = static_cast<std::size_t>(n) * kCharsPerToken;
    std::string out;
    std::size_t off = h % corpus_.size();
    while (out.size() < len) {
      const std::size_t take = std::min(len - out.size(), corpus_.size() - off);
      out.append(corpus_, off, take);
      off = 0;
    }
    return out;
  }
  // Token ids from the offset, wrapping around the corpus; then the detokenized text is checked
  // by tokenizing it again (merges at the cut can change the count) and the cut moved by a few
  // tokens until the count is exact (or the closest found).
  const std::size_t off = h % tokens_.size();
  std::string best;
  int best_err = -1;
  for (int delta : {0, -1, 1, -2, 2, -3, 3, -4, 4, -6, 6, -8, 8}) {
    const int take = n + delta;
    if (take < 1) continue;
    std::vector<engine::Token> ids;
    ids.reserve(static_cast<std::size_t>(take));
    for (int k = 0; k < take; ++k)
      ids.push_back(tokens_[(off + static_cast<std::size_t>(k)) % tokens_.size()]);
    std::string text = tokenizer_->detokenize(ids, /*remove_special=*/true);
    const int got = static_cast<int>(tokenizer_->tokenize(text, /*add_special=*/false).size());
    const int err = std::abs(got - n);
    if (best_err < 0 || err < best_err) {
      best_err = err;
      best = std::move(text);
    }
    if (err == 0) break;
  }
  return best;
}

}  // namespace wattserve::bench::load
