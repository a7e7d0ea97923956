#include "cli/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <system_error>

namespace wattserve::cli {

namespace {

std::atomic<pid_t> g_child{-1};
std::atomic<int> g_pending{0};  // a signal that arrived before the child existed
constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

extern "C" void forward_signal(int sig, siginfo_t* info, void*) {
  // A terminal's Ctrl-C / Ctrl-\ / hangup goes to the whole foreground process group, child
  // included (si_code SI_KERNEL): passing it on would deliver it twice.
  if (info && info->si_code == SI_KERNEL) return;
  const int saved = errno;
  const pid_t p = g_child.load();
  if (p > 0) {
    kill(p, sig);
  } else {
    g_pending.store(sig);
  }
  errno = saved;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) throw std::system_error(EINVAL, std::generic_category(), "no command given");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Forward signals from before the fork on, so none is lost between fork and wait(). The
  // child starts with default handlers: exec resets caught signals.
  g_pending.store(0);
  struct ::sigaction sa {};
  sa.sa_sigaction = forward_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART | SA_SIGINFO;
  for (size_t i = 0; i < std::size(kForwarded); ++i) sigaction(kForwarded[i], &sa, &old_[i]);
  handlers_installed_ = true;
  // The child reports an exec failure's errno through a close-on-exec pipe.
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    const int e = errno;
    restore_handlers();
    throw std::system_error(e, std::generic_category(), "pipe");
  }
  pid_ = fork();
  if (pid_ < 0) {
    const int e = errno;
    close(fds[0]);
    close(fds[1]);
    restore_handlers();
    throw std::system_error(e, std::generic_category(), "fork");
  }
  if (pid_ == 0) {
    close(fds[0]);
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
    restore_handlers();
    throw std::system_error(child_errno, std::generic_category(), "cannot run '" + argv[0] + "'");
  }
  g_child.store(pid_);
  if (const int sig = g_pending.exchange(0); sig != 0) kill(pid_, sig);
}

void ChildProcess::restore_handlers() {
  if (!handlers_installed_) return;
  g_child.store(-1);
  for (size_t i = 0; i < std::size(kForwarded); ++i) sigaction(kForwarded[i], &old_[i], nullptr);
  handlers_installed_ = false;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !reaped_) {
    g_child.store(-1);
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  restore_handlers();
}

ChildExit ChildProcess::wait() {
  // Wait without reaping first, so that the pid is never signalled after it could be reused.
  siginfo_t si{};
  while (waitid(P_PID, static_cast<id_t>(pid_), &si, WEXITED | WNOWAIT) < 0) {
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitid");
  }
  g_child.store(-1);
  int status = 0;
  rusage ru{};
  while (wait4(pid_, &status, 0, &ru) < 0) {
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "wait4");
  }
  reaped_ = true;
  restore_handlers();
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
