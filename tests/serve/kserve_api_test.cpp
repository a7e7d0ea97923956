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

// The data are read in a second pass straight into the tensors (defect 10): whatever the order of
// the fields, and with JSON's duplicate keys resolved as before (the later one wins).
TEST(KserveRequest, DataInAnyOrderAndTheLastDuplicateKeyWins) {
  auto r = parse_infer_request(R"({"inputs": [{"data": [[1], [2]], "name": "x", "parameters":
      {"binary_data_size": 8}, "datatype": "INT64", "shape": [2, 1]}], "parameters": {"a": [1]}})");
  EXPECT_EQ(r.inputs.at("x").i64, (std::vector<std::int64_t>{1, 2}));
  r = parse_infer_request(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32",
      "data": ["not a number"], "data": [3]}]})");
  EXPECT_EQ(r.inputs.at("x").f32, std::vector<float>{3});
  r = parse_infer_request(R"({"inputs": [{"name": "y", "shape": [1], "datatype": "FP32",
      "data": [{}]}, {"name": "z"}], "inputs": [{"name": "x", "shape": [], "datatype": "FP32",
      "data": 4.5}]})");
  ASSERT_EQ(r.inputs.size(), 1u);
  EXPECT_EQ(r.inputs.at("x").f32, std::vector<float>{4.5f});
  // Two inputs, the second's data first in the body; empty nested arrays hold no values.
  r = parse_infer_request(R"({"inputs": [{"name": "a", "shape": [2], "datatype": "INT64",
      "data": [[], [5], [], [-6]]}, {"data": [7], "name": "b", "shape": [1], "datatype": "FP32"}],
      "outputs": [{"name": "y", "parameters": {"binary_data": false}}]})");
  EXPECT_EQ(r.inputs.at("a").i64, (std::vector<std::int64_t>{5, -6}));
  EXPECT_EQ(r.inputs.at("b").f32, std::vector<float>{7});
  EXPECT_EQ(r.outputs, std::vector<std::string>{"y"});
  for (const char* body : {
           R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [{"a": 1}]}]})",
           R"({"inputs": [{"name": "x", "shape": [1], "datatype": "INT64", "data": [true]}]})",
           R"({"inputs": [{"name": "x", "shape": [1], "datatype": "INT64", "data": [1],
               "data": [1.5]}]})",
           R"({"inputs": [{"name": "x", "shape": [2], "datatype": "INT64", "data": 1}]})",
           R"({"inputs": [{"name": "x", "shape": [1], "datatype": "INT64",
               "data": [9223372036854775808]}]})",
       }) {
    EXPECT_EQ(status_of(body), 400) << body;
  }
}

TEST(KserveRequest, BoundedCountsOfTensorsAndDimensions) {
  std::string inputs, outputs;
  for (int i = 0; i < 1025; ++i) {
    inputs += std::string(i ? "," : "") + R"({"name": "x)" + std::to_string(i) +
              R"(", "shape": [1], "datatype": "FP32", "data": [0]})";
    outputs += (i ? "," : "") + std::string(R"({"name": "y"})");
  }
  EXPECT_EQ(status_of(R"({"inputs": [)" + inputs + "]}"), 400);
  const std::string one = R"({"name": "x", "shape": [1], "datatype": "FP32", "data": [0]})";
  EXPECT_EQ(status_of(R"({"inputs": [)" + one + R"(], "outputs": [)" + outputs + "]}"), 400);
  std::string shape = "[1";
  for (int i = 1; i < 65; ++i) shape += ",1";
  EXPECT_EQ(status_of(R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": )" + shape +
                      R"(], "data": [0]}]})"),
            400);
  // A shape asking for 2^28 values of a 2-value body reserves no more than the body can fill.
  EXPECT_EQ(status_of(R"({"inputs": [{"name": "x", "shape": [16384, 16384], "datatype": "FP32",
      "data": [0, 0]}]})"),
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
  // Other parameters are ignored (KServe clients send their own), unsupported sampling options
  // of the OpenAI API are rejected as there.
  EXPECT_EQ(parse_text_infer_request(
                R"({"inputs": [{"name": "text_input", "datatype": "BYTES", "shape": [1],
                    "data": ["x"]}], "parameters": {"binary_data_output": true, "top_k": 2,
                    "n": 3, "tools": [{}], "max_completion_tokens": 9}})",
                {})
                .sampling.top_k,
            2);
  for (const char* p : {R"("logit_bias": {"1": 1})", R"("best_of": 2)", R"("suffix": "x")",
                        R"("presence_penalty": 1)"}) {
    try {
      parse_text_infer_request(
          std::string(R"({"inputs": [{"name": "text_input", "datatype": "BYTES", "shape": [1],
              "data": ["x"]}], "parameters": {)") +
              p + "}}",
          {});
      ADD_FAILURE() << p;
    } catch (const ApiError& e) {
      EXPECT_NE(std::string(p).find(e.param), std::string::npos) << p << " " << e.param;
    }
  }
  EXPECT_THROW(parse_text_infer_request(R"({"inputs": [{"name": "text_input", "datatype": "BYTES",
      "shape": [1], "data": ["x", "y"]}]})",
                                        {}),
               ApiError);
  // The benchmark extension, under the max_tokens cap (64 by default).
  const auto bench = [](const std::string& params) {
    return parse_text_infer_request(
        R"({"inputs": [{"name": "text_input", "datatype": "BYTES", "shape": [1], "data": ["x"]}],
            "parameters": )" +
            params + "}",
        {});
  };
  EXPECT_EQ(bench(R"({"bench_output_tokens": 64})").bench_output_tokens, 64);
  EXPECT_EQ(bench(R"({"bench_output_tokens": 64})").sampling.max_tokens, 64);
  EXPECT_FALSE(bench("{}").bench_output_tokens.has_value());
  for (const char* p :
       {R"({"bench_output_tokens": 65})", R"({"max_tokens": 3, "bench_output_tokens": 4})",
        R"({"bench_output_tokens": 0})"}) {
    try {
      bench(p);
      ADD_FAILURE() << p;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.param, "bench_output_tokens") << p;
    }
  }
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

// Defect 8: the OCR model's output is "text" in its metadata and responses (the engine's
// "text_utf8" sent as strings); a request for "text" was 400, and only after inference.
std::vector<engine::TensorInfo> ocr_outputs() {
  return {{"boxes", {-1, -1, 8}, engine::DType::kFloat32},
          {"scores", {-1, -1}, engine::DType::kFloat32},
          {"text_utf8", {-1, -1, -1}, engine::DType::kInt64},
          {"raw_utf8", {-1}, engine::DType::kFloat32}};  // not INT64: keeps its name
}

TEST(KserveOutputs, PublicAndInternalNamesResolveToTheModelsOutputs) {
  const auto outs = ocr_outputs();
  EXPECT_EQ(public_output_name(outs[2]), "text");
  EXPECT_EQ(public_output_name(outs[3]), "raw_utf8");
  EXPECT_EQ(resolve_requested_outputs(outs, {"text"}), std::vector<std::string>{"text_utf8"});
  EXPECT_EQ(resolve_requested_outputs(outs, {"text_utf8"}), std::vector<std::string>{"text_utf8"});
  EXPECT_EQ(resolve_requested_outputs(outs, {"scores", "text", "text_utf8", "scores"}),
            (std::vector<std::string>{"scores", "text_utf8"}));
  EXPECT_EQ(resolve_requested_outputs(outs, {"raw_utf8"}), std::vector<std::string>{"raw_utf8"});
  EXPECT_TRUE(resolve_requested_outputs(outs, {}).empty());
  for (const char* bad : {"texts", "raw", "", "TEXT"}) {
    try {
      resolve_requested_outputs(outs, {"boxes", bad});
      ADD_FAILURE() << bad;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status, 400);
      EXPECT_EQ(e.param, "outputs");
      EXPECT_NE(std::string(e.what()).find(std::string("no output '") + bad + "'"),
                std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("its outputs: boxes, scores, text, raw_utf8"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(KserveOutputs, ResponsesUseThePublicNameOfResolvedOutputs) {
  engine::NamedTensors out;
  out["scores"] = engine::Tensor{{1, 1}, engine::DType::kFloat32, {0.5f}, {}};
  out["text_utf8"] = engine::Tensor{{1, 1, 2}, engine::DType::kInt64, {}, {'h', 'i'}};
  const auto j = infer_response("ocr", "", out, resolve_requested_outputs(ocr_outputs(), {"text"}),
                                nlohmann::json::object());
  ASSERT_EQ(j["outputs"].size(), 1u);
  EXPECT_EQ(j["outputs"][0]["name"], "text");
  EXPECT_EQ(j["outputs"][0]["data"], nlohmann::json::array({"hi"}));
  const auto all = infer_response("ocr", "", out, {}, nlohmann::json::object());
  ASSERT_EQ(all["outputs"].size(), 2u);
  EXPECT_EQ(all["outputs"][1]["name"], "text");
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
