// TextWorker on a fake text model: continuous batching (requests join a running batch between
// steps, each step's energy split by the tokens each request put in it, the requests' energies
// adding up to the meter's), scheduling (FCFS, SJF by predicted length, aging), and the
// one-at-a-time path for engines without a batch decoder. A gate in the fake engine holds the
// first step until the test has queued the rest, so batch composition is deterministic.
#include "serve/text_worker.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "../run/run_test_util.h"

namespace wattserve::serve {
namespace {

constexpr double kWatts = 10;
constexpr int64_t kStepNs = 10'000'000;  // each step or token: 10 ms of fake time = 0.1 J

// Holds the engine's first step (or generation) until open(); tells when it got there.
class Gate {
 public:
  void arrive_and_wait() {
    std::unique_lock lk(mu_);
    if (passed_) return;
    arrived_ = true;
    cv_.notify_all();
    cv_.wait(lk, [&] { return open_; });
    passed_ = true;
  }
  void wait_arrived() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return arrived_; });
  }
  void open() {
    std::lock_guard lk(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool arrived_ = false, open_ = false, passed_ = false;
};

// Tokens are bytes + 1; a sequence generates 100, 101, ... ("a", "b", ... as pieces).
class FakeDecoder final : public engine::BatchDecoder {
 public:
  FakeDecoder(int capacity, std::shared_ptr<energy::FakeClock> clock, Gate& gate)
      : slots_(static_cast<std::size_t>(capacity)), clock_(std::move(clock)), gate_(gate) {}
  int capacity() const override { return static_cast<int>(slots_.size()); }
  int context_length() const override { return 64; }
  int batch_tokens() const override { return 64; }
  int add(std::span<const engine::Token> prompt, const engine::SamplingParams&) override {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i].live) {
        slots_[i] = {true, static_cast<int>(prompt.size()), 0};
        return static_cast<int>(i);
      }
    }
    throw std::logic_error("full");
  }
  void remove(int slot) override { slots_[static_cast<std::size_t>(slot)].live = false; }
  int pending_prompt(int slot) const override {
    return slots_[static_cast<std::size_t>(slot)].pending;
  }
  std::vector<Sampled> step() override {
    gate_.arrive_and_wait();
    clock_->advance_ns(kStepNs);
    std::vector<Sampled> out;
    int live = 0;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      auto& s = slots_[i];
      if (!s.live) continue;
      ++live;
      s.pending = 0;
      Sampled t;
      t.slot = static_cast<int>(i);
      t.token = 100 + s.generated;
      t.piece = std::string(1, static_cast<char>('a' + s.generated));
      ++s.generated;
      out.push_back(t);
    }
    max_live = std::max(max_live, live);
    ++steps;
    return out;
  }
  int max_live = 0, steps = 0;

 private:
  struct Slot {
    bool live = false;
    int pending = 0;
    int generated = 0;
  };
  std::vector<Slot> slots_;
  std::shared_ptr<energy::FakeClock> clock_;
  Gate& gate_;
};

class FakeText final : public engine::TextModel {
 public:
  FakeText(std::shared_ptr<energy::FakeClock> clock, bool batching)
      : clock_(std::move(clock)), batching_(batching) {}
  std::string provider() const override { return "cpu"; }
  std::vector<engine::Token> tokenize(std::string_view text, bool, bool) const override {
    {
      std::lock_guard lk(threads_mu);
      tokenized_on.push_back(std::this_thread::get_id());
    }
    std::vector<engine::Token> ids;
    for (const char c : text) ids.push_back(static_cast<unsigned char>(c) + 1);
    return ids;
  }
  mutable std::mutex threads_mu;
  mutable std::vector<std::thread::id> tokenized_on;  // the thread of each tokenize()
  std::string detokenize(std::span<const engine::Token>, bool, bool) const override { return ""; }
  int vocab_size() const override { return 512; }
  int context_length() const override { return 64; }
  std::vector<float> next_logits(std::span<const engine::Token>) override { return {}; }
  engine::GenerateResult generate(std::span<const engine::Token> prompt,
                                  const engine::SamplingParams& p,
                                  const engine::TokenCallback& cb) override {
    gate.arrive_and_wait();
    order.push_back(static_cast<char>(prompt[0] - 1));
    engine::GenerateResult r;
    for (int i = 0; i < p.max_tokens; ++i) {
      clock_->advance_ns(kStepNs);
      r.tokens.push_back(100 + i);
      r.text += 'x';
      if (cb && !cb(100 + i, "x")) {
        r.reason = engine::StopReason::kCallback;
        return r;
      }
    }
    return r;
  }
  std::unique_ptr<engine::BatchDecoder> batch_decoder(int sequences) override {
    if (!batching_) return TextModel::batch_decoder(sequences);
    auto d = std::make_unique<FakeDecoder>(sequences, clock_, gate);
    decoder = d.get();
    return d;
  }
  Gate gate;
  std::string order;  // first prompt character of each generate(), in order
  FakeDecoder* decoder = nullptr;

 private:
  std::shared_ptr<energy::FakeClock> clock_;
  bool batching_;
};

std::shared_ptr<TextJob> job(const std::string& prompt, int max_tokens) {
  auto j = std::make_shared<TextJob>();
  j->id = prompt;
  j->prompt = prompt;
  j->sampling.max_tokens = max_tokens;
  return j;
}

TEST(TextWorker, RequestsJoinARunningBatchAndSplitEachStepByTokens) {
  run::FakeMeter fm(kWatts);
  auto model = std::make_unique<FakeText>(fm.clock, true);
  FakeText* raw = model.get();
  TextWorkerOptions o;
  o.parallel = 4;
  TextWorker w("m", std::move(model), *fm.meter, {}, 1.0, o);
  ASSERT_EQ(w.parallel(), 4);
  auto a = job("aaaa", 3), b = job("bb", 2), c = job("cc", 2);
  auto fa = a->result.get_future(), fb = b->result.get_future(), fc = c->result.get_future();
  ASSERT_TRUE(w.submit(a));
  raw->gate.wait_arrived();  // a's first step (its 4 prompt tokens) is under way
  ASSERT_TRUE(w.submit(b));
  ASSERT_TRUE(w.submit(c));
  raw->gate.open();
  const auto ra = fa.get(), rb = fb.get(), rc = fc.get();
  ASSERT_FALSE(ra.error || rb.error || rc.error);
  EXPECT_EQ(ra.gen.text, "abc");
  EXPECT_EQ(rb.gen.text, "ab");
  EXPECT_EQ(rc.gen.tokens, (std::vector<engine::Token>{100, 101}));
  EXPECT_EQ(ra.gen.reason, engine::StopReason::kMaxTokens);
  EXPECT_EQ(raw->decoder->max_live, 3);
  EXPECT_EQ(raw->decoder->steps, 3);
  // Step 1: a alone. Step 2: a decodes 1 token, b and c read 2-token prompts: 1 : 2 : 2.
  // Step 3: one token each: equal thirds. 0.1 J per step.
  EXPECT_NEAR(ra.energy.joules, 0.1 + 0.1 / 5 + 0.1 / 3, 1e-9);
  EXPECT_NEAR(rb.energy.joules, 0.1 * 2 / 5 + 0.1 / 3, 1e-9);
  EXPECT_NEAR(rc.energy.joules, 0.1 * 2 / 5 + 0.1 / 3, 1e-9);
  EXPECT_NEAR(ra.energy.joules + rb.energy.joules + rc.energy.joules, 0.3, 1e-9);
  EXPECT_EQ(ra.prompt_tokens, 4);
}

TEST(TextWorker, BadPromptIsA400AndDoesNotStopTheBatch) {
  run::FakeMeter fm(kWatts);
  auto model = std::make_unique<FakeText>(fm.clock, true);
  model->gate.open();
  TextWorker w("m", std::move(model), *fm.meter, {}, 1.0, {});
  auto too_long = job(std::string(80, 'x'), 2);  // context 64
  auto ok = job("ok", 2);
  auto f1 = too_long->result.get_future(), f2 = ok->result.get_future();
  ASSERT_TRUE(w.submit(too_long));
  ASSERT_TRUE(w.submit(ok));
  const auto r1 = f1.get();
  ASSERT_TRUE(r1.error);
  EXPECT_EQ(r1.error->status, 400);
  EXPECT_NE(std::string(r1.error->what()).find("context"), std::string::npos);
  EXPECT_FALSE(f2.get().error);
}

TEST(TextWorker, PromptsAreTokenisedBySubmitNotOnTheModelsThread) {
  // A long prompt's tokenising must not hold the model's thread (the server submits from its
  // task threads): every tokenize() runs on the submitting thread.
  for (const bool batching : {false, true}) {
    run::FakeMeter fm(kWatts);
    auto model = std::make_unique<FakeText>(fm.clock, batching);
    FakeText* raw = model.get();
    model->gate.open();
    TextWorker w("m", std::move(model), *fm.meter, {}, 1.0, {});
    std::vector<std::future<TextJobResult>> done;
    for (const std::string& p : {std::string("abc"), std::string("de"), std::string(80, 'x')}) {
      auto j = job(p, 2);
      done.push_back(j->result.get_future());
      ASSERT_TRUE(w.submit(j));
    }
    EXPECT_EQ(done[0].get().prompt_tokens, 3);
    EXPECT_EQ(done[1].get().prompt_tokens, 2);
    EXPECT_EQ(done[2].get().error->status, 400);  // too long for the context: found by submit()
    std::lock_guard lk(raw->threads_mu);
    ASSERT_EQ(raw->tokenized_on.size(), 3u);
    for (const auto& id : raw->tokenized_on) EXPECT_EQ(id, std::this_thread::get_id());
  }
}

TEST(TextWorker, EnginesWithoutBatchingRunOneAtATime) {
  run::FakeMeter fm(kWatts);
  auto model = std::make_unique<FakeText>(fm.clock, false);
  model->gate.open();
  TextWorkerOptions o;
  o.parallel = 8;
  TextWorker w("m", std::move(model), *fm.meter, {}, 1.0, o);
  EXPECT_EQ(w.parallel(), 1);
  auto j = job("q", 3);
  auto f = j->result.get_future();
  ASSERT_TRUE(w.submit(j));
  const auto r = f.get();
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.gen.text, "xxx");
  EXPECT_NEAR(r.energy.joules, 0.3, 1e-9);
}

// Queues jobs while the first one is held, then lets them run one at a time and returns the
// order in which they ran. `before[i]` of fake time passes before job i is submitted.
std::string run_order(TextWorkerOptions o, std::vector<std::shared_ptr<TextJob>> jobs,
                      std::vector<int64_t> before = {}) {
  run::FakeMeter fm(kWatts);
  auto model = std::make_unique<FakeText>(fm.clock, false);
  FakeText* raw = model.get();
  o.parallel = 1;
  TextWorker w("m", std::move(model), *fm.meter, {}, 1.0, o);
  std::vector<std::future<TextJobResult>> done;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (i < before.size()) fm.clock->advance_ns(before[i]);
    done.push_back(jobs[i]->result.get_future());
    EXPECT_TRUE(w.submit(jobs[i]));
    if (i == 0) raw->gate.wait_arrived();
  }
  raw->gate.open();
  for (auto& f : done) EXPECT_FALSE(f.get().error);
  return raw->order;
}

TEST(TextWorker, FcfsRunsInArrivalOrder) {
  EXPECT_EQ(run_order({}, {job("first", 1), job("long", 40), job("short", 2), job("mid", 9)}),
            "flsm");
}

TEST(TextWorker, SjfRunsTheShortestPredictedFirst) {
  // The predictor has seen nothing yet: it predicts max_tokens.
  TextWorkerOptions o;
  o.policy = SchedulePolicy::kSjf;
  EXPECT_EQ(run_order(o, {job("first", 1), job("long", 40), job("short", 2), job("mid", 9)}),
            "fsml");
}

TEST(TextWorker, SjfAgingLetsALongWaitingRequestGoFirst) {
  // Waiting is timed on the meter's (fake) clock: "long" has waited 11 s when "first" ends, past
  // aging_s, so its score is < 0; after 5 s it still counts 40 x 0.5 = 20 > 2.
  TextWorkerOptions o;
  o.policy = SchedulePolicy::kSjf;
  o.aging_s = 10;
  constexpr int64_t kS = 1'000'000'000;
  EXPECT_EQ(run_order(o, {job("first", 1), job("long", 40), job("short", 2)}, {0, 0, 11 * kS}),
            "fls");
  EXPECT_EQ(run_order(o, {job("first", 1), job("long", 40), job("short", 2)}, {0, 0, 5 * kS}),
            "fsl");
}

// A request's deadline is on the worker's clock (by default the meter's): one that passes it in
// fake time while queued is refused with the queue timeout (503), without running, and the
// others' queue times are the fake time they waited.
TEST(TextWorker, AQueuedRequestPastItsDeadlineInFakeTimeIsRefused) {
  for (const bool batching : {false, true}) {
    SCOPED_TRACE(batching ? "continuous batching" : "one at a time");
    run::FakeMeter fm(kWatts);
    auto model = std::make_unique<FakeText>(fm.clock, batching);
    FakeText* raw = model.get();
    TextWorkerOptions o;
    o.parallel = batching ? 4 : 1;
    TextWorker w("m", std::move(model), *fm.meter, {}, 1.0, o);
    EXPECT_EQ(&w.clock(), fm.clock.get());
    auto first = job("first", 1), late = job("late", 1), ok = job("ok", 1);
    late->deadline_ns = deadline_after(w.clock(), 1.0);
    ok->deadline_ns = deadline_after(w.clock(), 5.0);
    auto f1 = first->result.get_future(), f2 = late->result.get_future(),
         f3 = ok->result.get_future();
    ASSERT_TRUE(w.submit(first));
    raw->gate.wait_arrived();  // "first" holds the model
    ASSERT_TRUE(w.submit(late));
    ASSERT_TRUE(w.submit(ok));
    fm.clock->advance_ns(2'000'000'000);
    raw->gate.open();
    const auto r1 = f1.get(), r2 = f2.get(), r3 = f3.get();
    EXPECT_FALSE(r1.error);
    ASSERT_TRUE(r2.error);
    EXPECT_EQ(r2.error->status, 503);
    EXPECT_EQ(r2.error->type, "timeout");
    EXPECT_TRUE(r2.gen.tokens.empty());
    EXPECT_DOUBLE_EQ(r2.queue_s, 2.01);  // 2 s, then the 10 ms token of "first"
    ASSERT_FALSE(r3.error);
    EXPECT_EQ(r3.gen.tokens.size(), 1u);
    EXPECT_DOUBLE_EQ(r3.queue_s, 2.01);
    EXPECT_DOUBLE_EQ(r3.total_s, 0.01);
  }
}

// A deadline that passes while generating stops the request at its next token (504); TTFT and
// the total are the fake time between tokens.
TEST(TextWorker, ARequestPastItsDeadlineWhileGeneratingStopsWith504) {
  for (const bool batching : {false, true}) {
    SCOPED_TRACE(batching ? "continuous batching" : "one at a time");
    run::FakeMeter fm(kWatts);
    auto model = std::make_unique<FakeText>(fm.clock, batching);
    model->gate.open();
    TextWorker w("m", std::move(model), *fm.meter, {}, 1.0, {});
    auto j = job("slow", 10);  // a token per 10 ms of fake time
    j->deadline_ns = deadline_after(w.clock(), 0.025);
    auto f = j->result.get_future();
    ASSERT_TRUE(w.submit(j));
    const auto r = f.get();
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->status, 504);
    EXPECT_EQ(r.gen.tokens.size(), 3u);  // the third, at 30 ms, is past 25 ms
    EXPECT_DOUBLE_EQ(r.queue_s, 0);
    EXPECT_DOUBLE_EQ(r.ttft_s, 0.01);
    EXPECT_DOUBLE_EQ(r.total_s, 0.03);
    EXPECT_NEAR(r.energy.joules, 0.3, 1e-9);
  }
}

// An explicit clock in the options times the jobs instead of the meter's.
TEST(TextWorker, TakesItsClockFromTheOptions) {
  run::FakeMeter fm(kWatts);
  auto own = std::make_shared<energy::FakeClock>(0);
  auto model = std::make_unique<FakeText>(fm.clock, false);
  FakeText* raw = model.get();
  TextWorkerOptions o;
  o.clock = own;
  TextWorker w("m", std::move(model), *fm.meter, {}, 1.0, o);
  EXPECT_EQ(&w.clock(), own.get());
  auto j = job("q", 1);
  auto f = j->result.get_future();
  ASSERT_TRUE(w.submit(j));
  raw->gate.wait_arrived();  // started: generating
  own->advance_ns(250'000'000);
  raw->gate.open();
  const auto r = f.get();
  ASSERT_FALSE(r.error);
  EXPECT_DOUBLE_EQ(r.queue_s, 0);
  EXPECT_DOUBLE_EQ(r.total_s, 0.25);  // the model's 10 ms went to the meter's clock only
  EXPECT_NEAR(r.energy.joules, 0.1, 1e-9);
}

TEST(TextWorker, AFullQueueRefusesNewRequests) {
  run::FakeMeter fm(kWatts);
  auto model = std::make_unique<FakeText>(fm.clock, true);
  FakeText* raw = model.get();
  TextWorkerOptions o;
  o.parallel = 1;
  o.max_queue = 1;
  TextWorker w("m", std::move(model), *fm.meter, {}, 1.0, o);
  auto running = job("a", 1), waiting = job("b", 1), refused = job("c", 1);
  auto f1 = running->result.get_future(), f2 = waiting->result.get_future();
  ASSERT_TRUE(w.submit(running));
  raw->gate.wait_arrived();  // "a" runs; the queue is empty again
  ASSERT_TRUE(w.submit(waiting));
  EXPECT_EQ(w.queue_length(), 1u);
  EXPECT_FALSE(w.submit(refused));  // the server answers 503 + Retry-After
  raw->gate.open();
  EXPECT_FALSE(f1.get().error);
  EXPECT_FALSE(f2.get().error);
}

TEST(TextWorker, ParsesPolicies) {
  EXPECT_EQ(parse_schedule_policy("sjf"), SchedulePolicy::kSjf);
  EXPECT_EQ(parse_schedule_policy("fcfs"), SchedulePolicy::kFcfs);
  EXPECT_THROW(parse_schedule_policy("lifo"), std::invalid_argument);
}

}  // namespace
}  // namespace wattserve::serve
