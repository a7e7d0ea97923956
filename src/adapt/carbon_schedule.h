// Carbon-aware scheduling of deferrable work (docs/adapt.md "Carbon-aware scheduling"): a grid
// carbon-intensity series (CSV: a time column and a gCO2e/kWh column, as Electricity Maps and
// similar services export) and the choice of when to start a job of known duration so that it
// ends by its deadline at the least average intensity.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wattserve::adapt {

// Intensity from t_s (Unix seconds) until the next point's time (piecewise constant).
struct IntensityPoint {
  int64_t t_s = 0;
  double g_per_kwh = 0;
};

// Reads a CSV with a header. The time column is the first whose name contains "time" or "date"
// (RFC 3339, "2024-01-01 00:00:00" taken as UTC, or Unix seconds); the intensity column is
// `value_column` when given, else the first whose name contains "intensity" (Electricity Maps:
// "Carbon Intensity gCO₂eq/kWh (direct)"), else "value". Sorted by time; throws
// std::runtime_error naming FILE:LINE for an unreadable row, a negative or missing value,
// duplicate times, or fewer than two points.
std::vector<IntensityPoint> read_intensity_csv(const std::string& path,
                                               const std::string& value_column = "");

// The mean intensity over [start_s, start_s + duration_s), the series held constant after its
// last point; NaN when start_s is before the first point.
double mean_intensity(const std::vector<IntensityPoint>& series, int64_t start_s,
                      int64_t duration_s);

struct StartChoice {
  int64_t start_s = 0;
  double mean_g_per_kwh = 0;  // over the job at that start
  double now_g_per_kwh = 0;   // the same if started at `now_s`
  double saved_fraction = 0;  // 1 - mean / now: the share of emissions saved by waiting
};

// The start in [now_s, deadline_s - duration_s] with the least mean intensity (candidates: now
// and every point time in that range; ties go to the earliest). When the job cannot end by its
// deadline even if started now, it starts now. Throws std::invalid_argument for duration <= 0 or
// a series that does not cover now_s.
StartChoice best_start(const std::vector<IntensityPoint>& series, int64_t now_s, int64_t duration_s,
                       int64_t deadline_s);

}  // namespace wattserve::adapt
