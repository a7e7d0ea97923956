// Prometheus scraping for `wattserve bench` serving targets (src/bench/load/prometheus_scrape.h):
// the text format as prometheus-cpp writes it for `wattserve serve` (counters, histograms with
// le="+Inf", escaped label values, Nan/-Inf gauges) and hand-written variants (spaces,
// timestamps, \r\n), malformed lines named by number, a scrape over HTTP, and scrape deltas.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>

#include "bench/load/prometheus_scrape.h"

namespace wattserve::bench::load {
namespace {

using ::testing::HasSubstr;

// What serve_metrics.cpp's registry serializes to (prometheus-cpp 1.0 TextSerializer).
constexpr const char* kServeMetrics =
    R"(# HELP wattserve_requests_total HTTP requests by served model and status code
# TYPE wattserve_requests_total counter
wattserve_requests_total{model="tiny \"q\" a\\b\nc",status="200"} 3
wattserve_requests_total{model="tiny",status="503"} 1
# HELP wattserve_slo_attainment_ratio Share of requests that met the SLO so far
# TYPE wattserve_slo_attainment_ratio gauge
wattserve_slo_attainment_ratio{model="n",slo="ttft"} -Inf
wattserve_slo_attainment_ratio{model="m",slo="ttft"} Nan
# HELP wattserve_request_ttft_seconds Time from the start of generation to the first token
# TYPE wattserve_request_ttft_seconds histogram
wattserve_request_ttft_seconds_count{model="m"} 1
wattserve_request_ttft_seconds_sum{model="m"} 0.05
wattserve_request_ttft_seconds_bucket{model="m",le="0.01"} 0
wattserve_request_ttft_seconds_bucket{model="m",le="0.1"} 1
wattserve_request_ttft_seconds_bucket{model="m",le="+Inf"} 1
# HELP wattserve_meter_energy_joules_total Everything the meter measured since it started (J)
# TYPE wattserve_meter_energy_joules_total counter
wattserve_meter_energy_joules_total 1234.5
)";

TEST(LoadPrometheus, ParsesWhatServeWrites) {
  const auto samples = parse_prometheus_text(kServeMetrics);
  ASSERT_EQ(samples.size(), 10u);
  EXPECT_EQ(samples[0].series,
            R"(wattserve_requests_total{model="tiny \"q\" a\\b\nc",status="200"})");
  EXPECT_EQ(samples[0].value, 3);
  EXPECT_EQ(samples[1].series, R"(wattserve_requests_total{model="tiny",status="503"})");
  EXPECT_EQ(samples[2].series, R"(wattserve_slo_attainment_ratio{model="n",slo="ttft"})");
  EXPECT_EQ(samples[2].value, -INFINITY);
  EXPECT_TRUE(std::isnan(samples[3].value));
  EXPECT_EQ(samples[5].series, R"(wattserve_request_ttft_seconds_sum{model="m"})");
  EXPECT_DOUBLE_EQ(samples[5].value, 0.05);
  EXPECT_EQ(samples[8].series, R"(wattserve_request_ttft_seconds_bucket{model="m",le="+Inf"})");
  EXPECT_EQ(samples[8].value, 1);
  EXPECT_EQ(samples[9].series, "wattserve_meter_energy_joules_total");
  EXPECT_DOUBLE_EQ(samples[9].value, 1234.5);
}

TEST(LoadPrometheus, AcceptsSpacesTimestampsAndSpecialValues) {
  const auto samples = parse_prometheus_text(
      "\n"
      "  # indented comment\n"
      "a 1 1700000000000\r\n"
      "b { x = \"1\" , y=\"}{,=\" , } \t+Inf \n"
      "c{} -2.5e3\n"
      "d NaN -5\n"
      "e +inf\n"
      "f -1e999\n"
      "h 7");  // no final newline
  ASSERT_EQ(samples.size(), 7u);
  EXPECT_EQ(samples[0].series, "a");
  EXPECT_EQ(samples[0].value, 1);
  EXPECT_EQ(samples[1].series, R"(b{x="1",y="}{,="})");
  EXPECT_EQ(samples[1].value, INFINITY);
  EXPECT_EQ(samples[2].series, "c");
  EXPECT_EQ(samples[2].value, -2500);
  EXPECT_TRUE(std::isnan(samples[3].value));
  EXPECT_EQ(samples[4].value, INFINITY);
  EXPECT_EQ(samples[5].value, -INFINITY);
  EXPECT_EQ(samples[6].series, "h");
  EXPECT_EQ(samples[6].value, 7);
}

TEST(LoadPrometheus, MalformedLinesNameTheLine) {
  auto error = [](const std::string& text) {
    try {
      parse_prometheus_text(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(error("# ok\na 1\nb\n"), HasSubstr("line 3: no value"));
  EXPECT_THAT(error("a 1\n\nb x\n"), HasSubstr("line 3: not a number: 'x'"));
  EXPECT_THAT(error("1a 1\n"), HasSubstr("line 1: expected a metric name"));
  EXPECT_THAT(error("a{x=\"1} 2\n"), HasSubstr("line 1: unterminated label value"));
  EXPECT_THAT(error("a{x=1} 2\n"), HasSubstr("line 1:"));
  EXPECT_THAT(error("a{x=\"1\" y=\"2\"} 2\n"), HasSubstr("line 1: expected ',' or '}'"));
  EXPECT_THAT(error("a{=\"1\"} 2\n"), HasSubstr("line 1: expected a label name"));
  EXPECT_THAT(error("a{x=\"1\"}2\n"), HasSubstr("line 1: expected a space before the value"));
  EXPECT_THAT(error("a 1 2 3\n"), HasSubstr("line 1: unexpected text after the value"));
  EXPECT_THAT(error("a 1 1.5\n"), HasSubstr("line 1: not a timestamp"));
  EXPECT_THAT(error("a ++1\n"), HasSubstr("line 1: not a number"));
  EXPECT_THAT(error("a 1e3x\n"), HasSubstr("line 1: not a number"));
  EXPECT_THAT(error("a 0x10\n"), HasSubstr("line 1: not a number"));
  EXPECT_EQ(error(""), "no error");
}

TEST(LoadPrometheus, DeltaOfTwoScrapes) {
  const std::map<std::string, double> before = {
      {"wattserve_requests_total{model=\"m\",status=\"200\"}", 10},
      {"wattserve_meter_energy_joules_total", 100.5},
      {"gone_total", 3},
      {"ratio", NAN}};
  const std::map<std::string, double> after = {
      {"wattserve_requests_total{model=\"m\",status=\"200\"}", 25},
      {"wattserve_requests_total{model=\"m\",status=\"503\"}", 2},  // first seen: from 0
      {"wattserve_meter_energy_joules_total", 160.75},
      {"ratio", 0.5}};
  const nlohmann::json d = metrics_delta(before, after);
  ASSERT_TRUE(d.is_object());
  EXPECT_EQ(d.size(), 4u);
  EXPECT_EQ(d["wattserve_requests_total{model=\"m\",status=\"200\"}"], 15.0);
  EXPECT_EQ(d["wattserve_requests_total{model=\"m\",status=\"503\"}"], 2.0);
  EXPECT_EQ(d["wattserve_meter_energy_joules_total"], 60.25);
  EXPECT_TRUE(d["ratio"].is_null());
  EXPECT_FALSE(d.contains("gone_total"));
  EXPECT_EQ(metrics_delta({}, {}), nlohmann::json::object());
}

// A real scrape from a minimal in-process HTTP/1.1 server (one request per connection, raw
// sockets: bench_tests does not link cpp-httplib itself).
class LoadPrometheusScrape : public ::testing::Test {
 protected:
  void SetUp() override {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listen_fd_, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(listen_fd_, 16), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    url_ = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    thread_ = std::thread([this] { serve(); });
  }
  void TearDown() override { stop(); }
  void stop() {
    if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);  // accept() returns
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) close(listen_fd_);
    listen_fd_ = -1;
  }
  void serve() const {
    for (;;) {
      const int c = accept(listen_fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
      }
      std::string status = "200 OK", body;
      if (request.starts_with("GET /metrics ")) {
        body = kServeMetrics;
      } else if (request.starts_with("GET /bad ")) {
        body = "ok 1\nbroken{\n";
      } else {
        status = "404 Not Found";
      }
      const std::string response = "HTTP/1.1 " + status +
                                   "\r\nContent-Type: text/plain; version=0.0.4\r\n"
                                   "Content-Length: " +
                                   std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
                                   body;
      std::size_t sent = 0;
      while (sent < response.size()) {
        const ssize_t n = send(c, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
      }
      close(c);
    }
  }
  int listen_fd_ = -1;
  std::thread thread_;
  std::string url_;
};

TEST_F(LoadPrometheusScrape, ScrapesAndReportsFailures) {
  const auto m = scrape_metrics(url_);
  EXPECT_EQ(m.size(), 10u);
  EXPECT_EQ(m.at("wattserve_meter_energy_joules_total"), 1234.5);
  EXPECT_EQ(m.at(R"(wattserve_request_ttft_seconds_bucket{model="m",le="+Inf"})"), 1);

  try {
    scrape_metrics(url_, "/nope");
    ADD_FAILURE() << "no error for a 404";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("HTTP 404"));
  }
  try {
    scrape_metrics(url_, "/bad");
    ADD_FAILURE() << "no error for a malformed answer";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/bad: line 2:"));
  }
  stop();
  EXPECT_THROW(scrape_metrics(url_, "/metrics", 1), std::runtime_error);
}

}  // namespace
}  // namespace wattserve::bench::load
