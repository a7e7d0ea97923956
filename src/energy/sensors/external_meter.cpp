#include "energy/sensors/external_meter.h"

#include <fcntl.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

extern char** environ;

namespace wattserve::energy {
namespace {

constexpr size_t kMaxOutput = 64 * 1024;

// The first number in s at or after `from` ("-", "." and digits start one; a leading "+" is
// skipped).
std::optional<double> first_number(std::string_view s, size_t from = 0) {
  for (size_t i = from; i < s.size(); ++i) {
    auto at = [&](size_t j) { return j < s.size() ? s[j] : '\0'; };
    auto digit = [&](size_t j) { return std::isdigit(static_cast<unsigned char>(at(j))) != 0; };
    bool starts = digit(i) || ((s[i] == '-' || s[i] == '.') && digit(i + 1)) ||
                  (s[i] == '-' && at(i + 1) == '.' && digit(i + 2));
    if (!starts) continue;
    double v = 0;
    auto [end, ec] = std::from_chars(s.data() + i, s.data() + s.size(), v);
    if (ec == std::errc()) return v;
  }
  return std::nullopt;
}

std::optional<double> json_number(const nlohmann::json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return first_number(v.get<std::string>());
  return std::nullopt;
}

std::string first_line(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  s = s.substr(b, std::min<size_t>(200, s.find_first_of("\r\n", b) - b));
  return std::string(s);
}

struct CommandResult {
  std::string out, err;
  int status = 0;
  bool timed_out = false;
};

// Runs /bin/sh -c command in a process group of its own, capturing stdout and stderr; kills the
// group when it runs past timeout. Returns false when the command could not be started or its
// exit status could not be collected (waitpid failed: e.g. ECHILD when this process inherited
// SIGCHLD set to SIG_IGN, which makes the kernel reap children itself); the output of a command
// whose status is unknown is not trusted.
bool run_command(const std::string& command, int64_t timeout_ns, CommandResult* r,
                 std::string* error) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    close(out_pipe[0]);
    close(out_pipe[1]);
    return false;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string sh = "sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    *error = std::string("cannot start /bin/sh: ") + std::strerror(rc);
    return false;
  }

  using Steady = std::chrono::steady_clock;
  const auto deadline = Steady::now() + std::chrono::nanoseconds(timeout_ns);
  auto left_ms = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
    return static_cast<int>(std::clamp<int64_t>(left.count() + 1, 0, 60'000));
  };
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* bufs[2] = {&r->out, &r->err};
  int open_fds = 2;
  while (open_fds > 0 && Steady::now() < deadline) {
    int n = poll(fds, 2, left_ms());
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2 && n > 0; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        size_t room = kMaxOutput - std::min(kMaxOutput, bufs[i]->size());
        bufs[i]->append(buf, std::min(room, static_cast<size_t>(got)));
      } else if (got == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  int status = 0;
  int wait_err = 0;
  while (true) {  // the pipes are closed; wait for the exit, up to the deadline
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      wait_err = errno;
      break;
    }
    if (Steady::now() >= deadline) {
      kill(-pid, SIGKILL);
      r->timed_out = true;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    usleep(1000);
  }
  if (wait_err != 0) {
    *error = "cannot collect the exit status of /bin/sh (pid " + std::to_string(pid) +
             "): waitpid: " + std::strerror(wait_err) +
             (wait_err == ECHILD ? " (is SIGCHLD ignored? wattserve must not be started with "
                                   "SIGCHLD set to SIG_IGN)"
                                 : "");
    return false;
  }
  r->status = status;
  return true;
}

}  // namespace

std::optional<double> parse_watts(std::string_view text, const std::string& json_field,
                                  std::string* error) {
  auto fail = [&](std::string why) -> std::optional<double> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  auto finish = [&](std::optional<double> w) -> std::optional<double> {
    if (!w) return fail("no number of watts in \"" + first_line(text) + "\"");
    if (!std::isfinite(*w) || *w < 0) return fail("not a power in watts: " + std::to_string(*w));
    return w;
  };
  size_t b = text.find_first_not_of(" \t\r\n");
  bool looks_json = b != std::string_view::npos && (text[b] == '{' || text[b] == '[');
  if (!json_field.empty() || looks_json) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      if (!json_field.empty()) return fail("not JSON: \"" + first_line(text) + "\"");
    } else if (!json_field.empty()) {
      const nlohmann::json* v = &j;
      for (size_t pos = 0; pos <= json_field.size();) {  // "a.b.c": nested objects
        size_t dot = std::min(json_field.find('.', pos), json_field.size());
        std::string key = json_field.substr(pos, dot - pos);
        if (!v->is_object() || !v->contains(key)) return fail("JSON has no field " + json_field);
        v = &(*v)[key];
        pos = dot + 1;
      }
      auto w = json_number(*v);
      if (!w) return fail("JSON field " + json_field + " is not a number");
      return finish(w);
    } else {
      for (const char* key : {"watts", "power", "power_w"}) {
        if (j.is_object() && j.contains(key)) {
          auto w = json_number(j[key]);
          if (!w) return fail(std::string("JSON field ") + key + " is not a number");
          return finish(w);
        }
      }
      return fail("JSON has none of the fields watts, power, power_w (set json_field)");
    }
  }
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  size_t at = lower.find("reading:");
  return finish(first_number(text, at == std::string::npos ? 0 : at + 8));
}

ExternalMeter::ExternalMeter(ExternalMeterOptions opts) : opts_(std::move(opts)) {
  if (opts_.command.empty() == opts_.url.empty()) {
    throw SensorError("external meter: give exactly one of a command and a URL");
  }
  if (opts_.interval_ns <= 0) throw SensorError("external meter: the interval must be > 0");
  if (!opts_.url.empty() && opts_.url.rfind("http://", 0) != 0) {
    throw SensorError(opts_.url.rfind("https://", 0) == 0
                          ? "external meter: https is not supported (" + opts_.url +
                                "); use plain http:// or a command such as curl -s URL"
                          : "external meter: the URL must start with http:// (" + opts_.url + ")");
  }
  if (opts_.label.empty()) opts_.label = "external";
  if (!opts_.clock) opts_.clock = system_clock();
  Domain d;
  d.id = "external:" + opts_.label;
  d.kind = DomainKind::kSystem;
  d.source = Source::kPower;
  d.label = "External meter " + opts_.label + " (" +
            (opts_.command.empty() ? opts_.url : "command: " + opts_.command) + ")";
  domains_.push_back(std::move(d));
  std::string error;
  if (!poll_once(&error)) throw SensorError(error);
  if (opts_.start_thread) thread_ = std::thread([this] { run(); });
}

ExternalMeter::~ExternalMeter() {
  {
    std::lock_guard lock(run_mu_);
    stopping_ = true;
  }
  run_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ExternalMeter::run() {
  using Steady = std::chrono::steady_clock;
  const auto period = std::chrono::nanoseconds(opts_.interval_ns);
  auto next = Steady::now() + period;
  std::unique_lock lock(run_mu_);
  while (!run_cv_.wait_until(lock, next, [this] { return stopping_; })) {
    lock.unlock();
    poll_once();
    lock.lock();
    next += period;
    if (next < Steady::now()) next = Steady::now() + period;  // overran: do not catch up
  }
}

std::optional<double> ExternalMeter::fetch(std::string* error) const {
  const int64_t timeout_ns = 3 * opts_.interval_ns;
  std::string body;
  if (!opts_.command.empty()) {
    CommandResult r;
    std::string why;
    if (!run_command(opts_.command, timeout_ns, &r, &why)) {
      *error = "external meter: " + why;
      return std::nullopt;
    }
    std::string what = "external meter: command `" + opts_.command + "`";
    if (r.timed_out) {
      *error = what + " timed out after " + std::to_string(ns_to_s(timeout_ns)) + " s; killed";
      return std::nullopt;
    }
    if (WIFSIGNALED(r.status)) {
      *error = what + " was killed by signal " + std::to_string(WTERMSIG(r.status));
      return std::nullopt;
    }
    if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
      std::string msg = first_line(r.err);
      *error = what + " exited with status " + std::to_string(WEXITSTATUS(r.status)) +
               (msg.empty() ? "" : ": " + msg);
      return std::nullopt;
    }
    body = std::move(r.out);
  } else {
    std::string rest = opts_.url.substr(7);  // after http://
    size_t slash = rest.find('/');
    std::string hostport = rest.substr(0, slash);
    std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
    std::string host = hostport;
    int port = 80;
    if (size_t colon = hostport.rfind(':'); colon != std::string::npos) {
      host = hostport.substr(0, colon);
      auto [p, ec] =
          std::from_chars(hostport.data() + colon + 1, hostport.data() + hostport.size(), port);
      if (ec != std::errc() || p != hostport.data() + hostport.size() || port <= 0) {
        *error = "external meter: bad port in " + opts_.url;
        return std::nullopt;
      }
    }
    httplib::Client client(host, port);
    const auto timeout = std::chrono::nanoseconds(timeout_ns);
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
    httplib::Result res = client.Get(path);
    if (!res) {
      *error = "external meter: GET " + opts_.url + " failed: " + httplib::to_string(res.error());
      return std::nullopt;
    }
    if (res->status != 200) {
      *error = "external meter: GET " + opts_.url + " returned HTTP " + std::to_string(res->status);
      return std::nullopt;
    }
    body = std::move(res->body);
  }
  std::string why;
  auto w = parse_watts(body, opts_.json_field, &why);
  if (!w) *error = "external meter: " + why;
  return w;
}

// Integration: between two good polls (t0, w0) and (t1, w1) the energy is (w0 + w1) / 2 *
// (t1 - t0); after the last poll its reading is held: + w * (now - t_last). read() never
// returns less than before (when the next poll's trapezoid is below the held extrapolation, the
// figure holds until it catches up). A failed poll makes read() fail until the next good poll,
// and the time from the last good poll to the next good one is not integrated (only what read()
// had already reported by extrapolation stays).
bool ExternalMeter::poll_once(std::string* error) {
  std::string why;
  std::optional<double> w = fetch(&why);
  int64_t t = opts_.clock->now_ns();
  std::lock_guard lock(mu_);
  if (!w) {
    have_reading_ = false;
    last_error_ = why;
    if (error) *error = why;
    return false;
  }
  if (!have_reading_) {
    polled_joules_ = reported_;  // after a failure (or at the start): the gap is not counted
  } else if (t > last_poll_ns_) {
    polled_joules_ += 0.5 * (*w + last_watts_) * ns_to_s(t - last_poll_ns_);
  }
  last_poll_ns_ = have_reading_ ? std::max(last_poll_ns_, t) : t;
  have_reading_ = true;
  last_watts_ = *w;
  last_error_.clear();
  return true;
}

bool ExternalMeter::read(int64_t now_ns, std::span<double> out, std::string* error) {
  std::lock_guard lock(mu_);
  if (!have_reading_) {
    if (error) *error = last_error_;
    return false;
  }
  double held = last_watts_ * ns_to_s(std::max<int64_t>(0, now_ns - last_poll_ns_));
  reported_ = std::max(reported_, polled_joules_ + held);
  if (!out.empty()) out[0] = reported_;
  return true;
}

void ExternalMeter::last_power(std::span<double> out) const {
  std::lock_guard lock(mu_);
  if (!out.empty()) out[0] = have_reading_ ? last_watts_ : std::numeric_limits<double>::quiet_NaN();
}

std::unique_ptr<Sensor> make_external_meter(const ExternalMeterOptions& opts,
                                            std::vector<SensorNote>* notes) {
  try {
    return std::make_unique<ExternalMeter>(opts);
  } catch (const SensorError& e) {
    if (notes) {
      notes->push_back(
          SensorNote{"external", e.what(), "the command or URL must return a number of watts"});
    }
    return nullptr;
  }
}

}  // namespace wattserve::energy
