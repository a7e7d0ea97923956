// Progress of a bench sweep. On a terminal: one live line, rewritten in place, with the run
// number, its configuration, elapsed time, the ETA and the last run's joules and throughput.
// Elsewhere (a log file, CI, Slurm): one plain line per event, so logs stay readable.
#pragma once

#include <cstdio>
#include <string>

namespace wattserve::bench {

class Progress {
 public:
  // `live`: rewrite one line in place (stderr is a terminal); `quiet`: print nothing but errors.
  Progress(std::FILE* out, bool live, bool quiet);
  ~Progress();

  // A run starts: its position among the runs this invocation executes (1-based) and how many
  // that is, the run's id and configuration text, and the elapsed seconds so far.
  void start_run(std::size_t i, std::size_t n, const std::string& run_id, const std::string& config,
                 double elapsed_s);
  // The run ended: its summary ("12.3 J, 45.6 tokens/s" or "failed: why").
  void end_run(const std::string& summary, double run_s, double elapsed_s);
  // Anything else worth a line (idle baseline, cool-down, warnings); ends a live line first.
  void note(const std::string& text);
  // A line that replaces the previous one (a countdown): rewritten in place on a terminal, a
  // note elsewhere.
  void status(const std::string& text);
  bool live() const { return live_ && !quiet_; }

 private:
  void clear_live();
  std::FILE* out_;
  bool live_, quiet_;
  bool line_open_ = false;
  std::size_t i_ = 0, n_ = 0;
  std::size_t done_ = 0;
  double run_seconds_ = 0;  // sum of finished runs' durations, for the ETA
  std::string last_;
};

// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

}  // namespace wattserve::bench
