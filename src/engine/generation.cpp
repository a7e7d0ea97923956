// Generation: the stop rules shared by every text engine (generation.h).
#include "engine/generation.h"

#include <algorithm>

namespace wattserve::engine {

std::size_t find_stop(const std::string& text, std::size_t from,
                      const std::vector<std::string>& stop) {
  std::size_t best = std::string::npos;
  for (const auto& s : stop) {
    const std::size_t start = from >= s.size() ? from - s.size() + 1 : 0;
    best = std::min(best, text.find(s, start));
  }
  return best;
}

bool Generation::accept(Token token, bool end_of_generation, std::string_view piece,
                        const TokenCallback& on_token) {
  if (end_of_generation && !params_.ignore_eos) {
    result_.reason = StopReason::kEndOfGeneration;
    return false;
  }
  const std::size_t before = result_.text.size();
  result_.tokens.push_back(token);
  result_.text += piece;
  if (on_token && !on_token(token, piece)) {
    result_.reason = StopReason::kCallback;
    return false;
  }
  if (const auto at = find_stop(result_.text, before, params_.stop); at != std::string::npos) {
    result_.text.resize(at);
    result_.reason = StopReason::kStopString;
    return false;
  }
  if (result_.tokens.size() >= static_cast<std::size_t>(params_.max_tokens)) {
    result_.reason = StopReason::kMaxTokens;
    return false;
  }
  return true;
}

}  // namespace wattserve::engine
