// Runs a command as a child process for `wattserve measure`: spawns it with the caller's
// environment and stdio, forwards termination signals to it, and reports how it ended
// (exit code as a shell would give it) and the CPU time it and its reaped children used.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace wattserve::cli {

struct ChildExit {
  int exit_code = 0;       // the command's code; 128 + N when killed by signal N (as shells do)
  int term_signal = 0;     // N when killed by a signal, else 0
  double cpu_seconds = 0;  // user + system time of the child and its waited-for descendants
};

class ChildProcess {
 public:
  // Starts argv[0] (searched in PATH). Throws std::system_error when it cannot be started;
  // its code() is ENOENT when the command does not exist, EACCES when it is not executable.
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Blocks until the child exits. From construction until then, SIGINT, SIGTERM, SIGHUP and
  // SIGQUIT sent to wattserve are passed on to the child (not those a terminal already sent to
  // the whole process group); the caller carries on to write its results afterwards.
  ChildExit wait();

 private:
  void restore_handlers();

  pid_t pid_ = -1;
  bool reaped_ = false;
  bool handlers_installed_ = false;
  struct ::sigaction old_[4]{};
};

}  // namespace wattserve::cli
