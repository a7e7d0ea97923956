// The stop rules of text generation in one place, shared by every engine's generate() and by the
// server's continuous-batching loop: after each sampled token, in this order, end-of-generation
// (unless ignore_eos), the token callback, stop strings (the text is cut before the match) and
// max_tokens.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"

namespace wattserve::engine {

// Position of the first stop string that ends at or after text[from..], or npos.
std::size_t find_stop(const std::string& text, std::size_t from,
                      const std::vector<std::string>& stop);

class Generation {
 public:
  explicit Generation(const SamplingParams& params) : params_(params) {}
  // Records the token just sampled with its text piece. Returns true while the generation goes
  // on; false once it has ended, with result().reason set.
  bool accept(Token token, bool end_of_generation, std::string_view piece,
              const TokenCallback& on_token = {});
  // Ends the generation for a reason outside the token stream (e.g. kContextFull).
  void end(StopReason reason) { result_.reason = reason; }
  const GenerateResult& result() const { return result_; }
  GenerateResult take() { return std::move(result_); }

 private:
  const SamplingParams& params_;
  GenerateResult result_;
};

}  // namespace wattserve::engine
