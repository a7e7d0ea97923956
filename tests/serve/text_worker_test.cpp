// TextWorker on a fake text model: continuous batching (requests join a running batch between
// steps, each step's energy split by the tokens each request put in it, the requests' energies
// adding up to the meter's), scheduling (FCFS, SJF by predicted length, aging; oracle by exact
// length), benchmark requests' exact output lengths (past end-of-generation, hidden from the
// predictor and SJF), and the one-at-a-time path for engines without a batch decoder. A gate in
// the fake engine holds the first step until the test has queued the rest, so batch composition
// is deterministic.
#include "serve/text_worker.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "../run/run_test_util.h"
#include "engine/generation.h"

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

// Tokens are bytes + 1; a sequence generates 100, 101, ... ("a", "b", ... as pieces); from its
// token number `eog_at` on (>= 0), every token is an end-of-generation token.
class FakeDecoder final : public engine::BatchDecoder {
 public:
  FakeDecoder(int capacity, std::shared_ptr<energy::FakeClock> clock, Gate& gate, int eog_at)
      : slots_(static_cast<std::size_t>(capacity)),
        clock_(std::move(clock)),
        gate_(gate),
        eog_at_(eog_at) {}
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
      t.end_of_generation = eog_at_ >= 0 && s.generated >= eog_at_;
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
  int eog_at_;
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
  // Tokens 100, 101, ..., each "x", under the engines' stop rules (engine::Generation).
  engine::GenerateResult generate(std::span<const engine::Token> prompt,
                                  const engine::SamplingParams& p,
                                  const engine::TokenCallback& cb) override {
    gate.arrive_and_wait();
    order.push_back(static_cast<char>(prompt[0] - 1));
    engine::Generation g(p);
    for (int i = 0;; ++i) {
      clock_->advance_ns(kStepNs);
      if (!g.accept(100 + i, eog_at >= 0 && i >= eog_at, "x", cb)) return g.take();
    }
  }
  std::unique_ptr<engine::BatchDecoder> batch_decoder(int sequences) override {
    if (!batching_) return TextModel::batch_decoder(sequences);
    auto d = std::make_unique<FakeDecoder>(sequences, clock_, gate, eog_at);
    decoder = d.get();
    return d;
  }
  // From this token number on (>= 0), every generated token is an end-of-generation token; set
  // before the TextWorker is made.
  int eog_at = -1;
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
  EXPECT_EQ(parse_schedule_policy("oracle"), SchedulePolicy::kOracle);
  for (const auto p : {SchedulePolicy::kFcfs, SchedulePolicy::kSjf, SchedulePolicy::kOracle}) {
    EXPECT_EQ(parse_schedule_policy(to_string(p)), p);
  }
  EXPECT_THROW(parse_schedule_policy("lifo"), std::invalid_argument);
}

// --- bench_output_tokens: TextJob::exact_output_tokens ---

// run_order's run, returning the jobs' ids in the order they ran (any prompts).
std::vector<std::string> run_ids(TextWorkerOptions o, std::vector<std::shared_ptr<TextJob>> jobs) {
  auto mu = std::make_shared<std::mutex>();
  auto ids = std::make_shared<std::vector<std::string>>();
  for (auto& j : jobs) {
    j->on_done = [mu, ids, id = j->id] {
      std::lock_guard lk(*mu);
      ids->push_back(id);
    };
  }
  run_order(o, jobs);  // the worker has joined: every on_done has run
  std::lock_guard lk(*mu);
  return *ids;
}

std::shared_ptr<TextJob> exact_job(const std::string& id, const std::string& prompt, int cap,
                                   std::optional<int> exact) {
  auto j = job(prompt, cap);
  j->id = id;
  j->exact_output_tokens = exact;
  return j;
}

using Ids = std::vector<std::string>;

// The key property: the exact length a load generator asks for must not reach the scheduler.
// Two requests with the same prompt and cap but different exact lengths get the same features
// and prediction (the cap's), and SJF serves them in the same order whichever has the long
// exact length, and as without the field; oracle serves the shorter exact one first.
TEST(TextWorker, ExactOutputLengthsAreHiddenFromThePredictorAndSjf) {
  // "first" holds the model while the rest queue; "mid" (cap 10) has no exact length.
  const auto jobs = [](std::optional<int> x, std::optional<int> y) {
    return std::vector<std::shared_ptr<TextJob>>{
        exact_job("first", "first", 1, std::nullopt), exact_job("x", "same prompt", 40, x),
        exact_job("y", "same prompt", 40, y), exact_job("mid", "mid", 10, std::nullopt)};
  };
  TextWorkerOptions sjf;
  sjf.policy = SchedulePolicy::kSjf;
  const Ids sjf_order = {"first", "mid", "x", "y"};  // x, y: both predicted 40, x is older
  EXPECT_EQ(run_ids(sjf, jobs(std::nullopt, std::nullopt)), sjf_order);
  EXPECT_EQ(run_ids(sjf, jobs(30, 3)), sjf_order);
  EXPECT_EQ(run_ids(sjf, jobs(3, 30)), sjf_order);
  {  // the same features and prediction, with or without the field, whatever its value
    auto a = jobs(30, 3), b = jobs(std::nullopt, std::nullopt);
    run_ids(sjf, a);
    run_ids(sjf, b);
    for (const auto& j : {a[2], b[1], b[2]}) {
      EXPECT_EQ(j->features, a[1]->features);
      EXPECT_EQ(j->predicted_tokens, a[1]->predicted_tokens);
    }
    EXPECT_EQ(a[1]->features, LengthPredictor::features("same prompt", 40));
    EXPECT_EQ(a[1]->predicted_tokens, 40.0);  // untrained: the cap
    // The client's sampling is kept (the cap, what the metrics' max_tokens predictor uses).
    EXPECT_EQ(a[1]->sampling.max_tokens, 40);
    EXPECT_FALSE(a[1]->sampling.ignore_eos);
    EXPECT_EQ(a[1]->run_sampling.max_tokens, 30);
    EXPECT_TRUE(a[1]->run_sampling.ignore_eos);
  }
  // The oracle knows: the shorter exact length first; a job without one by its prediction.
  TextWorkerOptions oracle;
  oracle.policy = SchedulePolicy::kOracle;
  EXPECT_EQ(run_ids(oracle, jobs(30, 3)), (Ids{"first", "y", "mid", "x"}));
  EXPECT_EQ(run_ids(oracle, jobs(3, 30)), (Ids{"first", "x", "mid", "y"}));
  EXPECT_EQ(run_ids(oracle, jobs(std::nullopt, std::nullopt)), sjf_order);
  // FCFS ignores lengths altogether.
  EXPECT_EQ(run_ids({}, jobs(30, 3)), (Ids{"first", "x", "y", "mid"}));
}

TEST(TextWorker, OracleAgesLikeSjf) {
  // "long" (exact 40) has waited 11 s when "first" ends, past aging_s: it goes before "short".
  TextWorkerOptions o;
  o.policy = SchedulePolicy::kOracle;
  o.aging_s = 10;
  constexpr int64_t kS = 1'000'000'000;
  const auto jobs = [] {
    return std::vector<std::shared_ptr<TextJob>>{exact_job("first", "first", 1, std::nullopt),
                                                 exact_job("long", "long", 40, 40),
                                                 exact_job("short", "short", 40, 2)};
  };
  EXPECT_EQ(run_order(o, jobs(), {0, 0, 11 * kS}), "fls");
  EXPECT_EQ(run_order(o, jobs(), {0, 0, 5 * kS}), "fsl");
}

TEST(TextWorker, RequestsPastAgingGoInArrivalOrder) {
  // "short" and "long" have both waited 20 s (past aging_s) when "first" ends: the older,
  // "short", goes first, then "long", then "x", which has just arrived. (Unclamped, the score
  // length x (1 - waited / aging_s) is most negative for the longest, which would go first.)
  constexpr int64_t kS = 1'000'000'000;
  for (const auto policy : {SchedulePolicy::kSjf, SchedulePolicy::kOracle}) {
    TextWorkerOptions o;
    o.policy = policy;
    o.aging_s = 10;
    EXPECT_EQ(run_order(o,
                        {exact_job("first", "first", 1, 1), exact_job("short", "short", 2, 2),
                         exact_job("long", "long", 40, 40), exact_job("x", "x", 1, 1)},
                        {0, 0, 0, 20 * kS}),
              "fslx")
        << to_string(policy);
  }
}

TEST(TextWorker, ThePredictorLearnsUnderTheOracleToo) {
  run::FakeMeter fm(kWatts);
  auto model = std::make_unique<FakeText>(fm.clock, false);
  model->gate.open();
  TextWorkerOptions o;
  o.policy = SchedulePolicy::kOracle;
  TextWorker w("m", std::move(model), *fm.meter, {}, 1.0, o);
  for (int i = 0; i < 9; ++i) {
    auto j = exact_job("j", "same prompt", 40, 3);
    auto f = j->result.get_future();
    ASSERT_TRUE(w.submit(j));
    const auto r = f.get();
    ASSERT_FALSE(r.error);
    EXPECT_EQ(r.gen.tokens.size(), 3u);
    if (i < 8) {
      EXPECT_EQ(r.predicted_tokens, 40.0);  // before 8 finished requests: the cap
    } else {
      EXPECT_NEAR(r.predicted_tokens, 3, 0.5);  // learned from the 3-token outputs
    }
  }
}

// A job with an exact length generates exactly that many tokens although the model ends its
// generation earlier (as ignore_eos), on both paths; stop strings still apply.
TEST(TextWorker, ExactOutputLengthGoesPastEndOfGenerationOnBothPaths) {
  for (const bool batching : {false, true}) {
    SCOPED_TRACE(batching ? "continuous batching" : "one at a time");
    run::FakeMeter fm(kWatts);
    auto model = std::make_unique<FakeText>(fm.clock, batching);
    model->eog_at = 2;  // the model ends every generation after 2 tokens
    model->gate.open();
    TextWorker w("m", std::move(model), *fm.meter, {}, 1.0, {});
    ASSERT_EQ(w.parallel(), batching ? 4 : 1);
    auto plain = exact_job("plain", "p", 40, std::nullopt);
    auto exact = exact_job("exact", "p", 40, 5);
    auto full = exact_job("full", "p", 40, 40);
    // Pieces: "a", "b", ... when batching, "x" one at a time.
    auto stopped = exact_job("stop", "p", 40, 6);
    stopped->sampling.stop = {batching ? "d" : "xxxx"};
    std::vector<std::future<TextJobResult>> f;
    for (const auto& j : {plain, exact, full, stopped}) {
      f.push_back(j->result.get_future());
      ASSERT_TRUE(w.submit(j));
    }
    const auto rp = f[0].get(), re = f[1].get(), rf = f[2].get(), rs = f[3].get();
    ASSERT_FALSE(rp.error || re.error || rf.error || rs.error);
    EXPECT_EQ(rp.gen.tokens.size(), 2u);
    EXPECT_EQ(rp.gen.reason, engine::StopReason::kEndOfGeneration);
    EXPECT_EQ(re.gen.tokens.size(), 5u);
    EXPECT_EQ(re.gen.reason, engine::StopReason::kMaxTokens);
    EXPECT_EQ(finish_reason(re.gen.reason), "length");
    EXPECT_EQ(rf.gen.tokens.size(), 40u);
    EXPECT_EQ(rs.gen.tokens.size(), 4u);
    EXPECT_EQ(rs.gen.reason, engine::StopReason::kStopString);
    EXPECT_EQ(rs.gen.text, batching ? "abc" : "");
    // Queued and predicted with the cap: the client's sampling is untouched.
    EXPECT_EQ(re.predicted_tokens, 40.0);
    EXPECT_EQ(exact->sampling.max_tokens, 40);
    EXPECT_FALSE(exact->sampling.ignore_eos);
  }
}

}  // namespace
}  // namespace wattserve::serve
