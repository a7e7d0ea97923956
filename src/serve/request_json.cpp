#include "serve/request_json.h"

#include <fmt/format.h>

#include "serve/openai_api.h"

namespace wattserve::serve {

namespace {

// The deepest nesting of [ and { outside strings; stops counting once past `limit`.
int nesting_depth(std::string_view body, int limit) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) break;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

nlohmann::json parse_request_object(std::string_view body) {
  if (nesting_depth(body, kMaxRequestJsonDepth) > kMaxRequestJsonDepth) {
    throw bad_request("",
                      fmt::format("the request body nests arrays or objects deeper than {} levels",
                                  kMaxRequestJsonDepth));
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw bad_request("", "the request body is not valid JSON");
  if (!j.is_object()) throw bad_request("", "the request body must be a JSON object");
  return j;
}

bool string_field_is(const nlohmann::json& obj, const char* key, std::string_view want) {
  if (!obj.is_object()) return false;
  const auto it = obj.find(key);
  return it != obj.end() && it->is_string() && it->get_ref<const std::string&>() == want;
}

}  // namespace wattserve::serve
