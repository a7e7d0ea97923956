// A server under test as a child process in its own process group, its readiness poll, and a
// free local port (server_process.h).
#include "bench/load/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>

extern char** environ;

namespace wattserve::bench::load {

namespace {

[[noreturn]] void throw_errno(int e, const std::string& what) {
  throw std::system_error(e, std::generic_category(), what);
}

// A file descriptor closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// open() with O_CLOEXEC, moved above 0..2 so that the child's dup2 onto 0..2 always makes a
// descriptor that survives exec (dup2(fd, fd) would keep FD_CLOEXEC).
int open_high(const char* path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = open(path, flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0 || fd > 2) return fd;
  const int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  const int e = errno;
  close(fd);
  errno = e;
  return high;
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended with wait status " + std::to_string(status);
}

using Steady = std::chrono::steady_clock;

std::string trim_right(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.pop_back();
  }
  return s;
}

// Whether process group `pgid` has a member that is not a zombie, from /proc/<pid>/stat
// ("pid (comm) state ppid pgrp ..."). True when /proc cannot be read.
bool has_live_member(pid_t pgid) {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc", ec);
  if (ec) return true;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;  // gone meanwhile
    const auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream fields(stat.substr(close_paren + 1));
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (!(fields >> state >> ppid >> pgrp)) continue;
    if (pgrp == pgid && state != 'Z' && state != 'X') return true;
  }
  return false;
}

}  // namespace

ServerProcess::ServerProcess(ServerProcessOptions opts) : opts_(std::move(opts)) {
  if (opts_.argv.empty()) throw_errno(EINVAL, "no server command given");

  // Everything the child needs is prepared here: between fork and exec only async-signal-safe
  // calls are allowed (wattserve has threads).
  std::vector<char*> args;
  for (auto& a : opts_.argv) args.push_back(a.data());
  args.push_back(nullptr);

  std::map<std::string, std::string> overrides;
  for (const auto& [name, value] : opts_.env) {
    if (name.empty() || name.find('=') != std::string::npos) {
      throw_errno(EINVAL, "bad environment variable name '" + name + "'");
    }
    overrides[name] = value;
  }
  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (!overrides.contains(std::string(entry.substr(0, entry.find('='))))) {
      env_strings.emplace_back(entry);
    }
  }
  for (const auto& [name, value] : overrides) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  Fd devnull(open_high("/dev/null", O_RDWR));
  if (devnull.get() < 0) throw_errno(errno, "cannot open /dev/null");
  Fd log;
  if (!opts_.log_path.empty()) {
    log.reset(open_high(opts_.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644));
    if (log.get() < 0) throw_errno(errno, "cannot open the log file '" + opts_.log_path + "'");
  }
  const int out_fd = log.get() >= 0 ? log.get() : devnull.get();

  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigset_t no_signals;
  sigemptyset(&no_signals);

  // The child reports an exec failure's errno through a close-on-exec pipe.
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw_errno(errno, "pipe");
  Fd err_read(fds[0]);
  Fd err_write(fds[1]);

  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw_errno(errno, "fork");
  if (pid_ == 0) {
    setpgid(0, 0);
    // In its own group the server gets no Ctrl-C from the terminal: if wattserve dies (even by
    // SIGKILL) the server gets SIGTERM instead of living on as an orphan.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);  // wattserve died before prctl took effect
    // A server gets a clean slate: wattserve blocks and ignores signals (SIGPIPE, the ones
    // `wattserve measure` forwards) that must reach it.
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);
    }
    sigprocmask(SIG_SETMASK, &no_signals, nullptr);
    int e = 0;
    if (dup2(devnull.get(), STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
        dup2(out_fd, STDERR_FILENO) < 0) {
      e = errno;
    } else {
#ifdef CLOSE_RANGE_CLOEXEC
      // No descriptor of wattserve's (sockets, meter files) leaks into the server.
      close_range(3, UINT_MAX, CLOSE_RANGE_CLOEXEC);
#endif
      execvpe(args[0], args.data(), envp.data());
      e = errno;
    }
    ssize_t ignored = write(err_write.get(), &e, sizeof e);
    (void)ignored;
    _exit(127);
  }
  // Also here, so the group exists before the constructor returns, whoever runs first.
  setpgid(pid_, pid_);
  err_write.reset();
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(err_read.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    throw_errno(child_errno, "cannot run '" + opts_.argv[0] + "'");
  }
}

ServerProcess::~ServerProcess() {
  try {
    stop(5);
  } catch (...) {  // a destructor must not throw
  }
}

ServerProcess::ServerProcess(ServerProcess&& other) noexcept
    : opts_(std::move(other.opts_)),
      pid_(std::exchange(other.pid_, -1)),
      reaped_(other.reaped_),
      stopped_(other.stopped_),
      status_(other.status_),
      how_(std::move(other.how_)) {}

ServerProcess& ServerProcess::operator=(ServerProcess&& other) noexcept {
  if (this != &other) {
    try {
      stop(5);
    } catch (...) {  // noexcept
    }
    opts_ = std::move(other.opts_);
    pid_ = std::exchange(other.pid_, -1);
    reaped_ = other.reaped_;
    stopped_ = other.stopped_;
    status_ = other.status_;
    how_ = std::move(other.how_);
  }
  return *this;
}

void ServerProcess::reap_nohang() {
  if (pid_ <= 0 || reaped_) return;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    reaped_ = true;
    status_ = status;
    how_ = describe(status);
  }
}

bool ServerProcess::group_alive() const {
  // The group id is the server's pid; the kernel does not reuse it while the group has members.
  if (pid_ <= 0 || killpg(pid_, 0) != 0) return false;
  // Members left: alive unless all are zombies (orphans that init has not reaped yet, or never
  // will in a container whose pid 1 does not reap): they hold no memory and use no energy.
  return has_live_member(pid_);
}

bool ServerProcess::running() {
  reap_nohang();
  return pid_ > 0 && !reaped_;
}

std::string ServerProcess::how() {
  reap_nohang();
  if (pid_ > 0 && !reaped_) return "running";
  return how_;
}

std::string ServerProcess::stop(double grace_s) {
  if (stopped_ || pid_ <= 0) return how_;
  const auto tick = std::chrono::milliseconds(5);
  reap_nohang();
  if (!reaped_ || group_alive()) {
    killpg(pid_, SIGTERM);
    const auto deadline = Steady::now() + std::chrono::duration<double>(std::max(0.0, grace_s));
    for (;;) {
      reap_nohang();
      if ((reaped_ && !group_alive()) || Steady::now() >= deadline) break;
      std::this_thread::sleep_for(tick);
    }
  }
  if (!reaped_ || group_alive()) {
    killpg(pid_, SIGKILL);
    if (!reaped_) {
      int status = 0;
      pid_t r;
      do {
        r = waitpid(pid_, &status, 0);
      } while (r < 0 && errno == EINTR);
      reaped_ = true;
      status_ = status;
      how_ = r == pid_ ? describe(status) : "lost (waitpid failed)";
    }
    // The rest of the group are orphans now; init reaps them. Wait a little, not forever (an
    // init that never reaps would leave zombies in the group).
    const auto deadline = Steady::now() + std::chrono::seconds(1);
    while (group_alive() && Steady::now() < deadline) std::this_thread::sleep_for(tick);
  }
  stopped_ = true;
  return how_;
}

std::string ServerProcess::log_tail(std::size_t bytes) const {
  if (opts_.log_path.empty() || bytes == 0) return "";
  Fd fd(open_high(opts_.log_path.c_str(), O_RDONLY));
  if (fd.get() < 0) return "";
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return "";
  const auto size = static_cast<std::size_t>(std::max<off_t>(st.st_size, 0));
  const std::size_t start = size > bytes ? size - bytes : 0;
  std::string out(size - start, '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n =
        pread(fd.get(), out.data() + got, out.size() - got, static_cast<off_t>(start + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

void wait_ready(ServerProcess& server, const std::string& url, const std::string& path,
                double timeout_s, energy::Clock& clock) {
  auto tail = [&server] {
    if (server.options().log_path.empty()) return std::string("(its output went to /dev/null)");
    std::string t = trim_right(server.log_tail());
    return t.empty() ? std::string("(nothing in its log)") : t;
  };
  httplib::Client client(url);
  if (!client.is_valid()) throw std::runtime_error("not a server URL: '" + url + "'");
  client.set_keep_alive(false);
  const int64_t start = clock.now_ns();
  const int64_t deadline = start + static_cast<int64_t>(std::max(0.0, timeout_s) * 1e9);
  for (;;) {
    if (!server.running()) {
      throw std::runtime_error("the server exited before it was ready (" + server.how() +
                               "): " + tail());
    }
    // Each try is bounded in real time too: a server that accepts and never answers must not
    // hold the poll beyond its deadline by much.
    const double left = std::clamp(energy::ns_to_s(deadline - clock.now_ns()), 0.1, 2.0);
    const auto limit =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::duration<double>(left));
    client.set_connection_timeout(limit);
    client.set_read_timeout(limit);
    client.set_write_timeout(limit);
    const auto res = client.Get(path);
    if (res && res->status == 200) return;
    if (clock.now_ns() >= deadline) {
      if (!server.running()) {
        throw std::runtime_error("the server exited before it was ready (" + server.how() +
                                 "): " + tail());
      }
      const std::string last =
          res ? "HTTP " + std::to_string(res->status) : httplib::to_string(res.error());
      throw std::runtime_error(
          fmt::format("the server at {}{} was not ready after {:g} s (last "
                      "answer: {}): {}",
                      url, path, timeout_s, last, tail()));
    }
    clock.sleep_for(50'000'000);
  }
}

void wait_ready(ServerProcess& server, const std::string& url, const std::string& path,
                double timeout_s) {
  wait_ready(server, url, path, timeout_s, *energy::system_clock());
}

int free_port() {
  Fd sock(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (sock.get() < 0) throw_errno(errno, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw_errno(errno, "bind 127.0.0.1:0");
  }
  socklen_t len = sizeof addr;
  if (getsockname(sock.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw_errno(errno, "getsockname");
  }
  return ntohs(addr.sin_port);
}

}  // namespace wattserve::bench::load
