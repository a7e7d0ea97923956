// Timeline CSV: the meter's samples as power and energy per domain per sampling interval,
// for plotting a run. Columns (one row per domain per interval, intervals in time order):
//   time_s             seconds from the first sample to the end of the interval
//   wall_time          end of the interval, ISO 8601 UTC with milliseconds
//   domain, source     the meter domain's id and Source ("counter", "power", "estimate")
//   watts              mean power over the interval (W); empty for a zero-length interval
//   joules             energy used in the interval (J)
//   cumulative_joules  energy since the first sample (J)
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "energy/core/atomic_file.h"
#include "energy/core/meter.h"
#include "energy/core/types.h"

namespace wattserve::energy {

// The whole CSV text, header included. Samples must be in time order; `domains` is
// Meter::domains() (sample.joules[k] belongs to domains[k]). Fewer than two samples: header only.
std::string timeline_csv(const std::vector<Sample>& samples, const std::vector<Domain>& domains);

// Writes timeline_csv(...) to path atomically.
void write_timeline_csv(const std::string& path, const std::vector<Sample>& samples,
                        const std::vector<Domain>& domains);

// Streams the same CSV while a run goes on (as a Meter interval listener), so a long run's
// timeline is complete whatever the meter's bounded in-memory timeline keeps. Rows go to an
// OutputFile (atomic_file.h): a temporary file that commit() renames over a regular `path` (or
// copies into a FIFO, device or /dev/stdout), and that a stream destroyed without commit()
// removes (nothing is ever written half).
class TimelineCsvStream {
 public:
  // Throws std::runtime_error when the temporary file cannot be created (e.g. `path` is a
  // directory or its directory is missing).
  TimelineCsvStream(std::string path, std::vector<Domain> domains);
  ~TimelineCsvStream();
  TimelineCsvStream(const TimelineCsvStream&) = delete;
  TimelineCsvStream& operator=(const TimelineCsvStream&) = delete;

  // One interval [t0_ns, t1_ns] (monotonic) whose end has wall time wall_ns, with the joules
  // each domain used in it. time_s counts from the first interval's start.
  void add(int64_t t0_ns, int64_t t1_ns, int64_t wall_ns, std::span<const double> delta_joules);
  // Flushes, fsyncs and renames into place; throws std::runtime_error on failure.
  void commit();

 private:
  void flush();

  std::string path_;
  std::vector<Domain> domains_;
  std::vector<double> cumulative_;
  std::unique_ptr<OutputFile> out_;  // null once committed
  std::string pending_;              // rows not yet handed to out_
  std::string error_;                // the first write failure, reported by commit()
  int64_t origin_ns_ = -1;
};

}  // namespace wattserve::energy
