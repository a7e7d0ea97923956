// JSON helpers shared by the request parsers of `wattserve serve` (OpenAI and KServe bodies):
// parsing a body into an object with bounded nesting, so that no later recursive walk can exhaust
// the stack, and without building in memory what the parser does not need (a policy), so that a
// body's in-memory form stays a small multiple of its size; type-checked string fields. Errors
// are ApiError(400).
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

namespace wattserve::serve {

// Arrays and objects nested deeper than this are rejected before parsing.
inline constexpr int kMaxRequestJsonDepth = 64;

// The kind of a value: what a policy and a walk see when it starts.
enum class JsonEvent { kScalar, kArray, kObject };

// What parse_request_object keeps of one value of a body.
struct JsonKeep {
  enum Action {
    kKeep,  // the value; an array or object with more than max_elements entries becomes the mark
    kMark,  // the mark (is_json_mark) in its place: the key is there, its value is not read in
    kOmit,  // nothing: the value is left out, as if the body did not have it
    kMarkParent,  // a value that makes the array or object holding it invalid: that becomes the
                  // mark
  };
  Action action = kKeep;
  std::size_t max_elements = std::numeric_limits<std::size_t>::max();

  static JsonKeep keep(std::size_t max = std::numeric_limits<std::size_t>::max()) {
    return {kKeep, max};
  }
  static JsonKeep mark() { return {kMark, 0}; }
  static JsonKeep omit() { return {kOmit, 0}; }
  static JsonKeep mark_parent() { return {kMarkParent, 0}; }
};

// One step of a value's path from the body's top: an object member's key or an array's index.
struct JsonStep {
  bool in_array = false;
  std::string key;        // !in_array
  std::size_t index = 0;  // in_array
};

// Chooses what to keep of each value below the top object, by its path (never empty) and kind;
// it is asked in document order, once per value, and never for values inside a marked or omitted
// one. Marks and size limits are for values the request could not accept anyway: they keep what
// a hostile body makes the parser hold a small multiple of the body's size.
using JsonPolicy = std::function<JsonKeep(std::span<const JsonStep> path, JsonEvent event)>;

// Parses a request body that must be a JSON object nested at most kMaxRequestJsonDepth levels.
// The whole body is checked for syntax; with a policy, only what it keeps is built in memory.
nlohmann::json parse_request_object(std::string_view body, const JsonPolicy& policy = {});

// The value a policy put in place of a marked, or too large, array or object: a JSON binary
// value, which JSON text cannot produce, so it fails every type check of a request field.
bool is_json_mark(const nlohmann::json& j);

// Walks a body that parse_request_object accepted, building nothing: `visit` gets every value
// below the top object in document order with its path (never empty), the kind of value and, for
// a scalar, the value itself; an array's or object's entries follow it. `visit` returns false to
// stop the walk; walk_request_object then returns false.
using JsonVisitor =
    std::function<bool(std::span<const JsonStep> path, JsonEvent event, nlohmann::json&& scalar)>;
bool walk_request_object(std::string_view body, const JsonVisitor& visit);

// True when `obj` is an object whose `key` holds a string equal to `want`; false when the key is
// missing or holds another type (nlohmann's value() would throw a type_error there).
bool string_field_is(const nlohmann::json& obj, const char* key, std::string_view want);

}  // namespace wattserve::serve
