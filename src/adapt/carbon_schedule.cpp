// Carbon-aware start times (carbon_schedule.h).
#include "adapt/carbon_schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "energy/core/atomic_file.h"
#include "energy/core/embedded_csv.h"
#include "energy/exporters/output_format.h"

namespace wattserve::adapt {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool parse_number(const std::string& cell, double* out) {
  if (cell.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(cell.c_str(), &end);
  return end != nullptr && *end == '\0' && std::isfinite(*out);
}

int64_t parse_time(const std::string& cell) {
  double secs = 0;
  if (parse_number(cell, &secs)) return static_cast<int64_t>(secs);
  const int64_t ns = energy::parse_rfc3339_ns(cell);
  if (ns == 0) throw std::invalid_argument("not a time");
  return ns / 1000000000LL;
}

}  // namespace

std::vector<IntensityPoint> read_intensity_csv(const std::string& path,
                                               const std::string& value_column) {
  std::string text;
  if (!energy::read_file_if_exists(path, &text)) {
    throw std::runtime_error(fmt::format("{}: no such file", path));
  }
  const auto rows = energy::parse_csv(text);
  if (rows.empty()) throw std::runtime_error(fmt::format("{}: empty", path));
  const auto& header = rows.front();
  size_t tcol = header.size(), vcol = header.size();
  for (size_t i = 0; i < header.size(); ++i) {
    const auto h = lower(header[i]);
    if (tcol == header.size() &&
        (h.find("time") != std::string::npos || h.find("date") != std::string::npos)) {
      tcol = i;
    }
    if (!value_column.empty() ? header[i] == value_column
                              : vcol == header.size() && h.find("intensity") != std::string::npos) {
      vcol = i;
    }
  }
  if (vcol == header.size() && value_column.empty()) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (lower(header[i]) == "value") vcol = i;
    }
  }
  if (tcol == header.size() || vcol == header.size()) {
    throw std::runtime_error(fmt::format("{}:1: no {} column (want a time column and {})", path,
                                         tcol == header.size() ? "time" : "intensity",
                                         value_column.empty()
                                             ? "a column named like 'carbon intensity' or 'value'"
                                             : "'" + value_column + "'"));
  }
  std::vector<IntensityPoint> out;
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() == 1 && row[0].empty()) continue;
    IntensityPoint p;
    double v = 0;
    try {
      if (tcol >= row.size() || vcol >= row.size()) throw std::invalid_argument("short row");
      p.t_s = parse_time(row[tcol]);
      if (!parse_number(row[vcol], &v) || v < 0) throw std::invalid_argument("bad value");
    } catch (const std::invalid_argument&) {
      throw std::runtime_error(fmt::format(
          "{}:{}: want a time and a non-negative gCO2e/kWh value, got '{}' and '{}'", path, r + 1,
          tcol < row.size() ? row[tcol] : "", vcol < row.size() ? row[vcol] : ""));
    }
    p.g_per_kwh = v;
    out.push_back(p);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.t_s < b.t_s; });
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].t_s == out[i - 1].t_s) {
      throw std::runtime_error(
          fmt::format("{}: two points at the same time ({})", path, out[i].t_s));
    }
  }
  if (out.size() < 2) throw std::runtime_error(fmt::format("{}: fewer than two points", path));
  return out;
}

double mean_intensity(const std::vector<IntensityPoint>& series, int64_t start_s,
                      int64_t duration_s) {
  if (series.empty() || start_s < series.front().t_s || duration_s <= 0) return NAN;
  const int64_t end = start_s + duration_s;
  double sum = 0;
  for (size_t i = 0; i < series.size(); ++i) {
    const int64_t from = std::max(start_s, series[i].t_s);
    const int64_t to = std::min(end, i + 1 < series.size() ? series[i + 1].t_s : end);
    if (to > from) sum += series[i].g_per_kwh * static_cast<double>(to - from);
  }
  return sum / static_cast<double>(duration_s);
}

StartChoice best_start(const std::vector<IntensityPoint>& series, int64_t now_s, int64_t duration_s,
                       int64_t deadline_s) {
  if (duration_s <= 0) throw std::invalid_argument("a job needs a positive duration");
  if (series.empty() || now_s < series.front().t_s) {
    throw std::invalid_argument("the intensity series does not cover the present");
  }
  StartChoice c;
  c.start_s = now_s;
  c.now_g_per_kwh = mean_intensity(series, now_s, duration_s);
  c.mean_g_per_kwh = c.now_g_per_kwh;
  const int64_t latest = deadline_s - duration_s;
  for (const auto& p : series) {
    if (p.t_s <= now_s || p.t_s > latest) continue;
    const double m = mean_intensity(series, p.t_s, duration_s);
    if (m < c.mean_g_per_kwh) {
      c.mean_g_per_kwh = m;
      c.start_s = p.t_s;
    }
  }
  c.saved_fraction = c.now_g_per_kwh > 0 ? 1 - c.mean_g_per_kwh / c.now_g_per_kwh : 0;
  return c;
}

}  // namespace wattserve::adapt
