// Errors of the engine layer: bad paths, non-GGUF files, unknown providers, bad sampling
// values, generating from a tokenizer-only model, missing plug-ins.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine_test_util.h"

namespace wattserve::engine {
namespace {

// Runs f, expecting an EngineError of `kind` whose message contains `needle`.
template <typename F>
void expect_engine_error(F f, EngineError::Kind kind, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no EngineError";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

template <typename F>
std::string invalid_argument_message(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no std::invalid_argument)";
}

TEST(LlamaEngine, DescribesItself) {
  EngineFactory& e = test::llama();
  EXPECT_EQ(e.name(), "llama");
  EXPECT_NE(e.version().find("llama.cpp"), std::string::npos);
  ASSERT_FALSE(e.providers().empty());
  EXPECT_EQ(e.providers()[0], "cpu");
  EXPECT_EQ(&e, &test::llama());  // loaded once
}

TEST(LlamaEngine, MissingFileIsNotFound) {
  expect_engine_error([] { test::llama().load("/nonexistent/model.gguf", {}); },
                      EngineError::Kind::kNotFound, "/nonexistent/model.gguf");
  expect_engine_error([] { test::llama().load("/tmp", {}); }, EngineError::Kind::kNotFound,
                      "not a regular file");
}

TEST(LlamaEngine, NonGgufFileIsBadFormat) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("wattserve_not_a_model." + std::to_string(getpid()) + ".onnx");
  std::ofstream(path) << "this is not a GGUF model\n";
  expect_engine_error([&] { test::llama().load(path.string(), {}); }, EngineError::Kind::kBadFormat,
                      "not a GGUF file");
  // GGUF magic but nothing after it: llama.cpp itself refuses it.
  std::ofstream(path, std::ios::trunc) << "GGUF";
  expect_engine_error([&] { test::llama().load(path.string(), {}); }, EngineError::Kind::kBadFormat,
                      "llama.cpp could not load");
  std::filesystem::remove(path);
}

TEST(LlamaEngine, UnknownProviderListsAvailable) {
  LoadOptions o = test::vocab_only();
  o.provider = "tpu";
  expect_engine_error([&] { test::llama().load(test::vocab_path("ggml-vocab-gpt-2.gguf"), o); },
                      EngineError::Kind::kUnknownProvider,
                      "unknown execution provider 'tpu' (available: cpu");
  // cuda where it is not offered (every CI build): what it takes.
  const auto providers = test::llama().providers();
  if (std::find(providers.begin(), providers.end(), "cuda") == providers.end()) {
    o.provider = "cuda";
    expect_engine_error([&] { test::llama().load(test::vocab_path("ggml-vocab-gpt-2.gguf"), o); },
                        EngineError::Kind::kUnknownProvider, "built with -DWATTSERVE_CUDA=ON");
  }
}

TEST(LlamaEngine, VocabOnlyModelCannotGenerate) {
  auto model = test::llama().load(test::vocab_path("ggml-vocab-gpt-2.gguf"), test::vocab_only());
  EXPECT_EQ(model->kind(), ModelKind::kTextGeneration);
  EXPECT_EQ(model->provider(), "cpu");
  expect_engine_error([&] { model->tensor(); }, EngineError::Kind::kUnsupported,
                      "not a tensor-inference model");
  const std::vector<Token> prompt{15496};
  SamplingParams greedy;
  greedy.temperature = 0;
  expect_engine_error([&] { model->text().generate(prompt, greedy); },
                      EngineError::Kind::kUnsupported, "vocab_only");
}

TEST(Sampling, OutOfRangeValuesAreRejected) {
  auto model = test::llama().load(test::vocab_path("ggml-vocab-gpt-2.gguf"), test::vocab_only());
  const std::vector<Token> prompt{15496};
  auto gen = [&](SamplingParams p) {
    return invalid_argument_message([&] { model->text().generate(prompt, p); });
  };
  SamplingParams p;
  p.max_tokens = 0;
  EXPECT_EQ(gen(p).rfind("max_tokens must be >= 1", 0), 0u) << gen(p);
  p = {};
  p.temperature = -0.5f;
  EXPECT_EQ(gen(p).rfind("temperature must be >= 0", 0), 0u) << gen(p);
  p = {};
  p.top_k = -1;
  EXPECT_EQ(gen(p).rfind("top_k must be >= 0", 0), 0u) << gen(p);
  for (float bad : {0.0f, -0.1f, 1.5f}) {
    p = {};
    p.top_p = bad;
    EXPECT_EQ(gen(p).rfind("top_p must be in (0, 1]", 0), 0u) << gen(p);
  }
  p = {};
  p.stop = {""};
  EXPECT_EQ(gen(p), "stop strings must not be empty");
  // The defaults and the edges are valid.
  EXPECT_NO_THROW(validate(SamplingParams{}));
  p = {};
  p.max_tokens = 1;
  p.temperature = 0;
  p.top_k = 0;
  p.top_p = 1.0f;
  EXPECT_NO_THROW(validate(p));
}

TEST(Tensor, ShapeAndDataMustAgree) {
  Tensor t{.shape = {2, 3}, .dtype = DType::kFloat32, .f32 = std::vector<float>(6), .i64 = {}};
  EXPECT_EQ(t.element_count(), 6u);
  EXPECT_NO_THROW(t.validate());
  t.f32.pop_back();
  EXPECT_THROW(t.validate(), std::invalid_argument);
  Tensor ids{.shape = {1, 4}, .dtype = DType::kInt64, .f32 = {}, .i64 = {1, 2, 3, 4}};
  EXPECT_NO_THROW(ids.validate());
  EXPECT_EQ(Tensor{}.element_count(), 1u);  // a scalar
}

TEST(Plugins, MissingPluginIsReported) {
  expect_engine_error([] { load_engine("nosuch", WATTSERVE_TEST_PLUGIN_DIR); },
                      EngineError::Kind::kPlugin, "libwattserve_engine_nosuch.so");
}

// A CUDA build's plug-in where a CUDA library is missing: the loader's reason, and what to do.
TEST(Plugins, CudaPluginWithoutTheDriverSaysWhy) {
  expect_engine_error([] { load_engine("fakecuda", WATTSERVE_FAKE_CUDA_PLUGIN_DIR); },
                      EngineError::Kind::kPlugin, "libcublas_wattserve_test.so.1");
  expect_engine_error([] { load_engine("fakecuda", WATTSERVE_FAKE_CUDA_PLUGIN_DIR); },
                      EngineError::Kind::kPlugin, "built with CUDA, WATTSERVE_CUDA=ON");
}

}  // namespace
}  // namespace wattserve::engine
