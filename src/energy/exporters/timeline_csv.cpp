#include "energy/exporters/timeline_csv.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <stdexcept>

#include "energy/core/atomic_file.h"
#include "energy/exporters/output_format.h"

namespace wattserve::energy {

namespace {

constexpr const char* kHeader = "time_s,wall_time,domain,source,watts,joules,cumulative_joules\n";

// Rows of one interval ending t seconds after the first sample, dt seconds long.
void append_rows(std::string& out, double t, double dt, int64_t wall_ns,
                 const std::vector<Domain>& domains, size_t n,
                 const std::function<double(size_t)>& delta,
                 const std::function<double(size_t)>& cumulative) {
  const std::string time = format_double(t);
  const std::string wall = iso8601_utc(wall_ns);
  for (size_t k = 0; k < n; ++k) {
    const double dj = delta(k);
    out += csv_row({time, wall, domains[k].id, std::string(to_string(domains[k].source)),
                    dt > 0 ? format_double(dj / dt) : std::string(), format_double(dj),
                    format_double(cumulative(k))});
    out += '\n';
  }
}

}  // namespace

std::string timeline_csv(const std::vector<Sample>& samples, const std::vector<Domain>& domains) {
  std::string out = kHeader;
  if (samples.size() < 2) return out;
  const Sample& first = samples.front();
  for (size_t i = 1; i < samples.size(); ++i) {
    const Sample& prev = samples[i - 1];
    const Sample& cur = samples[i];
    const double t = static_cast<double>(cur.t_ns - first.t_ns) / 1e9;
    const double dt = static_cast<double>(cur.t_ns - prev.t_ns) / 1e9;
    const size_t n =
        std::min({domains.size(), cur.joules.size(), prev.joules.size(), first.joules.size()});
    append_rows(
        out, t, dt, cur.wall_ns, domains, n,
        [&](size_t k) { return cur.joules[k] - prev.joules[k]; },
        [&](size_t k) { return cur.joules[k] - first.joules[k]; });
  }
  return out;
}

void write_timeline_csv(const std::string& path, const std::vector<Sample>& samples,
                        const std::vector<Domain>& domains) {
  write_file_atomic(path, timeline_csv(samples, domains));
}

TimelineCsvStream::TimelineCsvStream(std::string path, std::vector<Domain> domains)
    : path_(std::move(path)), domains_(std::move(domains)), cumulative_(domains_.size(), 0.0) {
  out_ = std::make_unique<OutputFile>(path_);  // O_CLOEXEC: not inherited by measured commands
  pending_ = kHeader;
}

TimelineCsvStream::~TimelineCsvStream() = default;  // out_ removes an uncommitted file

void TimelineCsvStream::flush() {
  if (!error_.empty()) return;
  try {
    out_->write(pending_);
  } catch (const std::exception& e) {
    error_ = e.what();
  }
  pending_.clear();
}

void TimelineCsvStream::add(int64_t t0_ns, int64_t t1_ns, int64_t wall_ns,
                            std::span<const double> delta_joules) {
  if (!out_) return;
  if (origin_ns_ < 0) origin_ns_ = t0_ns;
  const size_t n = std::min(domains_.size(), delta_joules.size());
  for (size_t k = 0; k < n; ++k) cumulative_[k] += delta_joules[k];
  append_rows(
      pending_, static_cast<double>(t1_ns - origin_ns_) / 1e9,
      static_cast<double>(t1_ns - t0_ns) / 1e9, wall_ns, domains_, n,
      [&](size_t k) { return delta_joules[k]; }, [&](size_t k) { return cumulative_[k]; });
  if (pending_.size() >= 64 * 1024) flush();  // a write() per 64 KiB, not per interval
}

void TimelineCsvStream::commit() {
  if (!out_) throw std::runtime_error("timeline " + path_ + " already committed");
  flush();
  auto out = std::move(out_);  // removes the temporary file when this throws
  if (!error_.empty()) throw std::runtime_error(error_);
  out->commit();
}

}  // namespace wattserve::energy
