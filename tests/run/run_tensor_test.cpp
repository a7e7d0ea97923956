// run_tensor / tensor_stats / argmax_accuracy / slice_rows: batching splits rows in order and
// puts outputs back together, every repeat runs, items/s and energy per item follow from the
// fake clock and constant-power sensor.
#include <gtest/gtest.h>

#include "run/run.h"
#include "run_test_util.h"

namespace wattserve::run {
namespace {

engine::Tensor rows_tensor(std::int64_t n, std::int64_t width) {
  engine::Tensor t;
  t.shape = {n, width};
  for (std::int64_t i = 0; i < n * width; ++i) t.f32.push_back(static_cast<float>(i));
  return t;
}

// "y" = x * 2; each run() takes 10 ms; remembers batch sizes.
class DoublingModel final : public engine::TensorModel {
 public:
  explicit DoublingModel(std::shared_ptr<energy::FakeClock> clock) : clock_(std::move(clock)) {}
  std::string provider() const override { return "cpu"; }
  std::vector<engine::TensorInfo> inputs() const override { return {{"x", {-1, 3}}}; }
  std::vector<engine::TensorInfo> outputs() const override { return {{"y", {-1, 3}}}; }
  engine::NamedTensors run(const engine::NamedTensors& in) override {
    clock_->advance_ns(10'000'000);
    engine::Tensor y = in.at("x");
    for (auto& v : y.f32) v *= 2;
    batches.push_back(y.shape[0]);
    return {{"y", y}};
  }
  std::vector<std::int64_t> batches;

 private:
  std::shared_ptr<energy::FakeClock> clock_;
};

TEST(RunTensor, BatchesRepeatsAndStats) {
  FakeMeter fm(5.0);
  DoublingModel model(fm.clock);
  const auto x = rows_tensor(10, 3);
  const auto run = run_tensor(model, {{"x", x}}, 4, 2, *fm.meter);
  EXPECT_EQ(model.batches, (std::vector<std::int64_t>{4, 4, 2, 4, 4, 2}));
  EXPECT_EQ(run.batches, 6u);
  EXPECT_EQ(run.items, 10u);
  ASSERT_EQ(run.outputs.at("y").shape, (std::vector<std::int64_t>{10, 3}));
  for (std::size_t i = 0; i < x.f32.size(); ++i)
    EXPECT_EQ(run.outputs.at("y").f32[i], 2 * x.f32[i]);
  EXPECT_NEAR(run.first_batch_s, 0.01, 1e-9);
  EXPECT_NEAR(run.total_s, 0.06, 1e-9);
  const auto s = tensor_stats(run);
  EXPECT_EQ(s.items, 20u);
  EXPECT_NEAR(s.items_per_s, 20 / 0.06, 1e-6);
  EXPECT_NEAR(s.joules_per_item, 5.0 * 0.06 / 20, 1e-9);
}

TEST(RunTensor, RejectsBadArguments) {
  FakeMeter fm(1.0);
  DoublingModel model(fm.clock);
  const auto x = rows_tensor(4, 3);
  EXPECT_THROW(run_tensor(model, {{"x", x}}, 0, 1, *fm.meter), std::invalid_argument);
  EXPECT_THROW(run_tensor(model, {{"x", x}}, 1, 0, *fm.meter), std::invalid_argument);
  EXPECT_THROW(run_tensor(model, {}, 1, 1, *fm.meter), std::invalid_argument);
  EXPECT_THROW(run_tensor(model, {{"x", x}, {"z", rows_tensor(3, 3)}}, 1, 1, *fm.meter),
               std::invalid_argument);
  auto bad = x;
  bad.f32.pop_back();
  EXPECT_THROW(run_tensor(model, {{"x", bad}}, 1, 1, *fm.meter), std::invalid_argument);
  EXPECT_TRUE(model.batches.empty());
}

TEST(ArgmaxAccuracy, CountsRowsWhoseArgmaxIsTheLabel) {
  engine::Tensor scores;
  scores.shape = {3, 2};
  scores.f32 = {0.1f, 0.9f, 0.8f, 0.2f, 0.4f, 0.6f};
  engine::Tensor labels;
  labels.dtype = engine::DType::kInt64;
  labels.shape = {3};
  labels.i64 = {1, 0, 0};
  EXPECT_NEAR(argmax_accuracy(scores, labels), 2.0 / 3, 1e-12);
  labels.shape = {2};
  labels.i64 = {1, 0};
  EXPECT_THROW(argmax_accuracy(scores, labels), std::invalid_argument);
}

TEST(SliceRows, TakesRowsInOrder) {
  const auto t = slice_rows(rows_tensor(4, 2), 1, 3);
  EXPECT_EQ(t.shape, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(t.f32, (std::vector<float>{2, 3, 4, 5}));
  EXPECT_THROW(slice_rows(rows_tensor(4, 2), 3, 5), std::invalid_argument);
}

}  // namespace
}  // namespace wattserve::run
