// Fuzzes parse_completion_request (completions and chat bodies) and complete_utf8_prefix: a
// body parses or throws ApiError(400); a kept UTF-8 prefix never ends inside a character.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "serve/openai_api.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  wattserve::serve::RequestLimits limits;
  limits.max_prompt_bytes = 4096;
  for (const bool chat : {false, true}) {
    try {
      const auto r = wattserve::serve::parse_completion_request(body, chat, limits);
      if (r.sampling.max_tokens < 1 || r.sampling.max_tokens > limits.max_tokens) __builtin_trap();
    } catch (const wattserve::serve::ApiError& e) {
      if (e.status != 400) __builtin_trap();
    }
  }
  // What is held back is an unfinished character at the end: 1 to 3 bytes from a lead byte.
  const std::size_t n = wattserve::serve::complete_utf8_prefix(body);
  if (n > body.size()) __builtin_trap();
  if (n < body.size() && (body.size() - n > 3 || static_cast<unsigned char>(body[n]) < 0xC0)) {
    __builtin_trap();
  }
  return 0;
}
