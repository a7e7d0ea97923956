// The request parsers' JSON reader: without a policy it builds what nlohmann's parser builds;
// a policy's omissions, marks and size bounds leave out what a request cannot use (defect 10);
// the walk sees every value with its path, in document order.
#include "serve/request_json.h"

#include <gtest/gtest.h>

#include "serve/openai_api.h"

namespace wattserve::serve {
namespace {

using nlohmann::json;

TEST(RequestJson, WithoutAPolicyTheSameAsNlohmann) {
  for (const char* body : {
           R"({})",
           R"({"a": 1, "b": -2, "c": 18446744073709551615, "d": 1.5e-3, "e": true, "f": null})",
           R"({"s": "x\u00e9\ud83d\ude00\n\"", "nested": [[], {}, [1, [2, {"k": [3]}]]]})",
           R"({"dup": 1, "dup": {"x": [1, 2]}, "o": {"dup": [], "dup": "last"}})",
           R"({"arr": [{"a": 1}, {"b": [true, false, null]}], "z": ""})",
       }) {
    EXPECT_EQ(parse_request_object(body), json::parse(body)) << body;
  }
  for (const char* bad :
       {"", "[1, 2]", "\"x\"", "5", "{", R"({"a": 1e400})", R"({"a": 1} x)", R"({"a": [1, 2})"}) {
    EXPECT_THROW(parse_request_object(bad), ApiError) << bad;
  }
}

TEST(RequestJson, PolicyOmitsMarksAndBoundsValues) {
  std::vector<std::string> asked;
  const JsonPolicy policy = [&](std::span<const JsonStep> p, JsonEvent e) {
    std::string where;
    for (const auto& s : p) where += s.in_array ? "[" + std::to_string(s.index) + "]" : "." + s.key;
    asked.push_back(where + (e == JsonEvent::kScalar ? "" : e == JsonEvent::kArray ? "[" : "{"));
    const std::string& top = p[0].key;
    if (top == "omit") return JsonKeep::omit();
    if (top == "mark") return JsonKeep::mark();
    if (top == "two") return JsonKeep::keep(2);
    if (top == "objects") {
      return p.size() == 2 && e != JsonEvent::kObject ? JsonKeep::mark_parent() : JsonKeep::keep();
    }
    return JsonKeep::keep();
  };
  const json j = parse_request_object(
      R"({"omit": [1, [2]], "mark": {"a": [1]}, "two": [1, 2], "keep": [1, [2, 3]],
          "two": [[1, 2, 3], [4]], "objects": [{"a": 1}, 2, {"b": 3}], "last": 0})",
      policy);
  EXPECT_FALSE(j.contains("omit"));
  EXPECT_TRUE(is_json_mark(j["mark"]));
  EXPECT_EQ(j["keep"], json::parse("[1, [2, 3]]"));
  // The later "two" wins; its first entry had more than 2 entries.
  ASSERT_TRUE(j["two"].is_array());
  EXPECT_TRUE(is_json_mark(j["two"][0]));
  EXPECT_EQ(j["two"][1], json::array({4}));
  EXPECT_TRUE(is_json_mark(j["objects"]));  // a scalar among objects spoils the array
  EXPECT_EQ(j["last"], 0);
  // Nothing inside an omitted or marked value is asked about, nor after an array became the mark.
  EXPECT_EQ(asked, (std::vector<std::string>{
                       ".omit[",     ".mark{",    ".two[",        ".two[0]",       ".two[1]",
                       ".keep[",     ".keep[0]",  ".keep[1][",    ".keep[1][0]",   ".keep[1][1]",
                       ".two[",      ".two[0][",  ".two[0][0]",   ".two[0][1]",    ".two[1][",
                       ".two[1][0]", ".objects[", ".objects[0]{", ".objects[0].a", ".objects[1]",
                       ".last"}));
  EXPECT_FALSE(is_json_mark(json::array()));
  EXPECT_FALSE(is_json_mark(json(nullptr)));
}

TEST(RequestJson, WalkSeesEveryValueWithItsPath) {
  std::vector<std::string> seen;
  const bool done = walk_request_object(
      R"({"a": [1, {"b": "x"}], "c": {}, "d": [[]]})",
      [&](std::span<const JsonStep> p, JsonEvent e, json&& v) {
        std::string where;
        for (const auto& s : p)
          where += s.in_array ? "[" + std::to_string(s.index) + "]" : "." + s.key;
        seen.push_back(where + (e == JsonEvent::kScalar  ? "=" + v.dump()
                                : e == JsonEvent::kArray ? "["
                                                         : "{"));
        return true;
      });
  EXPECT_TRUE(done);
  EXPECT_EQ(seen, (std::vector<std::string>{".a[", ".a[0]=1", ".a[1]{", ".a[1].b=\"x\"", ".c{",
                                            ".d[", ".d[0]["}));
  int calls = 0;
  EXPECT_FALSE(
      walk_request_object(R"({"a": 1, "b": 2})", [&](std::span<const JsonStep>, JsonEvent, json&&) {
        ++calls;
        return false;
      }));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace wattserve::serve
