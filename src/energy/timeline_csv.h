// Timeline CSV: the meter's samples as power and energy per domain per sampling interval,
// for plotting a run. Columns (one row per domain per interval, intervals in time order):
//   time_s             seconds from the first sample to the end of the interval
//   wall_time          end of the interval, ISO 8601 UTC with milliseconds
//   domain, source     the meter domain's id and Source ("counter", "power", "estimate")
//   watts              mean power over the interval (W); empty for a zero-length interval
//   joules             energy used in the interval (J)
//   cumulative_joules  energy since the first sample (J)
#pragma once

#include <string>
#include <vector>

#include "energy/meter.h"
#include "energy/types.h"

namespace wattserve::energy {

// The whole CSV text, header included. Samples must be in time order; `domains` is
// Meter::domains() (sample.joules[k] belongs to domains[k]). Fewer than two samples: header only.
std::string timeline_csv(const std::vector<Sample>& samples, const std::vector<Domain>& domains);

// Writes timeline_csv(...) to path atomically.
void write_timeline_csv(const std::string& path, const std::vector<Sample>& samples,
                        const std::vector<Domain>& domains);

}  // namespace wattserve::energy
