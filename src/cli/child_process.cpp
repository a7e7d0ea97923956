#include "cli/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <system_error>

namespace wattserve::cli {

namespace {

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

sigset_t g_original_mask;  // the mask before block_forwarded_signals(); the child gets it back
bool g_blocked = false;

sigset_t waited_set() {
  sigset_t s;
  sigemptyset(&s);
  for (int sig : kForwarded) sigaddset(&s, sig);
  sigaddset(&s, SIGCHLD);
  return s;
}

timespec to_timespec(double seconds) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(seconds);
  ts.tv_nsec = static_cast<long>((seconds - static_cast<double>(ts.tv_sec)) * 1e9);
  return ts;
}

}  // namespace

void block_forwarded_signals() {
  if (g_blocked) return;
  const sigset_t s = waited_set();
  pthread_sigmask(SIG_BLOCK, &s, &g_original_mask);
  g_blocked = true;
}

int wait_for_termination_signal(double seconds) {
  block_forwarded_signals();
  sigset_t s = waited_set();
  sigdelset(&s, SIGCHLD);
  using Clock = std::chrono::steady_clock;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    const double left = std::chrono::duration<double>(end - Clock::now()).count();
    if (left <= 0) return 0;
    const timespec ts = to_timespec(left);
    const int sig = sigtimedwait(&s, nullptr, &ts);
    if (sig > 0) return sig;
    if (errno != EINTR && errno != EAGAIN) return 0;
  }
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) throw std::system_error(EINVAL, std::generic_category(), "no command given");
  block_forwarded_signals();
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The child reports an exec failure's errno through a close-on-exec pipe.
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  pid_ = fork();
  if (pid_ < 0) {
    const int e = errno;
    close(fds[0]);
    close(fds[1]);
    throw std::system_error(e, std::generic_category(), "fork");
  }
  if (pid_ == 0) {
    close(fds[0]);
    pthread_sigmask(SIG_SETMASK, &g_original_mask, nullptr);
    execvp(args[0], args.data());
    const int e = errno;
    ssize_t ignored = write(fds[1], &e, sizeof e);
    (void)ignored;
    _exit(127);
  }
  close(fds[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(fds[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(fds[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    waitpid(pid_, nullptr, 0);
    reaped_ = true;
    throw std::system_error(child_errno, std::generic_category(), "cannot run '" + argv[0] + "'");
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

ChildExit ChildProcess::wait() {
  const sigset_t s = waited_set();
  const timespec poll = to_timespec(1.0);  // a safety net; SIGCHLD normally wakes us at once
  for (;;) {
    // Check without reaping, so the pid is never signalled after it could be reused.
    siginfo_t si{};
    if (waitid(P_PID, static_cast<id_t>(pid_), &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "waitid");
    }
    if (si.si_pid == pid_) break;
    siginfo_t info{};
    const int sig = sigtimedwait(&s, &info, &poll);
    if (sig > 0 && sig != SIGCHLD && info.si_code != SI_KERNEL) kill(pid_, sig);
  }
  int status = 0;
  rusage ru{};
  while (wait4(pid_, &status, 0, &ru) < 0) {
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "wait4");
  }
  reaped_ = true;
  ChildExit out;
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
  };
  out.cpu_seconds = secs(ru.ru_utime) + secs(ru.ru_stime);
  if (WIFEXITED(status)) {
    out.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    out.term_signal = WTERMSIG(status);
    out.exit_code = 128 + out.term_signal;
  }
  return out;
}

}  // namespace wattserve::cli
