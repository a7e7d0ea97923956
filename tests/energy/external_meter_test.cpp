#include "energy/sensors/external_meter.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wattserve::energy {
namespace {

constexpr int64_t kSec = 1'000'000'000;

struct Fixture {
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  int64_t t0 = clock->now_ns();

  ExternalMeterOptions command(std::string cmd) const {
    ExternalMeterOptions o;
    o.command = std::move(cmd);
    o.start_thread = false;
    o.clock = clock;
    return o;
  }
  static double read(Sensor& s, int64_t now_ns) {
    std::vector<double> out(1, -1);
    std::string err;
    EXPECT_TRUE(s.read(now_ns, out, &err)) << err;
    return out[0];
  }
};

// A temporary folder removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::path(::testing::TempDir()) /
           ("wattserve_ext_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::trunc) << text;
    return (path / name).string();
  }
};

TEST(ExternalMeterParse, Formats) {
  std::string err;
  EXPECT_EQ(parse_watts("42.5\n", "", &err), 42.5);
  EXPECT_EQ(parse_watts("    Instantaneous power reading:                   123 Watts\n"
                        "    Minimum during sampling period:                 80 Watts\n",
                        "", &err),
            123);
  EXPECT_EQ(parse_watts("PDU 2 outlet 3: 17.25 W", "", &err), 2);  // the first number
  EXPECT_EQ(parse_watts("power=.5", "", &err), 0.5);
  EXPECT_EQ(parse_watts("{\"power\": 12}", "", &err), 12);
  EXPECT_EQ(parse_watts("{\"power_w\": \"7.5 W\"}", "", &err), 7.5);
  EXPECT_EQ(parse_watts("{\"a\": {\"b\": 3.5}}", "a.b", &err), 3.5);
  EXPECT_FALSE(parse_watts("{\"a\": {\"c\": 3.5}}", "a.b", &err));
  EXPECT_EQ(err, "JSON has no field a.b");
  EXPECT_FALSE(parse_watts("{\"volts\": 230}", "", &err));
  EXPECT_NE(err.find("none of the fields"), std::string::npos);
  EXPECT_FALSE(parse_watts("hello", "", &err));
  EXPECT_NE(err.find("no number of watts in \"hello\""), std::string::npos);
  EXPECT_FALSE(parse_watts("reading: -5 W", "", &err));
  EXPECT_FALSE(parse_watts("reading: n/a", "", &err));
}

TEST(ExternalMeter, EchoCommandHeldThenTrapezoid) {
  Fixture f;
  auto s = make_external_meter(f.command("echo 42.5"), nullptr);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name(), "external");
  ASSERT_EQ(s->domains().size(), 1u);
  EXPECT_EQ(s->domains()[0].id, "external:external");
  EXPECT_EQ(s->domains()[0].kind, DomainKind::kSystem);
  EXPECT_EQ(s->domains()[0].source, Source::kPower);
  EXPECT_EQ(s->min_interval_ns(), kSec);
  auto& m = dynamic_cast<ExternalMeter&>(*s);
  EXPECT_EQ(f.read(*s, f.t0), 0);
  EXPECT_DOUBLE_EQ(f.read(*s, f.t0 + kSec), 42.5);  // held since the first poll
  f.clock->advance_ns(kSec);
  ASSERT_TRUE(m.poll_once());
  EXPECT_DOUBLE_EQ(f.read(*s, f.t0 + kSec), 42.5);
  EXPECT_DOUBLE_EQ(f.read(*s, f.t0 + 3 * kSec / 2), 63.75);
  std::vector<double> w(1);
  s->last_power(w);
  EXPECT_EQ(w[0], 42.5);
}

TEST(ExternalMeter, IpmitoolOutput) {
  Fixture f;
  auto o = f.command(
      "printf 'Instantaneous power reading:   123 Watts\\n"
      "Minimum during sampling period:  80 Watts\\n'");
  o.label = "ipmi";
  auto s = make_external_meter(o, nullptr);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->domains()[0].id, "external:ipmi");
  EXPECT_DOUBLE_EQ(f.read(*s, f.t0 + 2 * kSec), 246);
}

TEST(ExternalMeter, ChangingValuesIntegrateAndNeverDecrease) {
  Fixture f;
  TempDir dir;
  std::string values = dir.write("values", "100\n200\n50\n");
  // Prints the first line of the values file and removes it.
  std::string script =
      dir.write("meter.sh", "#!/bin/sh\nf='" + values +
                                "'\nhead -n 1 \"$f\"\ntail -n +2 \"$f\" > \"$f.tmp\" && "
                                "mv \"$f.tmp\" \"$f\"\n");
  auto s = make_external_meter(f.command("sh '" + script + "'"), nullptr);
  ASSERT_TRUE(s);
  auto& m = dynamic_cast<ExternalMeter&>(*s);
  f.clock->advance_ns(kSec);
  ASSERT_TRUE(m.poll_once());  // 100 W -> 200 W over 1 s
  EXPECT_DOUBLE_EQ(f.read(*s, f.t0 + kSec), 150);
  EXPECT_DOUBLE_EQ(f.read(*s, f.t0 + 29 * kSec / 10), 530);  // 200 W held for 1.9 s
  f.clock->advance_ns(2 * kSec);
  ASSERT_TRUE(m.poll_once());  // trapezoid: 150 + 125 W x 2 s = 400 J, below 530
  EXPECT_DOUBLE_EQ(f.read(*s, f.t0 + 3 * kSec), 530);  // held
  EXPECT_DOUBLE_EQ(f.read(*s, f.t0 + 4 * kSec), 530);  // 400 + 50 = 450: still held
  EXPECT_DOUBLE_EQ(f.read(*s, f.t0 + 6 * kSec), 550);  // 400 + 150
}

TEST(ExternalMeter, JsonField) {
  Fixture f;
  auto o = f.command("echo '{\"pdu\": {\"outlet\": {\"watts\": 17.5}}}'");
  o.json_field = "pdu.outlet.watts";
  auto s = make_external_meter(o, nullptr);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(f.read(*s, f.t0 + 2 * kSec), 35);
}

TEST(ExternalMeter, FailingOrNonNumericCommandGivesNote) {
  Fixture f;
  std::vector<SensorNote> notes;
  EXPECT_FALSE(make_external_meter(f.command("echo boom >&2; exit 3"), &notes));
  EXPECT_FALSE(make_external_meter(f.command("echo hello"), &notes));
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].sensor, "external");
  EXPECT_NE(notes[0].reason.find("exited with status 3: boom"), std::string::npos)
      << notes[0].reason;
  EXPECT_NE(notes[1].reason.find("no number of watts"), std::string::npos) << notes[1].reason;
  EXPECT_THROW(ExternalMeter{f.command("exit 1")}, SensorError);
}

// With SIGCHLD ignored (inherited from a parent that set SIG_IGN) the kernel reaps the command
// itself and waitpid() fails with ECHILD: the exit status is unknown, so the poll must fail
// rather than count as a success with status 0.
TEST(ExternalMeter, UncollectableExitStatusFailsThePoll) {
  Fixture f;
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ASSERT_EQ(sigaction(SIGCHLD, &ignore, &old), 0);
  std::vector<SensorNote> notes;
  auto s = make_external_meter(f.command("echo 42"), &notes);
  ASSERT_EQ(sigaction(SIGCHLD, &old, nullptr), 0);
  EXPECT_FALSE(s);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].reason.find("cannot collect the exit status"), std::string::npos)
      << notes[0].reason;
  EXPECT_NE(notes[0].reason.find("SIGCHLD"), std::string::npos) << notes[0].reason;
  // With the default disposition back, the same command works.
  EXPECT_TRUE(make_external_meter(f.command("echo 42"), nullptr));
}

TEST(ExternalMeter, SlowCommandIsKilled) {
  Fixture f;
  auto o = f.command("sleep 30");
  o.interval_ns = kSec / 20;  // killed after 150 ms
  std::vector<SensorNote> notes;
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(make_external_meter(o, &notes));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].reason.find("timed out"), std::string::npos) << notes[0].reason;
}

TEST(ExternalMeter, FailedPollFailsReadsAndTheGapIsNotIntegrated) {
  Fixture f;
  TempDir dir;
  std::string value = dir.write("value", "10\n");
  auto s = make_external_meter(f.command("cat '" + value + "'"), nullptr);
  ASSERT_TRUE(s);
  auto& m = dynamic_cast<ExternalMeter&>(*s);
  EXPECT_DOUBLE_EQ(f.read(*s, f.t0 + kSec), 10);  // reported by extrapolation: stays
  dir.write("value", "n/a\n");
  f.clock->advance_ns(2 * kSec);
  std::string err;
  EXPECT_FALSE(m.poll_once(&err));
  std::vector<double> out(1, -1);
  EXPECT_FALSE(s->read(f.t0 + 2 * kSec, out, &err));
  EXPECT_NE(err.find("no number of watts"), std::string::npos) << err;
  dir.write("value", "20\n");
  f.clock->advance_ns(2 * kSec);
  ASSERT_TRUE(m.poll_once(&err)) << err;
  EXPECT_DOUBLE_EQ(f.read(*s, f.t0 + 4 * kSec), 10);  // 1 s .. 4 s is the gap
  EXPECT_DOUBLE_EQ(f.read(*s, f.t0 + 5 * kSec), 30);
}

TEST(ExternalMeter, BadOptionsGiveNotes) {
  std::vector<SensorNote> notes;
  ExternalMeterOptions both;
  both.command = "echo 1";
  both.url = "http://127.0.0.1:1/";
  EXPECT_FALSE(make_external_meter(both, &notes));
  EXPECT_FALSE(make_external_meter(ExternalMeterOptions{}, &notes));
  ExternalMeterOptions https;
  https.url = "https://pdu.example/power";
  EXPECT_FALSE(make_external_meter(https, &notes));
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_NE(notes[0].reason.find("exactly one"), std::string::npos);
  EXPECT_NE(notes[2].reason.find("https is not supported"), std::string::npos);
}

TEST(ExternalMeter, HttpEndpoint) {
  httplib::Server server;
  std::mutex mu;
  std::string body = "{\"watts\": 250}";
  server.Get("/power", [&](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mu);
    res.set_content(body, "application/json");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread listener([&] { server.listen_after_bind(); });
  // The socket already listens (connections queue); wait, bounded, for the accept loop too.
  for (int i = 0; i < 500 && !server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(server.is_running());

  Fixture f;
  ExternalMeterOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(port) + "/power";
  o.start_thread = false;
  o.clock = f.clock;
  o.label = "pdu";
  std::vector<SensorNote> notes;
  auto s = make_external_meter(o, &notes);
  ASSERT_TRUE(s) << (notes.empty() ? "" : notes[0].reason);
  EXPECT_EQ(s->domains()[0].id, "external:pdu");
  {
    std::lock_guard lock(mu);
    body = "300";
  }
  f.clock->advance_ns(2 * kSec);
  ASSERT_TRUE(dynamic_cast<ExternalMeter&>(*s).poll_once());
  EXPECT_DOUBLE_EQ(f.read(*s, f.t0 + 3 * kSec), 850);  // 275 W x 2 s + 300 W x 1 s

  o.url = "http://127.0.0.1:" + std::to_string(port) + "/missing";
  EXPECT_FALSE(make_external_meter(o, &notes));
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes.back().reason.find("returned HTTP 404"), std::string::npos)
      << notes.back().reason;
  server.stop();
  listener.join();

  EXPECT_FALSE(make_external_meter(o, &notes));  // nothing listens any more
  EXPECT_NE(notes.back().reason.find("failed"), std::string::npos) << notes.back().reason;
}

TEST(ExternalMeter, BackgroundThreadPolls) {
  TempDir dir;
  std::string count = dir.write("count", "");
  ExternalMeterOptions o;
  o.command = "echo x >> '" + count + "'; echo 5";
  o.interval_ns = kSec / 50;
  auto s = make_external_meter(o, nullptr);
  ASSERT_TRUE(s);
  auto polls = [&] {
    std::ifstream in(count);
    return std::count(std::istreambuf_iterator<char>(in), {}, '\n');
  };
  for (int i = 0; i < 500 && polls() < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(polls(), 4);
  s.reset();  // joins the thread
}

}  // namespace
}  // namespace wattserve::energy
