// The onnx engine with the zoo's Fashion-MNIST classifiers (.onnx): interface, batching, load
// errors and input checks (tensor_engine_checks.h).
#include <gtest/gtest.h>

#include <algorithm>

#include "tensor_engine_checks.h"

namespace wattserve::engine {
namespace {

TEST(OnnxEngine, DescribesItself) {
  EngineFactory& e = test::engine("onnx");
  EXPECT_EQ(e.name(), "onnx");
  EXPECT_EQ(e.version().rfind("ONNX Runtime 1.", 0), 0u) << e.version();
  ASSERT_FALSE(e.providers().empty());
  EXPECT_EQ(e.providers()[0], "cpu");
  for (const auto& p : e.providers()) {
    EXPECT_EQ(p.find("ExecutionProvider"), std::string::npos) << "ONNX Runtime's name: " << p;
  }
}

TEST(OnnxEngine, ClassifierInterface) {
  test::check_classifier_interface("onnx");
  // ONNX carries shapes: the output's batch dimension is dynamic.
  auto model = test::engine("onnx").load(test::classifier_path("onnx", "tiny"), {});
  EXPECT_EQ(model->tensor().outputs()[0].shape, (std::vector<std::int64_t>{-1, 10}));
}

TEST(OnnxEngine, BatchEqualsSingleImages) {
  for (const auto& size : test::classifier_sizes())
    test::check_batch_equals_singles("onnx", size, 8);
}

TEST(OnnxEngine, ConcurrentRuns) {
  test::check_concurrent_runs("onnx");
}

TEST(OnnxEngine, LoadErrors) {
  test::check_load_errors("onnx", ".onnx", "ONNX Runtime could not load");
}

TEST(OnnxEngine, CudaWithoutItsProviderLibraryIsAClearError) {
  EngineFactory& e = test::engine("onnx");
  const auto providers = e.providers();
  if (std::find(providers.begin(), providers.end(), "cuda") != providers.end()) {
    GTEST_SKIP() << "the CUDA provider library is installed here";
  }
  LoadOptions o;
  o.provider = "cuda";
  try {
    e.load(test::classifier_path("onnx", "tiny"), o);
    FAIL() << "loaded on a missing provider";
  } catch (const EngineError& err) {
    EXPECT_EQ(err.kind(), EngineError::Kind::kUnknownProvider);
    EXPECT_NE(std::string(err.what()).find("libonnxruntime_providers_cuda.so"), std::string::npos)
        << err.what();
    EXPECT_NE(std::string(err.what()).find("available here: cpu"), std::string::npos) << err.what();
  }
}

TEST(OnnxEngine, BadInputsAreInvalidArguments) {
  test::check_bad_inputs("onnx");
}

}  // namespace
}  // namespace wattserve::engine
