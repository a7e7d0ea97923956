#include "energy/timeline_csv.h"

#include <algorithm>

#include "energy/atomic_file.h"
#include "energy/output_format.h"

namespace wattserve::energy {

std::string timeline_csv(const std::vector<Sample>& samples, const std::vector<Domain>& domains) {
  std::string out = "time_s,wall_time,domain,source,watts,joules,cumulative_joules\n";
  if (samples.size() < 2) return out;
  const Sample& first = samples.front();
  for (size_t i = 1; i < samples.size(); ++i) {
    const Sample& prev = samples[i - 1];
    const Sample& cur = samples[i];
    const double t = static_cast<double>(cur.t_ns - first.t_ns) / 1e9;
    const double dt = static_cast<double>(cur.t_ns - prev.t_ns) / 1e9;
    const std::string time = format_double(t);
    const std::string wall = iso8601_utc(cur.wall_ns);
    const size_t n =
        std::min({domains.size(), cur.joules.size(), prev.joules.size(), first.joules.size()});
    for (size_t k = 0; k < n; ++k) {
      const double dj = cur.joules[k] - prev.joules[k];
      out += csv_row({time, wall, domains[k].id, std::string(to_string(domains[k].source)),
                      dt > 0 ? format_double(dj / dt) : std::string(), format_double(dj),
                      format_double(cur.joules[k] - first.joules[k])});
      out += '\n';
    }
  }
  return out;
}

void write_timeline_csv(const std::string& path, const std::vector<Sample>& samples,
                        const std::vector<Domain>& domains) {
  write_file_atomic(path, timeline_csv(samples, domains));
}

}  // namespace wattserve::energy
