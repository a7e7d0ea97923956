// The server child process of `wattserve bench` serving targets
// (src/bench/load/server_process.h): stop() ends a server by SIGTERM, or by SIGKILL to its whole
// process group after the grace period; start errors carry ENOENT/EACCES; the log file gets the
// output and the environment overrides; wait_ready() sees a real HTTP server come up, a server
// that exits early, and a timeout; free_port() gives a bindable port.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include "bench/load/server_process.h"

namespace wattserve::bench::load {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Steady = std::chrono::steady_clock;

// A fresh, empty log path for one test.
std::string log_path(const std::string& name) {
  const fs::path p = fs::temp_directory_path() /
                     ("wattserve_load_" + name + "_" + std::to_string(getpid()) + ".log");
  fs::remove(p);
  return p.string();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

double seconds_since(Steady::time_point t) {
  return std::chrono::duration<double>(Steady::now() - t).count();
}

// Waits (up to 10 s) until `path` holds `text`: the child writes it asynchronously.
bool wait_for_text(const std::string& path, const std::string& text) {
  const auto end = Steady::now() + std::chrono::seconds(10);
  while (Steady::now() < end) {
    if (read_file(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Whether `pid` ends within 5 s (a zombie counts as ended: only init can reap an orphan).
bool gone_soon(pid_t pid) {
  const auto end = Steady::now() + std::chrono::seconds(5);
  for (;;) {
    if (kill(pid, 0) != 0) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_s, comm, state;
    if (stat >> pid_s >> comm >> state && state == "Z") return true;
    if (Steady::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// The pid after "child=" in the log once it is there; -1 after 10 s.
pid_t child_from_log(const std::string& log) {
  if (!wait_for_text(log, "\n")) return -1;
  const std::string out = read_file(log);
  const auto at = out.find("child=");
  return at == std::string::npos ? -1 : std::stoi(out.substr(at + 6));
}

TEST(LoadServerProcess, StopEndsItBySigterm) {
  ServerProcess p({.argv = {"sh", "-c", "exec sleep 30"}});
  ASSERT_GT(p.pid(), 0);
  EXPECT_EQ(getpgid(p.pid()), p.pid());  // its own process group
  EXPECT_TRUE(p.running());
  EXPECT_EQ(p.how(), "running");
  const auto t = Steady::now();
  EXPECT_EQ(p.stop(10), "killed by signal 15");
  EXPECT_LT(seconds_since(t), 5);
  EXPECT_FALSE(p.running());
  EXPECT_EQ(p.stop(10), "killed by signal 15");  // idempotent
  EXPECT_EQ(p.how(), "killed by signal 15");
  EXPECT_NE(kill(p.pid(), 0), 0);  // reaped: no such process (no zombie)
}

TEST(LoadServerProcess, IgnoredSigtermGetsTheGroupKilledAfterTheGrace) {
  const std::string log = log_path("trap");
  // sh ignores SIGTERM and so does its child sleep (an ignored signal stays ignored across
  // fork and exec): only SIGKILL to the whole group ends both.
  ServerProcess p(
      {.argv = {"sh", "-c", "trap '' TERM; sleep 30 & echo child=$!; wait"}, .log_path = log});
  const pid_t child = child_from_log(log);
  ASSERT_GT(child, 0) << read_file(log);
  ASSERT_EQ(getpgid(child), p.pid());

  const auto t = Steady::now();
  EXPECT_EQ(p.stop(0.5), "killed by signal 9");
  const double took = seconds_since(t);
  EXPECT_GE(took, 0.45);
  EXPECT_LT(took, 5);
  EXPECT_FALSE(p.running());
  EXPECT_TRUE(gone_soon(child)) << "the server's child " << child << " survived the group kill";
  fs::remove(log);
}

TEST(LoadServerProcess, WhatOutlivesTheServerInItsGroupIsKilledAfterTheGrace) {
  const std::string log = log_path("leftover");
  // sh ends on SIGTERM; the subshell it started ignores it (once it says so) and would live on.
  ServerProcess p(
      {.argv = {"sh", "-c", "(trap '' TERM; echo trapped; exec sleep 30) & echo child=$!; wait"},
       .log_path = log});
  ASSERT_TRUE(wait_for_text(log, "trapped")) << read_file(log);
  const pid_t child = child_from_log(log);
  ASSERT_GT(child, 0) << read_file(log);
  const auto t = Steady::now();
  EXPECT_EQ(p.stop(0.5), "killed by signal 15");
  EXPECT_GE(seconds_since(t), 0.45);
  EXPECT_TRUE(gone_soon(child)) << "the server's child " << child << " survived the group kill";
  fs::remove(log);
}

TEST(LoadServerProcess, StopAfterItExitedReportsTheExit) {
  ServerProcess p({.argv = {"sh", "-c", "exit 7"}});
  const auto end = Steady::now() + std::chrono::seconds(10);
  while (p.running() && Steady::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(p.running());
  EXPECT_EQ(p.how(), "exited 7");
  EXPECT_EQ(p.stop(), "exited 7");
}

TEST(LoadServerProcess, StartErrors) {
  try {
    ServerProcess p({.argv = {"wattserve-no-such-server-command", "--port", "1"}});
    ADD_FAILURE() << "started a missing command";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_THAT(e.what(), HasSubstr("wattserve-no-such-server-command"));
  }
  // A file that is not executable.
  const std::string script = log_path("noexec");
  std::ofstream(script) << "#!/bin/sh\nexit 0\n";
  fs::permissions(script, fs::perms::owner_read | fs::perms::owner_write);
  try {  // root too gets EACCES without any execute bit
    ServerProcess p({.argv = {script}});
    ADD_FAILURE() << "started a non-executable file";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EACCES);
  }
  fs::remove(script);
  try {
    ServerProcess p({.argv = {}});
    ADD_FAILURE() << "started nothing";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EINVAL);
  }
  try {
    ServerProcess p({.argv = {"true"}, .log_path = "/nonexistent-dir/wattserve/x.log"});
    ADD_FAILURE() << "opened a log in a missing folder";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_THAT(e.what(), HasSubstr("log file"));
  }
}

TEST(LoadServerProcess, LogGetsStdoutAndStderrAppendedAndTheEnvironment) {
  const std::string log = log_path("output");
  std::ofstream(log) << "earlier\n";
  setenv("WATTSERVE_LOAD_TEST_KEPT", "kept", 1);
  setenv("WATTSERVE_LOAD_TEST_OVERRIDDEN", "old", 1);
  {
    ServerProcess p(
        {.argv = {"sh", "-c",
                  "echo out; echo err >&2; echo \"$WATTSERVE_LOAD_TEST_KEPT "
                  "$WATTSERVE_LOAD_TEST_OVERRIDDEN $WATTSERVE_LOAD_TEST_NEW\"; "
                  "read x || echo stdin-empty"},
         .log_path = log,
         .env = {{"WATTSERVE_LOAD_TEST_OVERRIDDEN", "new"}, {"WATTSERVE_LOAD_TEST_NEW", "added"}}});
    const auto end = Steady::now() + std::chrono::seconds(10);
    while (p.running() && Steady::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(p.stop(), "exited 0");
    EXPECT_EQ(p.log_tail(12), "stdin-empty\n");
  }
  unsetenv("WATTSERVE_LOAD_TEST_KEPT");
  unsetenv("WATTSERVE_LOAD_TEST_OVERRIDDEN");
  EXPECT_EQ(read_file(log), "earlier\nout\nerr\nkept new added\nstdin-empty\n");
  fs::remove(log);
}

TEST(LoadServerProcess, SignalsBlockedHereReachTheServer) {
  // wattserve blocks SIGTERM (cli/child_process.cpp) and ignores SIGPIPE; the server must not
  // inherit either.
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old);
  const auto old_pipe = signal(SIGPIPE, SIG_IGN);
  ServerProcess p({.argv = {"sleep", "30"}});
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  signal(SIGPIPE, old_pipe);
  // sleep has no SIGTERM handler: with SIGTERM blocked or ignored it would take the SIGKILL.
  EXPECT_EQ(p.stop(5), "killed by signal 15");
}

TEST(LoadServerProcess, WaitReadyOnARealHttpServer) {
  const int port = free_port();
  const std::string log = log_path("http");
  ServerProcess p({.argv = {"/usr/bin/python3", "-m", "http.server", std::to_string(port), "--bind",
                            "127.0.0.1", "--directory", "/"},
                   .log_path = log});
  const auto t = Steady::now();
  EXPECT_NO_THROW(wait_ready(p, "http://127.0.0.1:" + std::to_string(port), "/", 30))
      << p.log_tail();
  EXPECT_LT(seconds_since(t), 30);
  EXPECT_TRUE(p.running());
  EXPECT_EQ(p.stop(5), "killed by signal 15");  // python's default SIGTERM action
  fs::remove(log);
}

TEST(LoadServerProcess, WaitReadyFailsWhenTheServerExits) {
  const std::string log = log_path("boom");
  ServerProcess p({.argv = {"sh", "-c", "echo boom; exit 3"}, .log_path = log});
  try {
    wait_ready(p, "http://127.0.0.1:" + std::to_string(free_port()), "/health", 30);
    ADD_FAILURE() << "ready without a server";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("exited before it was ready (exited 3)"));
    EXPECT_THAT(e.what(), HasSubstr("boom"));
  }
  fs::remove(log);
}

TEST(LoadServerProcess, WaitReadyTimesOut) {
  // A listening socket that never answers: each try waits at most the time left.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int silent_port = ntohs(addr.sin_port);

  ServerProcess p({.argv = {"sleep", "30"}});
  const auto t = Steady::now();
  try {
    wait_ready(p, "http://127.0.0.1:" + std::to_string(silent_port), "/", 0.3);
    ADD_FAILURE() << "ready without an answer";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("not ready after 0.3 s"));
  }
  EXPECT_LT(seconds_since(t), 3);
  close(fd);

  // Nothing listening at all: connection refused until the deadline.
  try {
    wait_ready(p, "http://127.0.0.1:" + std::to_string(free_port()), "/", 0.2);
    ADD_FAILURE() << "ready without a server";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("not ready after 0.2 s"));
  }
  EXPECT_TRUE(p.running());
}

TEST(LoadServerProcess, WaitReadyWaitsOnTheGivenClock) {
  energy::FakeClock clock;
  ServerProcess p({.argv = {"sleep", "30"}});
  std::string error;
  std::atomic<bool> finished{false};
  std::thread waiter([&] {
    try {
      wait_ready(p, "http://127.0.0.1:" + std::to_string(free_port()), "/", 10, clock);
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
    finished = true;
  });
  // 10 s of fake time in 50 ms polls, in no real time to speak of.
  const auto end = Steady::now() + std::chrono::seconds(30);
  int polls = 0;
  while (!finished && Steady::now() < end) {
    if (clock.wait_for_sleepers(1, std::chrono::milliseconds(100))) {
      clock.advance(std::chrono::milliseconds(50));
      ++polls;
    }
  }
  waiter.join();
  EXPECT_EQ(polls, 200);
  EXPECT_THAT(error, HasSubstr("not ready after 10 s"));
  EXPECT_THAT(error, HasSubstr("(its output went to /dev/null)"));
}

TEST(LoadServerProcess, DestructorStopsTheServer) {
  pid_t pid;
  {
    ServerProcess p({.argv = {"sleep", "30"}});
    pid = p.pid();
    ServerProcess moved(std::move(p));
    EXPECT_EQ(moved.pid(), pid);
    EXPECT_EQ(p.stop(), "");  // a moved-from one is empty
    EXPECT_TRUE(moved.running());
  }
  EXPECT_NE(kill(pid, 0), 0);
}

TEST(LoadServerProcess, FreePortCanBeBound) {
  const int port = free_port();
  ASSERT_GT(port, 0);
  ASSERT_LT(port, 65536);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  close(fd);
}

}  // namespace
}  // namespace wattserve::bench::load
