// Vega-Lite specs of the plot kinds `wattserve report` draws (docs/report.md "Plots"). Each
// function returns a complete spec (schema, data inline, encodings, a fitting width) ready for
// HtmlPlot::spec. Values that are not finite are left out of the data (and, on a log axis, values
// that are not positive); a row without its position is left out altogether.
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace wattserve::report::vega {

// One observation of a grouped sample.
struct GroupValue {
  std::string group;
  double value = 0;
};

// Horizontal box plot (whiskers at 1.5 IQR) of value by group, one row per group in the order
// of the data, with every observation as a jittered point over it. group_title names the groups
// in the tooltip (the axis has no title: long labels need the room), value_title the metric and
// its unit.
nlohmann::json box_plot(const std::vector<GroupValue>& values, const std::string& group_title,
                        const std::string& value_title);

// A configuration in a 2-D objective plane.
struct ScatterPoint {
  std::string label;
  double x = 0, y = 0;
  double x_low = 0, x_high = 0, y_low = 0, y_high = 0;  // interval bars (NaN: none)
  bool on_front = false;
  double front_probability = -1;  // [0, 1], or < 0 when unknown (point size/colour)
};

// Scatter of configurations with their interval bars, the points on the Pareto front joined by
// a step line (both objectives minimised), a tooltip with label, values and probability.
nlohmann::json pareto_scatter(const std::vector<ScatterPoint>& points, const std::string& x_title,
                              const std::string& y_title, bool log_x = false, bool log_y = false);

// One point of a line series.
struct SeriesPoint {
  std::string series;
  double x = 0, y = 0;
  double low = 0, high = 0;  // band (NaN: none)
  bool scatter = false;      // drawn as a point only, not joined (observations beside a curve)
};

// Lines with points (one per series), with an interval band where given; optional vertical
// rule at x = marker_x (e.g. a knee) when finite, labelled marker_label.
nlohmann::json line_chart(const std::vector<SeriesPoint>& points, const std::string& x_title,
                          const std::string& y_title, double marker_x = NAN,
                          const std::string& marker_label = "", bool log_x = false);

// Power timelines: x = seconds since the run's start, y = watts, one line per series (run).
nlohmann::json timeline_chart(const std::vector<SeriesPoint>& points, const std::string& y_title);

// Horizontal bars with interval whiskers, e.g. regression coefficients or ratios; a vertical
// rule at `reference` (0 for coefficients, 1 for ratios).
struct BarValue {
  std::string label;
  double value = 0, low = 0, high = 0;  // interval NaN: none
};
nlohmann::json interval_bars(const std::vector<BarValue>& bars, const std::string& x_title,
                             double reference);

}  // namespace wattserve::report::vega
