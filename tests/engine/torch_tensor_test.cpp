// The torch engine with the zoo's Fashion-MNIST classifiers (.torchscript.pt, with their
// wattserve.json metadata): interface, batching, load errors and input checks
// (tensor_engine_checks.h).
#include <gtest/gtest.h>

#include "tensor_engine_checks.h"

namespace wattserve::engine {
namespace {

TEST(TorchEngine, DescribesItself) {
  EngineFactory& e = test::engine("torch");
  EXPECT_EQ(e.name(), "torch");
  EXPECT_EQ(e.version().rfind("LibTorch ", 0), 0u) << e.version();
  ASSERT_FALSE(e.providers().empty());
  EXPECT_EQ(e.providers()[0], "cpu");
}

TEST(TorchEngine, ClassifierInterface) {
  test::check_classifier_interface("torch");
}

TEST(TorchEngine, BatchEqualsSingleImages) {
  for (const auto& size : test::classifier_sizes())
    test::check_batch_equals_singles("torch", size, 8);
}

TEST(TorchEngine, ConcurrentRuns) {
  test::check_concurrent_runs("torch");
}

TEST(TorchEngine, LoadErrors) {
  test::check_load_errors("torch", ".pt", "not a TorchScript model");
  // A zip archive (as TorchScript files are) that is not TorchScript.
  test::TempFile zip("not_torchscript.pt", std::string("PK\x05\x06", 4) + std::string(18, '\0'));
  test::expect_engine_error([&] { test::engine("torch").load(zip.path(), {}); },
                            EngineError::Kind::kBadFormat, "not a TorchScript model");
}

TEST(TorchEngine, BadInputsAreInvalidArguments) {
  test::check_bad_inputs("torch");
}

}  // namespace
}  // namespace wattserve::engine
