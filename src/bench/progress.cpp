// Progress (progress.h).
#include "bench/progress.h"

#include <fmt/format.h>

#include <cmath>

namespace wattserve::bench {

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const auto t = static_cast<long long>(std::llround(s));
  if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, (t % 3600) / 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

Progress::Progress(std::FILE* out, bool live, bool quiet) : out_(out), live_(live), quiet_(quiet) {}

Progress::~Progress() {
  clear_live();
}

void Progress::clear_live() {
  if (line_open_) {
    std::fputs("\n", out_);
    std::fflush(out_);
    line_open_ = false;
  }
}

void Progress::start_run(std::size_t i, std::size_t n, const std::string& run_id,
                         const std::string& config, double elapsed_s) {
  i_ = i;
  n_ = n;
  if (quiet_) return;
  // ETA: the mean duration of the runs finished so far times the runs left (this one included).
  const double eta =
      done_ > 0 ? run_seconds_ / static_cast<double>(done_) * static_cast<double>(n - i + 1)
                : std::nan("");
  const std::string eta_text = done_ > 0 ? format_duration(eta) : "?";
  if (live_) {
    std::string line =
        fmt::format("\r\033[Krun {}/{} {} | {} elapsed, ETA {}{}{}", i, n, config,
                    format_duration(elapsed_s), eta_text, last_.empty() ? "" : " | last: ", last_);
    std::fputs(line.c_str(), out_);
    line_open_ = true;
  } else {
    fmt::print(out_, "wattserve bench: run {}/{} {} [{}] (elapsed {}, ETA {})\n", i, n, run_id,
               config, format_duration(elapsed_s), eta_text);
  }
  std::fflush(out_);
}

void Progress::end_run(const std::string& summary, double run_s, double elapsed_s) {
  ++done_;
  run_seconds_ += run_s;
  last_ = summary;
  if (quiet_ || live_) return;  // the live line shows it with the next run
  fmt::print(out_, "wattserve bench: run {}/{} done in {}: {} (elapsed {})\n", i_, n_,
             format_duration(run_s), summary, format_duration(elapsed_s));
  std::fflush(out_);
}

void Progress::note(const std::string& text) {
  if (quiet_) return;
  clear_live();
  fmt::print(out_, "wattserve bench: {}\n", text);
  std::fflush(out_);
}

void Progress::status(const std::string& text) {
  if (quiet_) return;
  if (!live_) {
    note(text);
    return;
  }
  fmt::print(out_, "\r\033[Kwattserve bench: {}", text);
  line_open_ = true;
  std::fflush(out_);
}

}  // namespace wattserve::bench
