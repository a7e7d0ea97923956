// Checks every tensor engine (onnx, torch) must pass with the zoo's Fashion-MNIST classifiers:
// load errors, input checks, batching. Each engine's test file calls them with its name.
#pragma once

#include <thread>

#include "tensor_test_util.h"

namespace wattserve::engine::test {

// The classifier declares input "image" float32 [-1,1,28,28] and output "logits" float32.
inline void check_classifier_interface(const std::string& engine_name) {
  auto model = engine(engine_name).load(classifier_path(engine_name, "tiny"), {});
  EXPECT_EQ(model->kind(), ModelKind::kTensorInference);
  EXPECT_EQ(model->provider(), "cpu");
  expect_engine_error([&] { model->text(); }, EngineError::Kind::kUnsupported,
                      "not a text-generation model");
  const auto in = model->tensor().inputs();
  ASSERT_EQ(in.size(), 1u);
  EXPECT_EQ(in[0].name, "image");
  EXPECT_EQ(in[0].dtype, DType::kFloat32);
  EXPECT_EQ(in[0].shape, (std::vector<std::int64_t>{-1, 1, 28, 28}));
  const auto out = model->tensor().outputs();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "logits");
  EXPECT_EQ(out[0].dtype, DType::kFloat32);
}

// Runs `n` sample images as one batch and one by one: same rows. Batched kernels may sum in
// another order than single-image ones, so rows agree to float rounding (1e-5 on logits of
// magnitude ~10), not bitwise; a batching bug (rows mixed up, batch dimension ignored) is off
// by whole units.
inline void check_batch_equals_singles(const std::string& engine_name, const std::string& size,
                                       std::size_t n) {
  auto model = engine(engine_name).load(classifier_path(engine_name, size), {});
  TensorModel& m = model->tensor();
  const NamedTensors batch = m.run({{"image", sample().batch(0, n)}});
  ASSERT_EQ(batch.size(), 1u);
  const Tensor& logits = batch.at("logits");
  ASSERT_EQ(logits.shape, (std::vector<std::int64_t>{static_cast<std::int64_t>(n), 10}));
  ASSERT_EQ(logits.dtype, DType::kFloat32);
  for (std::size_t i = 0; i < n; ++i) {
    const Tensor one = m.run({{"image", sample().batch(i, 1)}}).at("logits");
    ASSERT_EQ(one.shape, (std::vector<std::int64_t>{1, 10}));
    const std::vector<float> row(logits.f32.begin() + static_cast<std::ptrdiff_t>(i * 10),
                                 logits.f32.begin() + static_cast<std::ptrdiff_t>(i * 10 + 10));
    EXPECT_LE(max_abs_diff(row, one.f32), 1e-5f) << engine_name << " " << size << " image " << i;
  }
}

// One model run from two threads at once (as a server does) gives each thread the results a
// single thread gets.
inline void check_concurrent_runs(const std::string& engine_name) {
  auto model = engine(engine_name).load(classifier_path(engine_name, "small"), {});
  TensorModel& m = model->tensor();
  const std::vector<float> expected[2] = {
      m.run({{"image", sample().batch(0, 4)}}).at("logits").f32,
      m.run({{"image", sample().batch(4, 4)}}).at("logits").f32};
  float worst[2] = {0, 0};
  auto work = [&](int k) {
    for (int i = 0; i < 20; ++i) {
      const auto got = m.run({{"image", sample().batch(static_cast<std::size_t>(k) * 4, 4)}});
      worst[k] = std::max(worst[k], max_abs_diff(got.at("logits").f32, expected[k]));
    }
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();
  EXPECT_LE(worst[0], 1e-5f);
  EXPECT_LE(worst[1], 1e-5f);
}

// A missing file, a non-model file with the engine's extension, an unknown provider and a
// negative thread count.
inline void check_load_errors(const std::string& engine_name, const std::string& extension,
                              const std::string& bad_format_message) {
  EngineFactory& e = engine(engine_name);
  expect_engine_error([&] { e.load("/nonexistent/model" + extension, {}); },
                      EngineError::Kind::kNotFound, "/nonexistent/model" + extension);
  expect_engine_error([&] { e.load("/tmp", {}); }, EngineError::Kind::kNotFound,
                      "not a regular file");
  TempFile text("not_a_model" + extension, "this is a text file, not a model\n");
  expect_engine_error([&] { e.load(text.path(), {}); }, EngineError::Kind::kBadFormat,
                      bad_format_message);
  TempFile empty("empty" + extension, "");
  expect_engine_error([&] { e.load(empty.path(), {}); }, EngineError::Kind::kBadFormat,
                      bad_format_message);

  LoadOptions nosuch;
  nosuch.provider = "nosuch";
  expect_engine_error([&] { e.load(classifier_path(engine_name, "tiny"), nosuch); },
                      EngineError::Kind::kUnknownProvider,
                      "unknown execution provider 'nosuch' (available: cpu");
  LoadOptions negative;
  negative.threads = -1;
  expect_invalid_argument([&] { e.load(classifier_path(engine_name, "tiny"), negative); },
                          "threads must be >= 0");
}

// Wrong input names, dtypes, ranks, dimensions and data sizes are std::invalid_argument naming
// the input and what is wrong; the model still runs afterwards.
inline void check_bad_inputs(const std::string& engine_name) {
  LoadOptions one_thread;
  one_thread.threads = 1;
  auto model = engine(engine_name).load(classifier_path(engine_name, "tiny"), one_thread);
  TensorModel& m = model->tensor();
  const Tensor good = sample().batch(0, 2);

  expect_invalid_argument([&] { m.run({{"img", good}}); }, "unknown input 'img'");
  expect_invalid_argument([&] { m.run({{"img", good}}); }, "image float32 [-1,1,28,28]");
  expect_invalid_argument([&] { m.run({}); }, "missing input 'image'");
  expect_invalid_argument(
      [&] {
        m.run({{"image", good}, {"extra", good}});
      },
      "unknown input 'extra'");

  Tensor ints;
  ints.shape = good.shape;
  ints.dtype = DType::kInt64;
  ints.i64.assign(good.f32.size(), 0);
  expect_invalid_argument(
      [&] {
        m.run({{"image", ints}});
      },
      "input 'image': dtype int64, the model expects float32");

  Tensor rank3 = good;
  rank3.shape = {2, 28, 28};
  expect_invalid_argument(
      [&] {
        m.run({{"image", rank3}});
      },
      "input 'image': shape [2,28,28] has rank 3, the model expects rank 4");

  Tensor wrong_dim;
  wrong_dim.shape = {1, 1, 27, 28};
  wrong_dim.f32.assign(27 * 28, 0.5f);
  expect_invalid_argument(
      [&] {
        m.run({{"image", wrong_dim}});
      },
      "input 'image': shape [1,1,27,28], dimension 2 must be 28");

  Tensor short_data = good;
  short_data.f32.pop_back();
  expect_invalid_argument([&] { m.run({{"image", short_data}}); }, "input 'image': tensor of");

  const NamedTensors out = m.run({{"image", good}});
  EXPECT_EQ(out.at("logits").shape, (std::vector<std::int64_t>{2, 10}));
}

}  // namespace wattserve::engine::test
