// Fuzzes the KServe v2 infer-request parsers: tensor bodies parse into tensors whose data match
// their shapes, or throw ApiError(400); so do text bodies.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "serve/kserve_api.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  try {
    const auto r = wattserve::serve::parse_infer_request(body);
    for (const auto& [name, t] : r.inputs) t.validate();  // throws if data and shape disagree
  } catch (const wattserve::serve::ApiError& e) {
    if (e.status != 400) __builtin_trap();
  }
  try {
    wattserve::serve::RequestLimits limits;
    limits.max_prompt_bytes = 4096;
    wattserve::serve::parse_text_infer_request(body, limits);
  } catch (const wattserve::serve::ApiError& e) {
    if (e.status != 400) __builtin_trap();
  }
  return 0;
}
