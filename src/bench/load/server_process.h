// A server under test as a child process: `wattserve bench` starts `wattserve serve` or any
// OpenAI-compatible server command (llama-server, ...) in its own process group, waits until it
// answers HTTP, runs load against it and stops the whole process tree (SIGTERM, then SIGKILL
// after a grace period). Also: a free local port to give the server, and the readiness poll.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "energy/core/clock.h"

namespace wattserve::bench::load {

struct ServerProcessOptions {
  std::vector<std::string> argv{};  // argv[0] is searched in PATH (wattserve's, not env's)
  std::string log_path{};           // stdout and stderr are appended here ("" -> /dev/null)
  std::vector<std::pair<std::string, std::string>> env{};  // variables added or overridden
};

// Not thread-safe: one thread calls running(), stop() and the destructor.
class ServerProcess {
 public:
  // Starts argv[0] in its own process group (setpgid), stdin from /dev/null, stdout and stderr
  // appended to log_path, with wattserve's environment plus `env`, no signal blocked and every
  // signal at its default action. Throws std::system_error when it cannot be started: code()
  // ENOENT when the command does not exist, EACCES when it is not executable, EINVAL when argv
  // is empty, or the open() error of the log file.
  explicit ServerProcess(ServerProcessOptions opts);
  ~ServerProcess();  // stop(5); never throws
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ServerProcess(ServerProcess&& other) noexcept;
  ServerProcess& operator=(ServerProcess&& other) noexcept;  // stops this one's server first

  // Also the process group id.
  pid_t pid() const { return pid_; }
  const ServerProcessOptions& options() const { return opts_; }

  // Non-blocking: true while the server process (the group leader) runs; false once it has
  // exited, reaping it (the exit status is kept for stop() and how()).
  bool running();
  // SIGTERM to the process group, waits up to grace_s for the server and everything left in
  // its group to end, then SIGKILL to the group; reaps the server. Idempotent (later calls
  // return the first answer at once). Returns how the server ended: "exited 0",
  // "killed by signal 9", ...
  std::string stop(double grace_s = 10);
  // How the server ended ("exited 3", "killed by signal 15"); "running" while it runs.
  // Non-blocking (reaps it when it has exited).
  std::string how();

  // The last `bytes` of the log file ("" without one), for error messages.
  std::string log_tail(std::size_t bytes = 2000) const;

 private:
  void reap_nohang();
  bool group_alive() const;

  ServerProcessOptions opts_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  bool stopped_ = false;
  int status_ = 0;  // waitpid status once reaped_
  std::string how_;
};

// Polls GET url + path every 50 ms (of `clock`) until it answers 200. Throws
// std::runtime_error "the server exited before it was ready (<how>): <log tail>" when the
// process exits first, and "... not ready after N s: <log tail>" when timeout_s passes. `url` is
// "http://127.0.0.1:PORT".
void wait_ready(ServerProcess& server, const std::string& url, const std::string& path,
                double timeout_s, energy::Clock& clock);
// The same on the system clock.
void wait_ready(ServerProcess& server, const std::string& url, const std::string& path,
                double timeout_s);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, closed).
int free_port();

}  // namespace wattserve::bench::load
