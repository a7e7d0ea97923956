// The load generator's client (src/bench/load/client.h) and run loop (loadgen.h): the request
// body for each way of forcing the output length, chat vs completions and streaming; folding
// stream events (completions and chat chunks, usage with energy, error objects) into a result;
// split_url and parse_length_control; and Client::send / run_load end to end against an in-test
// HTTP/1.1 server on raw sockets (bench_tests does not link cpp-httplib's OpenSSL build) that
// streams SSE in odd chunk boundaries, answers 503 with a JSON error, and cuts streams short.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/load/client.h"
#include "bench/load/loadgen.h"
#include "energy/core/clock.h"

namespace wattserve::bench::load {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

ClientOptions options(LengthControl length = LengthControl::kExtension) {
  ClientOptions o;
  o.url = "http://127.0.0.1:1";
  o.model = "tiny";
  o.length = length;
  return o;
}

LoadRequest planned(int output_tokens, int max_tokens, std::string prompt = "hello") {
  LoadRequest r;
  r.prompt = std::move(prompt);
  r.input_tokens = 1;
  r.output_tokens = output_tokens;
  r.max_tokens = max_tokens;
  return r;
}

TEST(LoadClient, RequestBodyForcesTheOutputLengthByLengthControl) {
  const LoadRequest r = planned(16, 128);
  {
    const json b = request_body(options(LengthControl::kExtension), r);
    EXPECT_EQ(b.at("max_tokens"), 128);  // the realistic cap
    EXPECT_EQ(b.at("bench_output_tokens"), 16);
    EXPECT_FALSE(b.contains("ignore_eos"));
    EXPECT_FALSE(b.contains("min_tokens"));
  }
  {
    const json b = request_body(options(LengthControl::kIgnoreEos), r);
    EXPECT_EQ(b.at("max_tokens"), 16);
    EXPECT_EQ(b.at("ignore_eos"), true);
    EXPECT_FALSE(b.contains("bench_output_tokens"));
    EXPECT_FALSE(b.contains("min_tokens"));
  }
  {
    const json b = request_body(options(LengthControl::kMinTokens), r);
    EXPECT_EQ(b.at("min_tokens"), 16);
    EXPECT_EQ(b.at("max_tokens"), 16);
    EXPECT_FALSE(b.contains("bench_output_tokens"));
    EXPECT_FALSE(b.contains("ignore_eos"));
  }
  {
    const json b = request_body(options(LengthControl::kNone), r);
    EXPECT_EQ(b.at("max_tokens"), 128);
    EXPECT_FALSE(b.contains("bench_output_tokens"));
    EXPECT_FALSE(b.contains("ignore_eos"));
    EXPECT_FALSE(b.contains("min_tokens"));
  }
  // No exact length planned: only the cap, whatever the control.
  for (auto c : {LengthControl::kExtension, LengthControl::kIgnoreEos, LengthControl::kMinTokens}) {
    const json b = request_body(options(c), planned(0, 64));
    EXPECT_EQ(b.at("max_tokens"), 64) << to_string(c);
    EXPECT_FALSE(b.contains("bench_output_tokens"));
    EXPECT_FALSE(b.contains("ignore_eos"));
    EXPECT_FALSE(b.contains("min_tokens"));
  }
  // The cap never goes below the exact length, nor below 1.
  EXPECT_EQ(request_body(options(LengthControl::kExtension), planned(16, 8)).at("max_tokens"), 16);
  EXPECT_EQ(request_body(options(LengthControl::kNone), planned(0, 0)).at("max_tokens"), 1);
}

TEST(LoadClient, RequestBodyChatCompletionsStreamingAndSampling) {
  ClientOptions o = options();
  const json c = request_body(o, planned(4, 8, "the prompt"));
  EXPECT_EQ(c.at("model"), "tiny");
  EXPECT_EQ(c.at("prompt"), "the prompt");
  EXPECT_FALSE(c.contains("messages"));
  EXPECT_EQ(c.at("stream"), true);
  EXPECT_EQ(c.at("stream_options"), json({{"include_usage", true}}));
  EXPECT_FLOAT_EQ(c.at("temperature").get<float>(), o.sampling.temperature);
  EXPECT_FLOAT_EQ(c.at("top_p").get<float>(), o.sampling.top_p);
  EXPECT_EQ(c.at("top_k"), o.sampling.top_k);
  EXPECT_FALSE(c.contains("seed"));  // the default, a random seed, is not sent

  o.chat = true;
  o.stream = false;
  o.sampling.top_k = 0;
  o.sampling.seed = 7;
  o.sampling.temperature = 0;
  const json m = request_body(o, planned(4, 8, "the prompt"));
  EXPECT_EQ(m.at("messages"), json::parse(R"([{"role": "user", "content": "the prompt"}])"));
  EXPECT_FALSE(m.contains("prompt"));
  EXPECT_FALSE(m.contains("stream"));
  EXPECT_FALSE(m.contains("stream_options"));
  EXPECT_FALSE(m.contains("top_k"));  // 0: off
  EXPECT_EQ(m.at("seed"), 7);
  EXPECT_EQ(m.at("temperature"), 0.0);
}

TEST(LoadClient, CompletionsStreamEvents) {
  RequestResult r;
  EXPECT_TRUE(apply_stream_event(
      json::parse(R"({"choices": [{"index": 0, "text": "Hel", "finish_reason": null}]})"), false,
      100, r));
  EXPECT_TRUE(apply_stream_event(json::parse(R"({"choices": [{"text": "lo"}]})"), false, 130, r));
  // An empty text is no token (the final chunk), but its finish_reason counts.
  EXPECT_TRUE(apply_stream_event(
      json::parse(R"({"choices": [{"text": "", "finish_reason": "length"}]})"), false, 150, r));
  // A chat-shaped chunk on the completions endpoint carries no text.
  EXPECT_TRUE(apply_stream_event(json::parse(R"({"choices": [{"delta": {"content": "x"}}]})"),
                                 false, 160, r));
  EXPECT_EQ(r.first_token_ns, 100);
  EXPECT_EQ(r.chunk_ns, (std::vector<int64_t>{100, 130}));
  EXPECT_EQ(r.finish_reason, "length");
  EXPECT_EQ(r.output_tokens, 0);  // the client counts chunks only when usage does not say
  EXPECT_EQ(r.prompt_tokens, -1);
  EXPECT_EQ(r.response_joules, -1);
  EXPECT_TRUE(r.ok());

  // The usage chunk (wattserve's, with the energy extension).
  EXPECT_TRUE(apply_stream_event(json::parse(R"({"choices": [], "usage": {
      "prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14,
      "energy": {"joules": 1.5, "dynamic_joules": null, "source": "rapl"}}})"),
                                 false, 170, r));
  EXPECT_EQ(r.prompt_tokens, 12);
  EXPECT_EQ(r.output_tokens, 2);
  EXPECT_DOUBLE_EQ(r.response_joules, 1.5);
  EXPECT_EQ(r.energy_source, "rapl");
  EXPECT_EQ(r.chunk_ns.size(), 2u);
  EXPECT_EQ(r.response_gpu_joules, -1);  // no devices in that response

  // On a GPU machine: the GPU's and the CPU's parts, each kept; a malformed part is ignored.
  RequestResult gpu;
  EXPECT_TRUE(apply_stream_event(json::parse(R"({"choices": [], "usage": {
      "completion_tokens": 2, "energy": {"joules": 5.0, "source": "estimate", "devices": {
        "gpu": {"joules": 4.0, "source": "counter"}, "cpu": {"joules": 1.0, "source": "estimate"},
        "system": "bogus"}}}})"),
                                 false, 170, gpu));
  EXPECT_DOUBLE_EQ(gpu.response_gpu_joules, 4.0);
  EXPECT_DOUBLE_EQ(gpu.response_cpu_joules, 1.0);
  RequestResult bad;
  EXPECT_TRUE(apply_stream_event(json::parse(R"({"usage": {"energy": {"joules": 1,
      "devices": {"gpu": {"joules": "x"}, "cpu": []}}}})"),
                                 false, 1, bad));
  EXPECT_EQ(bad.response_gpu_joules, -1);
  EXPECT_EQ(bad.response_cpu_joules, -1);

  // Usage without energy (another server) leaves the energy unknown.
  RequestResult plain;
  EXPECT_TRUE(apply_stream_event(
      json::parse(R"({"usage": {"prompt_tokens": 3, "completion_tokens": 5}})"), false, 1, plain));
  EXPECT_EQ(plain.output_tokens, 5);
  EXPECT_EQ(plain.response_joules, -1);
  EXPECT_EQ(plain.energy_source, "");
}

TEST(LoadClient, ChatStreamEvents) {
  RequestResult r;
  // The role-only first delta has no text.
  EXPECT_TRUE(apply_stream_event(
      json::parse(R"({"choices": [{"delta": {"role": "assistant", "content": ""}}]})"), true, 10,
      r));
  EXPECT_EQ(r.first_token_ns, 0);
  EXPECT_TRUE(apply_stream_event(json::parse(R"({"choices": [{"delta": {"content": "Hi"}}]})"),
                                 true, 20, r));
  EXPECT_TRUE(apply_stream_event(
      json::parse(R"({"choices": [{"delta": {"content": " there"}, "finish_reason": null}]})"),
      true, 25, r));
  // A completions-shaped chunk on the chat endpoint carries no text.
  EXPECT_TRUE(apply_stream_event(json::parse(R"({"choices": [{"text": "x"}]})"), true, 27, r));
  EXPECT_TRUE(apply_stream_event(
      json::parse(R"({"choices": [{"delta": {}, "finish_reason": "stop"}]})"), true, 30, r));
  EXPECT_EQ(r.first_token_ns, 20);
  EXPECT_EQ(r.chunk_ns, (std::vector<int64_t>{20, 25}));
  EXPECT_EQ(r.finish_reason, "stop");
  // A whole (non-streamed) chat response: the message's content.
  RequestResult whole;
  EXPECT_TRUE(apply_stream_event(
      json::parse(R"({"choices": [{"message": {"role": "assistant", "content": "Hi"},
                                   "finish_reason": "stop"}]})"),
      true, 40, whole));
  EXPECT_EQ(whole.chunk_ns.size(), 1u);
}

TEST(LoadClient, ErrorEvents) {
  RequestResult r;
  EXPECT_FALSE(apply_stream_event(
      json::parse(R"({"error": {"message": "out of memory", "type": "server_error"}})"), false, 5,
      r));
  EXPECT_EQ(r.error, "error event in the stream: out of memory");
  EXPECT_FALSE(r.ok());
  RequestResult s;
  EXPECT_FALSE(apply_stream_event(json::parse(R"({"error": "overloaded"})"), false, 5, s));
  EXPECT_EQ(s.error, "error event in the stream: overloaded");
  RequestResult n;
  EXPECT_FALSE(apply_stream_event(json::parse("[1, 2]"), false, 5, n));
  EXPECT_FALSE(n.error.empty());
}

TEST(LoadClient, SplitUrl) {
  EXPECT_EQ(split_url("http://127.0.0.1:8080/x"),
            (std::pair<std::string, std::string>{"http://127.0.0.1:8080", "/x"}));
  EXPECT_EQ(split_url("http://localhost:8080"),
            (std::pair<std::string, std::string>{"http://localhost:8080", "/"}));
  EXPECT_EQ(split_url("http://h/a/b?c=1"),
            (std::pair<std::string, std::string>{"http://h", "/a/b?c=1"}));
  for (const char* bad : {"", "http://", "https://h:443", "127.0.0.1:8080", "HTTP//h", "ftp://h"}) {
    EXPECT_THROW(split_url(bad), std::invalid_argument) << bad;
  }
}

TEST(LoadClient, LengthControlNames) {
  for (auto c : {LengthControl::kExtension, LengthControl::kIgnoreEos, LengthControl::kMinTokens,
                 LengthControl::kNone}) {
    EXPECT_EQ(parse_length_control(to_string(c)), c);
  }
  EXPECT_EQ(parse_length_control("ignore_eos"), LengthControl::kIgnoreEos);
  for (const char* bad : {"auto", "", "Extension", "min-tokens"}) {
    try {
      parse_length_control(bad);
      ADD_FAILURE() << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), HasSubstr("known: extension, ignore_eos, min_tokens, none")) << bad;
    }
  }
}

// --- end to end --------------------------------------------------------------------------------

// The SSE stream of a completion "Hello world" (4 text chunks), its final chunk, the usage chunk
// with wattserve's energy and [DONE]; a comment line, CRLF and LF line ends.
std::string completion_stream() {
  std::string s = ": keep-alive\n\n";
  for (const char* piece : {"Hel", "lo", " wor", "ld"}) {
    s += "data: " +
         json{{"choices", {{{"index", 0}, {"text", piece}, {"finish_reason", nullptr}}}}}.dump() +
         "\r\n\r\n";
  }
  s += R"(data: {"choices": [{"index": 0, "text": "", "finish_reason": "length"}]})"
       "\n\n";
  s += R"(data: {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4, )"
       R"("energy": {"joules": 0.5, "source": "rapl"}}})"
       "\n\n";
  return s + "data: [DONE]\n\n";
}

// A chat stream "Hi there" (role-only first delta; no usage chunk).
std::string chat_stream() {
  return R"(data: {"choices": [{"delta": {"role": "assistant", "content": ""}}]})"
         "\n\n"
         R"(data: {"choices": [{"delta": {"content": "Hi"}}]})"
         "\n\n"
         R"(data: {"choices": [{"delta": {"content": " there"}}]})"
         "\n\n"
         R"(data: {"choices": [{"delta": {}, "finish_reason": "stop"}]})"
         "\n\ndata: [DONE]\n\n";
}

// A minimal keep-alive HTTP/1.1 server: one thread per connection; what it answers depends on
// the request's prompt (or chat message).
class FakeOpenAi {
 public:
  FakeOpenAi() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listen_fd_, 16) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("bind/listen");
    }
    url_ = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~FakeOpenAi() { stop(); }
  void stop() {
    if (listen_fd_ < 0) return;
    shutdown(listen_fd_, SHUT_RDWR);
    accept_thread_.join();
    {
      std::lock_guard lk(mu_);
      for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : connection_threads_) t.join();
    close(listen_fd_);
    listen_fd_ = -1;
  }
  const std::string& url() const { return url_; }
  int connections() const {
    std::lock_guard lk(mu_);
    return static_cast<int>(connection_threads_.size());
  }
  // Every request seen: {"path", "body"}.
  std::vector<json> requests() const {
    std::lock_guard lk(mu_);
    return requests_;
  }

 private:
  void accept_loop() {
    for (;;) {
      const int c = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      std::lock_guard lk(mu_);
      open_fds_.push_back(c);
      connection_threads_.emplace_back([this, c] { serve(c); });
    }
  }

  static bool send_all(int fd, std::string_view s) {
    while (!s.empty()) {
      const ssize_t n = send(fd, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // `body` as a chunked 200 response, cut into pieces of odd sizes (mid-line, mid-"\r\n");
  // `finish`: with the terminating zero chunk.
  static bool send_chunked(int fd, const std::string& body, bool finish) {
    if (!send_all(fd,
                  "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n")) {
      return false;
    }
    static constexpr std::size_t kSizes[] = {1, 7, 2, 13, 3, 29, 5};
    for (std::size_t i = 0, k = 0; i < body.size(); ++k) {
      const std::size_t n = std::min(kSizes[k % std::size(kSizes)], body.size() - i);
      char head[32];
      std::snprintf(head, sizeof head, "%zx\r\n", n);
      if (!send_all(fd, head) || !send_all(fd, std::string_view(body).substr(i, n)) ||
          !send_all(fd, "\r\n")) {
        return false;
      }
      i += n;
    }
    return !finish || send_all(fd, "0\r\n\r\n");
  }

  static bool send_json(int fd, const std::string& status, const json& body) {
    const std::string b = body.dump();
    return send_all(fd, "HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\n" +
                            "Content-Length: " + std::to_string(b.size()) + "\r\n\r\n" + b);
  }

  // Answers one request; false: close the connection.
  bool answer(int fd, const std::string& path, const json& req) {
    const bool chat = path == "/v1/chat/completions";
    const std::string prompt = chat ? req.at("messages").at(0).at("content").get<std::string>()
                                    : req.value("prompt", std::string());
    if (prompt == "stream")
      return send_chunked(fd, chat ? chat_stream() : completion_stream(), true);
    if (prompt == "busy") {
      return send_json(fd, "503 Service Unavailable",
                       {{"error", {{"message", "queue full"}, {"type", "server_error"}}}});
    }
    if (prompt == "whole") {
      return send_json(fd, "200 OK", json::parse(R"({"choices": [{"index": 0, "text": "abc",
          "finish_reason": "stop"}], "usage": {"prompt_tokens": 2, "completion_tokens": 3,
          "energy": {"joules": 0.25, "source": "meter"}}})"));
    }
    if (prompt == "nodone") {  // a complete HTTP response whose stream lacks [DONE]
      const std::string s = completion_stream();
      return send_chunked(fd, s.substr(0, s.find("data: [DONE]")), true);
    }
    if (prompt == "cut") {  // the connection drops in the middle of the stream
      const std::string s = completion_stream();
      send_chunked(fd, s.substr(0, s.size() / 2), false);
      return false;
    }
    if (prompt == "error_event") {
      return send_chunked(fd,
                          R"(data: {"choices": [{"text": "a"}]})"
                          "\n\n"
                          R"(data: {"error": {"message": "engine failed"}})"
                          "\n\n",
                          true);
    }
    if (prompt == "error_type") return send_chunked(fd, "event: error\ndata: overloaded\n\n", true);
    return send_json(fd, "404 Not Found", {{"error", {{"message", "no such prompt"}}}});
  }

  void serve(int fd) {
    std::string buf;
    char tmp[4096];
    const auto fill = [&] {
      const ssize_t n = recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<std::size_t>(n));
      return true;
    };
    for (;;) {
      std::size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!fill()) return close_fd(fd);
      }
      const std::string head = buf.substr(0, end);
      buf.erase(0, end + 4);
      std::size_t length = 0;
      std::string lower = head;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (const auto p = lower.find("content-length:"); p != std::string::npos) {
        length = std::stoul(lower.substr(p + 15));
      }
      while (buf.size() < length) {
        if (!fill()) return close_fd(fd);
      }
      const std::string body = buf.substr(0, length);
      buf.erase(0, length);
      const auto sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
      const std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);
      const json req = json::parse(body, nullptr, false);
      {
        std::lock_guard lk(mu_);
        requests_.push_back({{"path", path}, {"body", req}});
      }
      if (req.is_discarded() || !answer(fd, path, req)) return close_fd(fd);
    }
  }

  void close_fd(int fd) {
    std::lock_guard lk(mu_);
    open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
    close(fd);
  }

  int listen_fd_ = -1;
  std::string url_;
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::vector<int> open_fds_;
  std::vector<std::thread> connection_threads_;
  std::vector<json> requests_;
};

ClientOptions live(const FakeOpenAi& server) {
  ClientOptions o;
  o.url = server.url();
  o.model = "tiny";
  o.timeout_s = 5;
  return o;
}

LoadRequest prompt(const std::string& p, std::size_t index = 0) {
  LoadRequest r = planned(4, 16, p);
  r.index = index;
  r.input_tokens = 3;
  return r;
}

void expect_stream_ok(const RequestResult& r) {
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.output_tokens, 4);
  EXPECT_EQ(r.prompt_tokens, 3);
  EXPECT_DOUBLE_EQ(r.response_joules, 0.5);
  EXPECT_EQ(r.energy_source, "rapl");
  EXPECT_EQ(r.finish_reason, "length");
  ASSERT_EQ(r.chunk_ns.size(), 4u);  // one per text event, however the bytes were cut
  EXPECT_EQ(r.first_token_ns, r.chunk_ns.front());
  EXPECT_TRUE(std::is_sorted(r.chunk_ns.begin(), r.chunk_ns.end()));
  EXPECT_LE(r.send_ns, r.first_token_ns);
  EXPECT_LE(r.chunk_ns.back(), r.end_ns);
}

TEST(LoadClient, SendsAndReadsWhatTheServerAnswers) {
  FakeOpenAi server;
  energy::SystemClock clock;
  Client c(live(server), clock);

  LoadRequest first = prompt("stream", 7);
  first.scheduled_ns = 42;
  RequestResult r = c.send(first);
  expect_stream_ok(r);
  EXPECT_EQ(r.index, 7u);
  EXPECT_EQ(r.scheduled_ns, 42);
  EXPECT_EQ(r.planned_input_tokens, 3);
  EXPECT_EQ(r.planned_output_tokens, 4);
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0]["path"], "/v1/completions");
  EXPECT_EQ(seen[0]["body"], request_body(live(server), first));

  r = c.send(prompt("busy"));
  EXPECT_EQ(r.http_status, 503);
  EXPECT_EQ(r.error, "HTTP 503: queue full");
  EXPECT_TRUE(r.chunk_ns.empty());

  expect_stream_ok(c.send(prompt("stream")));  // the same connection after an error answer

  r = c.send(prompt("nodone"));
  EXPECT_EQ(r.error, "the stream ended without data: [DONE]");
  EXPECT_EQ(r.chunk_ns.size(), 4u);

  r = c.send(prompt("error_event"));
  EXPECT_EQ(r.error, "error event in the stream: engine failed");
  EXPECT_EQ(r.chunk_ns.size(), 1u);

  r = c.send(prompt("error_type"));
  EXPECT_EQ(r.error, "error event in the stream: overloaded");

  r = c.send(prompt("cut"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.http_status, 200);
  EXPECT_THAT(r.error, StartsWith("the response broke off"));

  expect_stream_ok(c.send(prompt("stream")));  // a new connection after the cut one
  EXPECT_EQ(server.requests().size(), 8u);     // each request sent once

  server.stop();
  r = c.send(prompt("stream"));
  EXPECT_THAT(r.error, StartsWith("request failed"));
  EXPECT_EQ(r.http_status, 0);
}

TEST(LoadClient, ChatAndWholeResponses) {
  FakeOpenAi server;
  energy::SystemClock clock;
  ClientOptions chat = live(server);
  chat.chat = true;
  RequestResult r = Client(chat, clock).send(prompt("stream"));
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.chunk_ns.size(), 2u);
  EXPECT_EQ(r.output_tokens, 2);  // no usage: the chunks with text
  EXPECT_EQ(r.prompt_tokens, -1);
  EXPECT_EQ(r.response_joules, -1);
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(server.requests().at(0)["path"], "/v1/chat/completions");

  ClientOptions whole = live(server);
  whole.stream = false;
  r = Client(whole, clock).send(prompt("whole"));
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.output_tokens, 3);
  EXPECT_EQ(r.prompt_tokens, 2);
  EXPECT_DOUBLE_EQ(r.response_joules, 0.25);
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.first_token_ns, 0);  // no token times without streaming
  EXPECT_TRUE(r.chunk_ns.empty());
  EXPECT_FALSE(server.requests().at(1)["body"].contains("stream"));
}

TEST(LoadClient, ClosedLoopRunsEveryRequestOnItsStreams) {
  FakeOpenAi server;
  energy::SystemClock clock;
  std::vector<LoadRequest> reqs;
  for (std::size_t i = 0; i < 5; ++i) reqs.push_back(prompt("stream", i));
  LoadGenOptions opts;
  opts.streams = 2;
  std::atomic<int> done{0};
  const LoadOutcome out =
      run_load(live(server), opts, reqs, clock, [&](const RequestResult&) { ++done; });
  EXPECT_EQ(done.load(), 5);
  ASSERT_EQ(out.results.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    const auto& r = out.results[i];
    EXPECT_EQ(r.index, i);
    expect_stream_ok(r);
    // Closed loop: scheduled when its stream became free, at the start or at another's end.
    const bool at_start = r.scheduled_ns == out.start_ns;
    const bool after_another =
        std::any_of(out.results.begin(), out.results.end(),
                    [&](const RequestResult& o) { return o.end_ns == r.scheduled_ns; });
    EXPECT_TRUE(at_start || after_another) << i;
    EXPECT_LE(r.scheduled_ns, r.send_ns);
    EXPECT_LE(r.end_ns, out.end_ns);
  }
  // Kept alive: a connection per stream at most (one when a stream found nothing left to send).
  EXPECT_GE(server.connections(), 1);
  EXPECT_LE(server.connections(), 2);
}

TEST(LoadClient, OpenLoopSendsOnScheduleAndStopEndsTheRun) {
  FakeOpenAi server;
  energy::SystemClock clock;
  std::vector<LoadRequest> reqs;
  for (std::size_t i = 0; i < 3; ++i) {
    reqs.push_back(prompt(i == 1 ? "busy" : "stream", i));
    reqs.back().scheduled_ns = static_cast<int64_t>(i) * 2'000'000;  // every 2 ms
  }
  LoadGenOptions open;
  open.max_in_flight = 2;
  const LoadOutcome out = run_load(live(server), open, reqs, clock);
  ASSERT_EQ(out.results.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& r = out.results[i];
    EXPECT_EQ(r.index, i);
    EXPECT_EQ(r.scheduled_ns, out.start_ns + reqs[i].scheduled_ns);
    EXPECT_GE(r.send_ns, r.scheduled_ns);  // never early
  }
  EXPECT_EQ(out.results[1].error, "HTTP 503: queue full");  // a failure is a result too
  expect_stream_ok(out.results[2]);

  // One stream; a stop after the first request leaves the rest unsent.
  LoadGenOptions closed;
  closed.streams = 1;
  std::atomic<bool> stop{false};
  const std::size_t before = server.requests().size();
  const LoadOutcome stopped = run_load(
      live(server), closed, reqs, clock, [&](const RequestResult&) { stop = true; }, &stop);
  ASSERT_EQ(stopped.results.size(), 1u);
  EXPECT_EQ(stopped.results[0].index, 0u);
  EXPECT_EQ(server.requests().size(), before + 1);
  // Stopped before it starts: nothing is sent.
  const LoadOutcome none = run_load(live(server), closed, reqs, clock, {}, &stop);
  EXPECT_TRUE(none.results.empty());
  EXPECT_EQ(server.requests().size(), before + 1);
}

}  // namespace
}  // namespace wattserve::bench::load
