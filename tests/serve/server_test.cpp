// The server over real loopback sockets, with a fake text model whose generation a test can hold:
// streams carry one id, limits and the API key apply before a body is read, idle and slow
// connections and requests in flight leave /health and new requests alone, a stop finishes the
// streams in flight within the drain timeout, every joule ends in a request or in idle, and
// bench_output_tokens gives its exact length on the OpenAI and KServe routes.
// No sleeps: the tests hold the model at a gate and wait for states, with bounds that only
// catch hangs.
#include "serve/server.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "../run/run_test_util.h"
#include "http_client.h"
#include "serve/adapter.h"

namespace wattserve::serve {
namespace {

using namespace testing;
using nlohmann::json;
constexpr double kWatts = 50;

// Generates "x" per token, advancing the fake clock 10 ms each; while held, waits before each
// token.
class PacedText final : public engine::TextModel {
 public:
  explicit PacedText(std::shared_ptr<energy::FakeClock> clock) : clock_(std::move(clock)) {}
  std::string provider() const override { return "cpu"; }
  std::vector<engine::Token> tokenize(std::string_view text, bool, bool) const override {
    std::vector<engine::Token> ids;
    for (const char c : text) ids.push_back(static_cast<unsigned char>(c) + 1);
    return ids;
  }
  std::string detokenize(std::span<const engine::Token>, bool, bool) const override { return ""; }
  int vocab_size() const override { return 512; }
  int context_length() const override { return 4096; }
  std::vector<float> next_logits(std::span<const engine::Token>) override { return {}; }
  engine::GenerateResult generate(std::span<const engine::Token>, const engine::SamplingParams& p,
                                  const engine::TokenCallback& cb) override {
    engine::GenerateResult r;
    r.reason = engine::StopReason::kMaxTokens;
    for (int i = 0; i < p.max_tokens; ++i) {
      {
        std::unique_lock lk(mu_);
        ++waiting_;
        cv_.notify_all();
        cv_.wait(lk, [&] { return !held_; });
        --waiting_;
      }
      clock_->advance_ns(10'000'000);
      r.tokens.push_back(100 + i);
      r.text += 'x';
      if (cb && !cb(100 + i, "x")) {
        r.reason = engine::StopReason::kCallback;
        return r;
      }
    }
    return r;
  }
  void hold() {
    std::lock_guard lk(mu_);
    held_ = true;
  }
  void release() {
    {
      std::lock_guard lk(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }
  // Waits until a generation is held at the gate.
  void wait_held() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return waiting_ > 0; });
  }

 private:
  std::shared_ptr<energy::FakeClock> clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  int waiting_ = 0;
};

struct Served {
  run::FakeMeter fm{kWatts};
  PacedText* model = nullptr;
  std::unique_ptr<Server> server;
  int port = 0;
  std::future<void> running;

  explicit Served(ServerOptions o = {}, std::size_t max_queue = 128) {
    o.port = 0;
    server = std::make_unique<Server>(o, *fm.meter, energy::CarbonIntensity{}, 1.0);
    auto m = std::make_unique<PacedText>(fm.clock);
    model = m.get();
    TextModelSettings ts;
    ts.worker.max_queue = max_queue;
    server->add_text_model("fake", std::move(m), ts);
    port = server->bind();
    running = std::async(std::launch::async, [this] { server->run(); });
  }
  ~Served() {
    model->release();
    server->stop();
    running.wait();
  }
  // run() returned (within a bound that only catches a hang).
  bool stopped(std::chrono::seconds limit = std::chrono::seconds(30)) {
    return running.wait_for(limit) == std::future_status::ready;
  }
};

std::string completion(int max_tokens, bool stream, bool chat = false) {
  json b = {{"model", "fake"}, {"max_tokens", max_tokens}, {"stream", stream}};
  if (chat) {
    b["messages"] = json::array({{{"role", "user"}, {"content", "hi"}}});
    b["stream_options"] = {{"include_usage", true}};
  } else {
    b["prompt"] = "def f";
  }
  return b.dump();
}

std::string post_head(const std::string& path, std::size_t length, const std::string& extra = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra +
         "Content-Length: " + std::to_string(length) + "\r\n\r\n";
}

// Sum of a Prometheus family's samples in /metrics text.
double metric_sum(const std::string& text, const std::string& name) {
  double s = 0;
  std::size_t pos = 0;
  while ((pos = text.find("\n" + name, pos)) != std::string::npos) {
    pos += 1;
    const char next = text[pos + name.size()];
    if (next != '{' && next != ' ') continue;
    const auto eol = text.find('\n', pos);
    const auto line = text.substr(pos, eol - pos);
    s += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return s;
}

TEST(Server, EveryChunkOfAStreamCarriesTheStreamsId) {
  Served s;
  const std::regex id_re("^(chat)?cmpl-[0-9a-f]+$");
  for (int i = 0; i < 20; ++i) {
    const bool chat = i % 2 == 1;
    const auto r = request(s.port, "POST", chat ? "/v1/chat/completions" : "/v1/completions",
                           completion(5 + i, true, chat));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto events = sse_data(r.body);
    ASSERT_GE(events.size(), 3u);
    EXPECT_EQ(events.back(), "[DONE]");
    std::set<std::string> ids;
    bool usage = false;
    for (std::size_t k = 0; k + 1 < events.size(); ++k) {
      const json e = json::parse(events[k]);
      ids.insert(e.at("id").get<std::string>());
      usage = usage || (e.contains("usage") && !e["usage"].is_null());
    }
    ASSERT_EQ(ids.size(), 1u) << r.body;
    EXPECT_TRUE(std::regex_match(*ids.begin(), id_re)) << *ids.begin();
    EXPECT_TRUE(usage);
  }
}

TEST(Server, TheKeyIsCheckedBeforeTheBodyIsRead) {
  ServerOptions o;
  o.api_key = "k";
  Served s(o);
  // A 300 MiB body is announced and never sent: the 401 must come from the head alone.
  const int fd = connect_to(s.port);
  ASSERT_TRUE(send_all(fd, post_head("/v1/completions", 300u << 20)));
  const auto r = read_response(fd);
  ::close(fd);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("Connection"), "close");
  // Open routes stay open; /recent follows the key; /metrics is open by default.
  EXPECT_EQ(request(s.port, "GET", "/health").status, 200);
  EXPECT_EQ(request(s.port, "GET", "/metrics").status, 200);
  EXPECT_EQ(request(s.port, "GET", "/recent").status, 401);
  EXPECT_EQ(request(s.port, "GET", "/recent", "", "Authorization: Bearer k\r\n").status, 200);
}

TEST(Server, ProtectMetricsPutsMetricsBehindTheKey) {
  ServerOptions o;
  o.api_key = "k";
  o.protect_metrics = true;
  Served s(o);
  EXPECT_EQ(request(s.port, "GET", "/metrics").status, 401);
  EXPECT_EQ(request(s.port, "GET", "/metrics", "", "Authorization: Bearer k\r\n").status, 200);
  EXPECT_EQ(request(s.port, "GET", "/health").status, 200);
}

TEST(Server, BodiesOverTheLimitAre413BeforeTheyAreRead) {
  ServerOptions o;
  o.max_body_bytes = 64 << 10;
  Served s(o);
  {  // announced too long
    const int fd = connect_to(s.port);
    ASSERT_TRUE(send_all(fd, post_head("/v1/completions", 300u << 20)));
    EXPECT_EQ(read_response(fd).status, 413);
    ::close(fd);
  }
  {  // chunked, growing past the limit and never terminated
    const int fd = connect_to(s.port);
    ASSERT_TRUE(send_all(fd,
                         "POST /v1/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                         "chunked\r\n\r\n"));
    const std::string chunk = "4000\r\n" + std::string(0x4000, ' ') + "\r\n";
    for (int i = 0; i < 64 && send_all(fd, chunk); ++i) {  // at most 1 MiB
    }
    EXPECT_EQ(read_response(fd).status, 413);
    ::close(fd);
  }
  // Refused before any handler: counted by status, not as a model's request.
  const std::string m = request(s.port, "GET", "/metrics").body;
  EXPECT_NE(m.find("wattserve_http_rejected_total{status=\"413\"} 2"), std::string::npos) << m;
  EXPECT_EQ(metric_sum(m, "wattserve_requests_total"), 0);
}

TEST(Server, HeadsOverTheLimitsAre431) {
  Served s;
  EXPECT_EQ(
      request(s.port, "GET", "/health", "", "X-Big: " + std::string(20 << 10, 'a') + "\r\n").status,
      431);
  std::string many;
  for (int i = 0; i < 150; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  EXPECT_EQ(request(s.port, "GET", "/health", "", many).status, 431);
}

TEST(Server, HealthAndNewRequestsAnswerWhileTheModelIsBusyAndClientsAreIdleOrSlow) {
  Served s;
  s.model->hold();
  // 70 generations in flight (one running, held; the rest queued), 200 idle connections and 50
  // that sent half a head.
  std::vector<int> busy, idle, slow;
  for (int i = 0; i < 70; ++i) {
    busy.push_back(connect_to(s.port));
    const std::string body = completion(2, false);
    ASSERT_TRUE(send_all(busy.back(), post_head("/v1/completions", body.size()) + body));
  }
  for (int i = 0; i < 200; ++i) idle.push_back(connect_to(s.port));
  for (int i = 0; i < 50; ++i) {
    slow.push_back(connect_to(s.port));
    ASSERT_TRUE(send_all(slow.back(), "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  }
  s.model->wait_held();
  // Until all 70 are in: one generating (held), 69 queued.
  while (s.server->connections() < 320) {  // every connection accepted, none closed
    std::this_thread::yield();
  }
  while (metric_sum(request(s.port, "GET", "/metrics").body, "wattserve_queue_length") != 69) {
  }
  for (int i = 0; i < 5; ++i) EXPECT_EQ(request(s.port, "GET", "/health").status, 200);
  // A new request is read and queued, not left at the socket.
  const int extra = connect_to(s.port);
  const std::string body = completion(2, false);
  ASSERT_TRUE(send_all(extra, post_head("/v1/completions", body.size()) + body));
  for (;;) {  // until the queue shows it (a hang here fails the test by its ctest timeout)
    if (metric_sum(request(s.port, "GET", "/metrics").body, "wattserve_queue_length") == 70) break;
  }
  s.model->release();
  busy.push_back(extra);
  for (const int fd : busy) {
    EXPECT_EQ(read_response(fd).status, 200);
    ::close(fd);
  }
  for (const int fd : idle) ::close(fd);
  for (const int fd : slow) ::close(fd);
}

TEST(Server, KeepAliveAndPipelinedRequestsIncludingHeadAndHttp10Streams) {
  Served s;
  const int fd = connect_to(s.port);
  const std::string body = completion(3, false);
  // Four requests in one write: GET, HEAD (405, no body), POST, and a GET that closes.
  ASSERT_TRUE(send_all(fd,
                       "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                       "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n" +
                           post_head("/v1/completions", body.size()) + body +
                           "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: "
                           "close\r\n\r\n"));
  std::string in;
  const auto a = read_response(fd, in, std::chrono::seconds(20));
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"status":"ok"})");
  EXPECT_EQ(a.header("Connection"), "keep-alive");
  const auto b = read_response(fd, in, std::chrono::seconds(20), true);
  EXPECT_EQ(b.status, 405);
  EXPECT_EQ(b.header("Allow"), "GET");
  EXPECT_TRUE(in.empty() || in.rfind("HTTP/1.1 ", 0) == 0) << "a HEAD response has no body";
  const auto c = read_response(fd, in, std::chrono::seconds(20));
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(json::parse(c.body)["usage"]["completion_tokens"], 3);
  const auto d = read_response(fd, in, std::chrono::seconds(20));
  EXPECT_EQ(d.status, 200);
  EXPECT_EQ(d.header("Connection"), "close");
  ::close(fd);
  // HTTP/1.0 has no chunked encoding: a stream is sent as it comes and ends with the connection.
  const int old = connect_to(s.port);
  const std::string sb = completion(4, true);
  ASSERT_TRUE(send_all(old,
                       "POST /v1/completions HTTP/1.0\r\nContent-Type: application/json\r\n"
                       "Content-Length: " +
                           std::to_string(sb.size()) + "\r\n\r\n" + sb));
  const auto e = read_response(old);
  ::close(old);
  EXPECT_EQ(e.status, 200);
  EXPECT_EQ(e.header("Transfer-Encoding"), "");
  const auto events = sse_data(e.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]");
}

TEST(Server, StopFinishesTheStreamsInFlightAndExits) {
  Served s;
  s.model->hold();
  std::vector<int> streams;
  for (int i = 0; i < 4; ++i) {
    streams.push_back(connect_to(s.port));
    const std::string body = completion(8, true, i % 2 == 0);
    ASSERT_TRUE(send_all(
        streams.back(),
        post_head(i % 2 == 0 ? "/v1/chat/completions" : "/v1/completions", body.size()) + body));
  }
  s.model->wait_held();
  // All four are in flight: one generating (held), three queued.
  while (metric_sum(request(s.port, "GET", "/metrics").body, "wattserve_queue_length") != 3) {
  }
  s.server->stop();
  s.model->release();
  for (const int fd : streams) {
    const auto r = read_response(fd);
    ::close(fd);
    ASSERT_EQ(r.status, 200);
    const auto events = sse_data(r.body);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back(), "[DONE]");
    bool usage = false;
    for (std::size_t k = 0; k + 1 < events.size(); ++k) {
      const json e = json::parse(events[k]);
      if (e.contains("usage") && !e["usage"].is_null()) {
        usage = true;
        EXPECT_EQ(e["usage"]["completion_tokens"], 8);
      }
    }
    EXPECT_TRUE(usage) << r.body;
  }
  EXPECT_TRUE(s.stopped());
}

TEST(Server, ASlowClientHoldsTheStopNoLongerThanTheDrainTimeout) {
  ServerOptions o;
  o.drain_timeout_s = 0.2;
  Served s(o);
  const int fd = connect_to(s.port);
  ASSERT_TRUE(send_all(fd, post_head("/v1/completions", 100, "Expect: 100-continue\r\n")));
  // "100 Continue" says the server is reading the body, which never comes.
  char cont[64] = {};
  ASSERT_GT(::recv(fd, cont, sizeof cont - 1, 0), 0);
  ASSERT_EQ(std::string(cont).rfind("HTTP/1.1 100 Continue", 0), 0u) << cont;
  ASSERT_TRUE(send_all(fd, "{\"model\""));
  s.server->stop();
  // The body timeout is 30 s: a stop within 10 s is the drain timeout's doing.
  EXPECT_TRUE(s.stopped(std::chrono::seconds(10)));
  EXPECT_EQ(read_response(fd).status, 0);  // closed without a response
  ::close(fd);
}

// The server sets request deadlines on its workers' clock, the meter's: a 25 ms timeout runs
// out in fake time, after the third 10 ms token, whatever real time the request takes.
TEST(Server, RequestTimeoutsRunOnTheMetersClock) {
  ServerOptions o;
  o.request_timeout_s = 0.025;
  Served s(o);
  const auto r = request(s.port, "POST", "/v1/completions", completion(10, false));
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_NE(r.body.find("timed out while generating"), std::string::npos) << r.body;
  const auto recent = json::parse(request(s.port, "GET", "/recent").body);
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0]["completion_tokens"], 3);
  EXPECT_DOUBLE_EQ(recent[0]["duration_s"].get<double>(), 0.03);
}

// bench_output_tokens over HTTP: exactly that many tokens under a larger cap, finish_reason
// "length", on both APIs; over the cap it is a 400 naming it.
TEST(Server, BenchOutputTokensGivesExactlyThatManyTokens) {
  Served s;
  auto r = request(s.port, "POST", "/v1/completions",
                   R"({"model": "fake", "prompt": "def f", "max_tokens": 40,
                       "bench_output_tokens": 3})");
  ASSERT_EQ(r.status, 200) << r.body;
  json b = json::parse(r.body);
  EXPECT_EQ(b["usage"]["completion_tokens"], 3);
  EXPECT_EQ(b["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(b["choices"][0]["text"], "xxx");
  r = request(s.port, "POST", "/v1/chat/completions",
              R"({"model": "fake", "messages": [{"role": "user", "content": "hi"}],
                  "max_completion_tokens": 40, "bench_output_tokens": 2})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["usage"]["completion_tokens"], 2);
  r = request(s.port, "POST", "/v2/models/fake/infer",
              R"({"inputs": [{"name": "text_input", "datatype": "BYTES", "shape": [1],
                  "data": ["def f"]}], "parameters": {"bench_output_tokens": 4}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["parameters"]["completion_tokens"], 4);
  r = request(s.port, "POST", "/v1/completions",
              R"({"model": "fake", "prompt": "def f", "max_tokens": 4,
                  "bench_output_tokens": 5})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["param"], "bench_output_tokens");
}

TEST(Server, EveryRequestIsCountedWithItsStatusAndEveryJouleIsCharged) {
  Served s({}, 2);
  EXPECT_EQ(request(s.port, "POST", "/v1/completions", completion(3, false)).status, 200);
  EXPECT_EQ(request(s.port, "POST", "/v1/completions", "{\"model\": 1}").status, 400);
  {  // a stream the client leaves: 499, with the energy of the tokens it had
    s.model->hold();
    const int fd = connect_to(s.port);
    const std::string body = completion(1000, true);
    ASSERT_TRUE(send_all(fd, post_head("/v1/completions", body.size()) + body));
    s.model->wait_held();
    ::close(fd);
    while (s.server->connections() > 0) {  // until the server has seen the client go
      std::this_thread::yield();
    }
    s.model->release();
  }
  for (;;) {  // until the abandoned stream is accounted
    const auto recent = json::parse(request(s.port, "GET", "/recent").body);
    if (!recent.empty() && recent[0]["status"] == 499) {
      EXPECT_GT(recent[0]["joules"].get<double>(), 0);
      EXPECT_GT(recent[0]["completion_tokens"].get<int>(), 0);
      break;
    }
  }
  const auto recent = json::parse(request(s.port, "GET", "/recent").body);
  std::multiset<int> statuses;
  for (const auto& r : recent) statuses.insert(r["status"].get<int>());
  EXPECT_EQ(statuses, (std::multiset<int>{200, 400, 499}));
  s.fm.clock->advance_ns(2'000'000'000);  // idle
  const std::string m = request(s.port, "GET", "/metrics").body;
  EXPECT_EQ(metric_sum(m, "wattserve_requests_total"), 3);
  const double requests = metric_sum(m, "wattserve_request_energy_joules_total");
  const double idle = metric_sum(m, "wattserve_unattributed_energy_joules_total");
  const double total = metric_sum(m, "wattserve_meter_energy_joules_total");
  EXPECT_GT(requests, 0);
  EXPECT_NEAR(idle, 2 * kWatts, 1e-6);
  EXPECT_NEAR(requests + idle, total, 1e-9 * total);
}

// serve --adapt: two loaded variants of one served model; the adapter's decision routes new
// requests to the cheaper one at a low rate, shows in /metrics with its reason, and a governor
// over a dry-run actuator changes nothing.
adapt::AdaptOption adapt_option(const std::string& name, double step_s, double busy_w) {
  adapt::AdaptOption o;
  o.name = name;
  o.parallel = 1;
  o.profile.id = name;
  o.profile.kind = "text";
  o.profile.parallel = 1;
  o.profile.step.base_s = step_s;
  o.profile.prefill.base_s = step_s;
  o.profile.power.idle_w = 10;
  o.profile.power.busy_w = busy_w;
  return o;
}

class CountingActuator final : public adapt::FrequencyActuator {
 public:
  std::string name() const override { return "fake"; }
  std::vector<uint64_t> caps_khz() const override { return {1000, 2000, 3000}; }
  adapt::CapAction set_cap(uint64_t khz) override {
    ++calls;
    adapt::CapAction a;
    a.requested_khz = khz;
    a.lines.push_back("fake: dry run");
    return a;
  }
  void restore() override {}
  bool allow_actuate() const override { return false; }
  int calls = 0;
};

TEST(Adapter, SwitchesNewRequestsToTheCheaperVariantAndSaysWhy) {
  run::FakeMeter fm{kWatts};
  ServerOptions o;
  o.port = 0;
  Server server(o, *fm.meter, energy::CarbonIntensity{}, 1.0);
  TextModelSettings ts;
  ts.slo.e2e_s = 5.0;
  server.add_text_model("fake", std::make_unique<PacedText>(fm.clock), ts);
  ASSERT_EQ(server.add_text_variant("fake", "fake@slow", std::make_unique<PacedText>(fm.clock)),
            1u);
  std::vector<AdapterOption> options = {{adapt_option("fast", 0.01, 40), 0},
                                        {adapt_option("slow", 0.03, 8), 1}};
  AdapterOptions ao;
  ao.period_s = 1;
  ao.controller.slo_e2e_s = 5.0;  // the slow variant's predicted p99 at 1 req/s (1.2 s) fits
  ao.controller.shape = {10, 10, 10};
  std::vector<std::string> log;
  ao.log = [&](const std::string& line) { log.push_back(line); };
  ao.clock = fm.clock;
  CountingActuator actuator;
  Adapter adapter(server, "fake", options, ao, server.registry(), &actuator);
  EXPECT_EQ(adapter.active_option(), 0u);  // the fastest until something is observed
  const int port = server.bind();
  auto running = std::async(std::launch::async, [&] { server.run(); });

  const auto d = adapter.tick(1.0);
  EXPECT_TRUE(d.changed);
  EXPECT_EQ(adapter.active_option(), 1u);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("switch to slow"), std::string::npos) << log[0];
  EXPECT_NE(log[0].find("least predicted energy"), std::string::npos) << log[0];
  EXPECT_EQ(request(port, "POST", "/v1/completions", completion(2, false)).status, 200);
  const auto variants = server.text_variants("fake");
  EXPECT_EQ(variants[0]->counts().offered, 0u);
  EXPECT_EQ(variants[1]->counts().offered, 1u);
  EXPECT_EQ(variants[1]->counts().within_slo, 1u);

  adapter.tick(1.0);
  const std::string m = request(port, "GET", "/metrics").body;
  EXPECT_NE(m.find("wattserve_adapt_active{model=\"fake\",option=\"slow\"} 1"), std::string::npos);
  EXPECT_EQ(metric_sum(m, "wattserve_adapt_decisions_total"), 2);
  EXPECT_NE(
      m.find("wattserve_adapt_last_decision_info{model=\"fake\",option=\"slow\",reason=\"least"),
      std::string::npos);
  EXPECT_NE(m.find("wattserve_frequency_cap_khz{actuator=\"fake\",applied=\"false\"} 3000"),
            std::string::npos);
  EXPECT_EQ(actuator.calls, 0);  // too few requests per window: the governor holds
  server.stop();
  running.wait();
}

TEST(Adapter, RefusesAnOptionOnAVariantTheModelLacks) {
  run::FakeMeter fm{kWatts};
  Server server({}, *fm.meter, energy::CarbonIntensity{}, 1.0);
  server.add_text_model("fake", std::make_unique<PacedText>(fm.clock), {});
  AdapterOptions ao;
  ao.clock = fm.clock;
  EXPECT_THROW(Adapter(server, "fake", {{adapt_option("x", 0.01, 1), 3}}, ao, server.registry()),
               std::invalid_argument);
  EXPECT_THROW(server.add_text_variant("nope", "nope@x", std::make_unique<PacedText>(fm.clock)),
               ApiError);
}

}  // namespace
}  // namespace wattserve::serve
