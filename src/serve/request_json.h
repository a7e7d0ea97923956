// JSON helpers shared by the request parsers of `wattserve serve` (OpenAI and KServe bodies):
// parsing a body into an object with bounded nesting, so that no later recursive walk can exhaust
// the stack, and type-checked string fields. Errors are ApiError(400).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace wattserve::serve {

// Arrays and objects nested deeper than this are rejected before parsing.
inline constexpr int kMaxRequestJsonDepth = 64;

// Parses a request body that must be a JSON object nested at most kMaxRequestJsonDepth levels.
nlohmann::json parse_request_object(std::string_view body);

// True when `obj` is an object whose `key` holds a string equal to `want`; false when the key is
// missing or holds another type (nlohmann's value() would throw a type_error there).
bool string_field_is(const nlohmann::json& obj, const char* key, std::string_view want);

}  // namespace wattserve::serve
