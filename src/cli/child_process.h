// Runs a command as a child process for `wattserve measure`: spawns it with the caller's
// environment and stdio, passes termination signals on to it, and reports how it ended
// (exit code as a shell would give it) and the CPU time it and its reaped children used.
//
// Signals are handled synchronously: block_forwarded_signals() blocks SIGINT, SIGTERM,
// SIGHUP, SIGQUIT and SIGCHLD before any thread starts, and ChildProcess::wait() takes them
// with sigtimedwait, so no handler runs in signal context and none is lost or delayed.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace wattserve::cli {

// Call before starting any thread (threads inherit the mask). Idempotent.
void block_forwarded_signals();

// Waits up to `seconds` for one of the blocked termination signals (SIGCHLD is skipped);
// returns it, or 0 when the time ran out. For waits before the child exists (idle baseline).
int wait_for_termination_signal(double seconds);

struct ChildExit {
  int exit_code = 0;       // the command's code; 128 + N when killed by signal N (as shells do)
  int term_signal = 0;     // N when killed by a signal, else 0
  double cpu_seconds = 0;  // user + system time of the child and its waited-for descendants
};

class ChildProcess {
 public:
  // Starts argv[0] (searched in PATH) with the signal mask wattserve had before blocking.
  // Throws std::system_error when it cannot be started; its code() is ENOENT when the command
  // does not exist, EACCES when it is not executable.
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Blocks until the child exits. SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to wattserve
  // (also before this call) are passed on to the child, except those a terminal sent to the
  // whole foreground process group, which the child got already.
  ChildExit wait();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

}  // namespace wattserve::cli
