// KServe v2 bodies: tensors parse from flat or nested data with their shapes and datatypes,
// malformed ones are 400 naming the tensor, text requests take their sampling from
// "parameters", and responses keep only the requested outputs and carry the energy.
#include "serve/kserve_api.h"

#include <gtest/gtest.h>

#include "serve/request_json.h"

namespace wattserve::serve {
namespace {

int status_of(const std::string& body) {
  try {
    parse_infer_request(body);
  } catch (const ApiError& e) {
    return e.status;
  }
  return 200;
}

TEST(KserveRequest, TensorsFromFlatAndNestedData) {
  const auto r = parse_infer_request(R"({"id": "a", "inputs": [
      {"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3, 4.5]]},
      {"name": "ids", "shape": [2], "datatype": "INT64", "data": [7, -8]}],
      "outputs": [{"name": "y"}]})");
  EXPECT_EQ(r.id, "a");
  EXPECT_EQ(r.inputs.at("x").shape, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(r.inputs.at("x").f32, (std::vector<float>{1, 2, 3, 4.5f}));
  EXPECT_EQ(r.inputs.at("ids").i64, (std::vector<std::int64_t>{7, -8}));
  EXPECT_EQ(r.outputs, (std::vector<std::string>{"y"}));
}

TEST(KserveRequest, MalformedTensorsAre400) {
  for (const char* body :
       {R"({"inputs": []})", R"({"inputs": [{"shape": [1], "datatype": "FP32", "data": [1]}]})",
        R"({"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "data": [1]}]})",
        R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1, 2]}]})",
        R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP16", "data": [1]}]})",
        R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": ["a"]}]})",
        R"({"inputs": [{"name": "x", "shape": [1], "datatype": "INT64", "data": [1.5]}]})",
        R"({"inputs": [{"name": "x", "shape": [-1], "datatype": "FP32", "data": []}]})",
        R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1e300]}]})",
        R"({"inputs": [{"name": "x", "shape": [100000, 100000], "datatype": "FP32", "data": []}]})",
        R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]},
                          {"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]})",
        R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}], "id": 5})",
        R"({"inputs": )", R"("x")",
        // a field of the wrong type (found by the fuzzer: nlohmann's value() threw type_error)
        R"({"inputs": [{"name": "x", "shape": [1], "datatype": ["FP32"], "data": [1]}]})",
        R"({"inputs": [{"name": "x", "shape": [1], "data": [1]}]})"}) {
    EXPECT_EQ(status_of(body), 400) << body;
  }
}

TEST(KserveRequest, DeeplyNestedBodiesAre400BeforeAnyRecursiveWalk) {
  // 100,000 nested arrays would overflow the stack of a recursive flatten or dump.
  const std::string deep = std::string(100000, '[') + "1" + std::string(100000, ']');
  EXPECT_EQ(status_of(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": )" +
                      deep + "}]}"),
            400);
  EXPECT_THROW(parse_text_infer_request(R"({"inputs": [{"name": "text_input", "datatype": "BYTES",
      "shape": [1], "data": ["x"]}], "parameters": {"extra": )" +
                                            deep + "}}",
                                        {}),
               ApiError);
  // Brackets inside strings are text, not nesting; an escaped quote does not end the string.
  const std::string brackets(1000, '[');
  EXPECT_EQ(parse_text_infer_request(R"({"inputs": [{"name": "text_input", "datatype": "BYTES",
      "shape": [1], "data": [")" + brackets +
                                         R"(\"\\"]}]})",
                                     {})
                .prompt,
            brackets + "\"\\");
  // Exactly the limit nests fine: data [[...[2]...]] with shape [1, 1, ..., 1].
  const int rank = kMaxRequestJsonDepth - 3;  // body object, inputs array, input object
  std::string shape = "[1";
  for (int i = 1; i < rank; ++i) shape += ",1";
  shape += "]";
  const auto r = parse_infer_request(R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": )" +
                                     shape + R"(, "data": )" + std::string(rank, '[') + "2" +
                                     std::string(rank, ']') + "}]}");
  EXPECT_EQ(r.inputs.at("x").f32, std::vector<float>{2});
  EXPECT_EQ(status_of(R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": )" + shape +
                      R"(, "data": )" + std::string(rank + 1, '[') + "2" +
                      std::string(rank + 1, ']') + "}]}"),
            400);
}

TEST(KserveRequest, TextInputAndParameters) {
  const auto r = parse_text_infer_request(
      R"({"inputs": [{"name": "text_input", "datatype": "BYTES", "shape": [1], "data": ["def "]}],
          "parameters": {"max_tokens": 5, "temperature": 0, "stream": true}})",
      {});
  EXPECT_EQ(r.prompt, "def ");
  EXPECT_EQ(r.sampling.max_tokens, 5);
  EXPECT_EQ(r.sampling.temperature, 0.0f);
  EXPECT_EQ(parse_text_infer_request(
                R"({"inputs": [{"name": "text_input", "datatype": "BYTES", "shape": [1],
                    "data": ["x"]}]})",
                {})
                .sampling.max_tokens,
            64);
  EXPECT_THROW(parse_text_infer_request(R"({"inputs": [{"name": "text_input", "datatype": "BYTES",
      "shape": [1], "data": ["x"]}], "parameters": {"max_tokens": -3}})",
                                        {}),
               ApiError);
  EXPECT_THROW(parse_text_infer_request(R"({"inputs": [{"name": "prompt", "datatype": "BYTES",
      "shape": [1], "data": ["x"]}]})",
                                        {}),
               ApiError);
  // The fuzzer's input: a datatype that is an array; and a name that is a number.
  EXPECT_THROW(parse_text_infer_request(R"({"inputs": [{"name": "text_input", "shape": [1],
      "datatype": ["def f("]}], "parameters": {"max_tokens": 2, "tempertaure": 0}})",
                                        {}),
               ApiError);
  EXPECT_THROW(parse_text_infer_request(R"({"inputs": [{"name": 7, "datatype": "BYTES",
      "shape": [1], "data": ["x"]}]})",
                                        {}),
               ApiError);
}

TEST(KserveResponse, RequestedOutputsAndEnergy) {
  engine::NamedTensors out;
  out["a"].shape = {1, 2};
  out["a"].f32 = {0.5f, 1.5f};
  out["b"].shape = {1};
  out["b"].dtype = engine::DType::kInt64;
  out["b"].i64 = {3};
  const auto all = infer_response("m", "id1", out, {}, {{"joules", 1.0}});
  EXPECT_EQ(all["outputs"].size(), 2u);
  EXPECT_EQ(all["id"], "id1");
  EXPECT_EQ(all["parameters"]["energy"]["joules"], 1.0);
  const auto only_b = infer_response("m", "", out, {"b"}, {});
  ASSERT_EQ(only_b["outputs"].size(), 1u);
  EXPECT_EQ(only_b["outputs"][0]["datatype"], "INT64");
  EXPECT_FALSE(only_b.contains("id"));
}

TEST(KserveResponse, Utf8OutputsBecomeStrings) {
  // [2 images, 2 lines, 4 bytes]: "ab", "", "é!" (UTF-8 c3 a9), "wxyz".
  engine::Tensor t{{2, 2, 4},
                   engine::DType::kInt64,
                   {},
                   {'a', 'b', 0, 0, 0, 0, 0, 0, 0xC3, 0xA9, '!', 0, 'w', 'x', 'y', 'z'}};
  const auto j = infer_response("ocr", "", {{"text_utf8", t}}, {}, nlohmann::json::object());
  const auto& o = j["outputs"][0];
  EXPECT_EQ(o["name"], "text");
  EXPECT_EQ(o["datatype"], "BYTES");
  EXPECT_EQ(o["shape"], nlohmann::json::array({2, 2}));
  EXPECT_EQ(o["data"], nlohmann::json::array({"ab", "", "\xC3\xA9!", "wxyz"}));
  // No lines at all: [1, 0, 0] -> shape [1, 0], no strings.
  engine::Tensor empty{{1, 0, 0}, engine::DType::kInt64, {}, {}};
  const auto e = infer_response("ocr", "", {{"text_utf8", empty}}, {}, nlohmann::json::object());
  EXPECT_EQ(e["outputs"][0]["shape"], nlohmann::json::array({1, 0}));
  EXPECT_TRUE(e["outputs"][0]["data"].empty());
  EXPECT_FALSE(
      is_utf8_output("text_utf8", engine::Tensor{{2}, engine::DType::kFloat32, {1, 2}, {}}));
}

}  // namespace
}  // namespace wattserve::serve
