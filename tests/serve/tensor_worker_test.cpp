// TensorWorker batches waiting requests together up to max_batch rows, gives each its own rows
// of the outputs, splits the batch's energy by rows (summing to what the meter measured), and
// rejects a bad request at submit so that it cannot fail the others.
#include "serve/tensor_worker.h"

#include <gtest/gtest.h>

#include <thread>

#include "../run/run_test_util.h"

namespace wattserve::serve {
namespace {

// y = 10 * x + row index within the batch; each run takes 10 ms of fake time; records batches.
class RowModel final : public engine::TensorModel {
 public:
  explicit RowModel(std::shared_ptr<energy::FakeClock> clock) : clock_(std::move(clock)) {}
  std::string provider() const override { return "cpu"; }
  std::vector<engine::TensorInfo> inputs() const override { return {{"x", {-1, 2}}}; }
  std::vector<engine::TensorInfo> outputs() const override { return {{"y", {-1, 2}}}; }
  engine::NamedTensors run(const engine::NamedTensors& in) override {
    clock_->advance_ns(10'000'000);
    engine::Tensor y = in.at("x");
    for (auto& v : y.f32) v *= 10;
    batches.push_back(y.shape[0]);
    return {{"y", y}};
  }
  std::vector<std::int64_t> batches;

 private:
  std::shared_ptr<energy::FakeClock> clock_;
};

std::shared_ptr<TensorJob> job(const std::string& id, std::vector<float> values) {
  auto j = std::make_shared<TensorJob>();
  j->id = id;
  auto& x = j->inputs["x"];
  x.shape = {static_cast<std::int64_t>(values.size() / 2), 2};
  x.f32 = std::move(values);
  return j;
}

TEST(TensorWorker, BatchesSplitsOutputsAndEnergyByRows) {
  run::FakeMeter fm(10.0);
  auto model = std::make_unique<RowModel>(fm.clock);
  RowModel* raw = model.get();
  TensorWorkerOptions o;
  o.max_batch = 4;      // reached by the three jobs below: no waiting for the timeout
  o.max_wait_s = 3600;  // so they can only run together
  TensorWorker w("m", std::move(model), *fm.meter, {}, 1.0, o);
  auto a = job("a", {1, 2});
  auto b = job("b", {3, 4, 5, 6});
  auto c = job("c", {7, 8});
  auto fa = a->result.get_future(), fb = b->result.get_future(), fc = c->result.get_future();
  auto bad = job("bad", {1, 2, 3});  // 3 values for rows of 2
  bad->inputs["x"].shape = {1, 3};
  EXPECT_THROW(w.submit(bad), std::invalid_argument);
  ASSERT_TRUE(w.submit(a));
  ASSERT_TRUE(w.submit(b));
  ASSERT_TRUE(w.submit(c));
  const auto ra = fa.get(), rb = fb.get(), rc = fc.get();
  EXPECT_EQ(raw->batches, (std::vector<std::int64_t>{4}));
  ASSERT_FALSE(ra.error || rb.error || rc.error);
  EXPECT_EQ(ra.outputs.at("y").f32, (std::vector<float>{10, 20}));
  EXPECT_EQ(rb.outputs.at("y").f32, (std::vector<float>{30, 40, 50, 60}));
  EXPECT_EQ(rb.outputs.at("y").shape, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(rc.outputs.at("y").f32, (std::vector<float>{70, 80}));
  EXPECT_EQ(ra.batch_rows, 4);
  // 10 W for the 10 ms run = 0.1 J, split 1 : 2 : 1 by rows (waiting had no energy: the fake
  // clock did not move).
  EXPECT_NEAR(ra.energy.joules, 0.025, 1e-9);
  EXPECT_NEAR(rb.energy.joules, 0.050, 1e-9);
  EXPECT_NEAR(rc.energy.joules, 0.025, 1e-9);
  EXPECT_EQ(ra.energy.source, "counter");
}

// The batching delay is on the worker's clock (by default the meter's): a batch short of
// max_batch waits for more requests until the oldest has waited max_wait in fake time, and no
// real time releases it.
TEST(TensorWorker, ABatchIsReleasedWhenFakeTimePassesTheMaxWait) {
  run::FakeMeter fm(10.0);
  auto model = std::make_unique<RowModel>(fm.clock);
  RowModel* raw = model.get();
  TensorWorkerOptions o;
  o.max_batch = 4;
  o.max_wait_s = 1.0;
  TensorWorker w("m", std::move(model), *fm.meter, {}, 1.0, o);
  EXPECT_EQ(&w.clock(), fm.clock.get());
  auto a = job("a", {1, 2}), b = job("b", {3, 4});
  auto fa = a->result.get_future(), fb = b->result.get_future();
  ASSERT_TRUE(w.submit(a));
  ASSERT_TRUE(fm.clock->wait_for_sleepers(1));  // the worker waits for more rows
  fm.clock->advance_ns(400'000'000);
  ASSERT_TRUE(w.submit(b));       // joins the waiting batch; the deadline stays a's
  while (w.queue_length() > 0) {  // until the worker has taken b (a hang fails by the timeout)
    std::this_thread::yield();
  }
  ASSERT_TRUE(fm.clock->wait_for_sleepers(1));  // and waits again
  fm.clock->advance_ns(599'999'999);
  EXPECT_EQ(fa.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  fm.clock->advance_ns(1);  // a has waited 1 s
  const auto ra = fa.get(), rb = fb.get();
  ASSERT_FALSE(ra.error || rb.error);
  EXPECT_EQ(raw->batches, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(ra.batch_rows, 2);
  EXPECT_DOUBLE_EQ(ra.queue_s, 1.0);
  EXPECT_DOUBLE_EQ(rb.queue_s, 0.6);
  EXPECT_DOUBLE_EQ(ra.run_s, 0.01);
  EXPECT_EQ(rb.outputs.at("y").f32, (std::vector<float>{30, 40}));
}

// Shutting down releases a waiting batch at once, without fake time moving.
TEST(TensorWorker, ShutdownReleasesAWaitingBatch) {
  run::FakeMeter fm(10.0);
  TensorWorkerOptions o;
  o.max_batch = 4;
  o.max_wait_s = 3600;
  TensorWorker w("m", std::make_unique<RowModel>(fm.clock), *fm.meter, {}, 1.0, o);
  auto a = job("a", {1, 2});
  auto fa = a->result.get_future();
  ASSERT_TRUE(w.submit(a));
  ASSERT_TRUE(fm.clock->wait_for_sleepers(1));
  w.shutdown();
  const auto ra = fa.get();
  ASSERT_FALSE(ra.error);
  EXPECT_DOUBLE_EQ(ra.queue_s, 0);
  EXPECT_EQ(ra.outputs.at("y").f32, (std::vector<float>{10, 20}));
}

TEST(TensorWorker, RejectsWhatCannotBeBatched) {
  run::FakeMeter fm(1.0);
  TensorWorkerOptions o;
  o.max_batch = 2;
  o.max_queue = 1;
  TensorWorker w("m", std::make_unique<RowModel>(fm.clock), *fm.meter, {}, 1.0, o);
  EXPECT_THROW(w.submit(job("big", {1, 2, 3, 4, 5, 6})), std::invalid_argument);  // 3 rows > 2
  auto wrong = job("name", {1, 2});
  wrong->inputs["z"] = wrong->inputs["x"];
  EXPECT_THROW(w.submit(wrong), std::invalid_argument);
}

}  // namespace
}  // namespace wattserve::serve
