// The Vega-Lite 6 specs of `wattserve report`'s plots (vega_specs.h, docs/report.md "Plots").
// Each spec holds its data once, inline, as rows of plain fields; a value that is not finite
// (or not positive on a log axis) is left out of its row, and a row whose position is missing is
// left out altogether. Layers select their rows with filters rather than holding copies.
#include "report/html/vega_specs.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>

namespace wattserve::report::vega {
namespace {

using json = nlohmann::json;

constexpr const char* kSchema = "https://vega.github.io/schema/vega-lite/v6.json";
constexpr int kHeight = 320;
constexpr const char* kNumberFormat = ".4~g";  // d3-format: 4 significant digits in tooltips

json spec_with(json values) {
  return {{"$schema", kSchema},
          {"width", "container"},
          {"height", kHeight},
          {"data", {{"values", std::move(values)}}}};
}

bool usable(double v, bool log_scale) {
  return std::isfinite(v) && (!log_scale || v > 0);
}

json quantitative(const char* field, const std::string& title, bool log_scale = false,
                  bool zero = false) {
  json enc = {{"field", field}, {"type", "quantitative"}, {"title", title}};
  if (log_scale) {
    enc["scale"] = {{"type", "log"}};
  } else if (!zero) {
    enc["scale"] = {{"zero", false}};
  }
  return enc;
}

json tip(const char* field, const std::string& title) {
  return {{"field", field}, {"type", "quantitative"}, {"title", title}, {"format", kNumberFormat}};
}

json tip_text(const char* field, const std::string& title) {
  return {{"field", field}, {"type", "nominal"}, {"title", title}};
}

// "isValid(datum.a) && isValid(datum.b)": the rows that have both fields.
json both_valid(const char* a, const char* b) {
  return {{"filter", std::string("isValid(datum.") + a + ") && isValid(datum." + b + ")"}};
}

}  // namespace

json box_plot(const std::vector<GroupValue>& values, const std::string& group_title,
              const std::string& value_title) {
  json rows = json::array();
  std::set<std::string> groups;
  for (const auto& v : values) {
    if (!std::isfinite(v.value)) continue;
    rows.push_back({{"group", v.group}, {"value", v.value}});
    groups.insert(v.group);
  }
  // Horizontal: one row per group, so that long labels ("model=pycode-small | engine=onnx")
  // stay readable; the plot grows with the number of groups (22 px a row).
  const double rows_n = static_cast<double>(std::max<std::size_t>(groups.size(), 1));
  json spec = spec_with(std::move(rows));
  spec["height"] = std::max(120.0, 22.0 * rows_n);
  const json y = {
      {"field", "group"},
      {"type", "nominal"},
      {"title", nullptr},  // the plot's title names the groups; long labels need the room
      {"sort", nullptr},   // the order of the data
      {"axis", {{"labelLimit", 380}}}};
  spec["encoding"] = {{"y", y}, {"x", quantitative("value", value_title)}};
  // Every observation is drawn by the point layer, so the box plot draws no outliers of its own.
  json box = {
      {"mark",
       {{"type", "boxplot"},
        {"extent", 1.5},
        {"outliers", false},
        {"size", 12},
        {"opacity", 0.55},
        {"median", {{"color", "#1f2328"}}}}},
      {"encoding", {{"color", {{"field", "group"}, {"type", "nominal"}, {"legend", nullptr}}}}}};
  // Jitter without randomness (the same page draws the same picture): the k-th observation of a
  // group sits at fraction (k * golden ratio) mod 1 of the offset range, an even spread.
  json points = {
      {"transform",
       {{{"window", {{{"op", "row_number"}, {"as", "jitter_k"}}}}, {"groupby", {"group"}}},
        {{"calculate", "(datum.jitter_k * 0.6180339887498949) % 1"}, {"as", "jitter"}}}},
      {"mark",
       {{"type", "point"}, {"filled", true}, {"size", 14}, {"opacity", 0.6}, {"color", "#1f2328"}}},
      {"encoding",
       {{"yOffset",
         {{"field", "jitter"}, {"type", "quantitative"}, {"scale", {{"domain", {-1.5, 2.5}}}}}},
        {"tooltip", {tip_text("group", group_title), tip("value", value_title)}}}}};
  spec["layer"] = {std::move(box), std::move(points)};
  return spec;
}

json pareto_scatter(const std::vector<ScatterPoint>& points, const std::string& x_title,
                    const std::string& y_title, bool log_x, bool log_y) {
  json rows = json::array();
  bool x_bars = false, y_bars = false, any_probability = false, any_unknown = false;
  for (const auto& p : points) {
    if (!usable(p.x, log_x) || !usable(p.y, log_y)) continue;
    json row = {{"label", p.label}, {"x", p.x}, {"y", p.y}, {"on_front", p.on_front}};
    if (usable(p.x_low, log_x) && usable(p.x_high, log_x)) {
      row["x_low"] = p.x_low;
      row["x_high"] = p.x_high;
      x_bars = true;
    }
    if (usable(p.y_low, log_y) && usable(p.y_high, log_y)) {
      row["y_low"] = p.y_low;
      row["y_high"] = p.y_high;
      y_bars = true;
    }
    if (std::isfinite(p.front_probability) && p.front_probability >= 0) {
      row["front_probability"] = std::min(p.front_probability, 1.0);
      any_probability = true;
    } else {
      any_unknown = true;
    }
    rows.push_back(std::move(row));
  }
  json spec = spec_with(std::move(rows));
  spec["encoding"] = {{"x", quantitative("x", x_title, log_x)},
                      {"y", quantitative("y", y_title, log_y)}};
  json layers = json::array();
  if (x_bars) {
    layers.push_back(
        {{"transform", {both_valid("x_low", "x_high")}},
         {"mark", {{"type", "rule"}, {"color", "#8c959f"}}},
         {"encoding",
          {{"x", quantitative("x_low", x_title, log_x)}, {"x2", {{"field", "x_high"}}}}}});
  }
  if (y_bars) {
    layers.push_back(
        {{"transform", {both_valid("y_low", "y_high")}},
         {"mark", {{"type", "rule"}, {"color", "#8c959f"}}},
         {"encoding",
          {{"y", quantitative("y_low", y_title, log_y)}, {"y2", {{"field", "y_high"}}}}}});
  }
  // The front: both objectives minimised, so from each point the attained region goes right at
  // its y until the next point's x ("step-after" along increasing x).
  layers.push_back({{"transform", {{{"filter", "datum.on_front"}}}},
                    {"mark",
                     {{"type", "line"},
                      {"interpolate", "step-after"},
                      {"color", "#cf222e"},
                      {"strokeWidth", 1.5}}},
                    {"encoding", {{"order", {{"field", "x"}, {"type", "quantitative"}}}}}});
  const json color = {
      {"field", "on_front"},
      {"type", "nominal"},
      {"title", "Pareto front"},
      {"scale", {{"domain", {true, false}}, {"range", {"#cf222e", "#0969da"}}}},
      {"legend", {{"labelExpr", "datum.label == 'true' ? 'on the front' : 'dominated'"}}}};
  json tooltip = {tip_text("label", "configuration"), tip("x", x_title), tip("y", y_title)};
  if (x_bars) {
    tooltip.push_back(tip("x_low", x_title + " low"));
    tooltip.push_back(tip("x_high", x_title + " high"));
  }
  if (y_bars) {
    tooltip.push_back(tip("y_low", y_title + " low"));
    tooltip.push_back(tip("y_high", y_title + " high"));
  }
  if (any_probability) tooltip.push_back(tip("front_probability", "P(on the front)"));
  const json point_mark = {{"type", "point"},
                           {"filled", true},
                           {"opacity", 0.85},
                           {"stroke", "white"},
                           {"strokeWidth", 0.5}};
  // A size scale drops the rows without its field, so the points of unknown probability are a
  // layer of their own, drawn at a fixed size.
  if (any_probability) {
    layers.push_back({{"transform", {{{"filter", "isValid(datum.front_probability)"}}}},
                      {"mark", point_mark},
                      {"encoding",
                       {{"color", color},
                        {"size",
                         {{"field", "front_probability"},
                          {"type", "quantitative"},
                          {"title", "P(on the front)"},
                          {"scale", {{"domain", {0, 1}}, {"range", {30, 240}}}}}},
                        {"tooltip", tooltip}}}});
  }
  if (any_unknown || !any_probability) {
    json mark = point_mark;
    mark["size"] = 70;
    layers.push_back({{"transform", {{{"filter", "!isValid(datum.front_probability)"}}}},
                      {"mark", mark},
                      {"encoding", {{"color", color}, {"tooltip", tooltip}}}});
  }
  spec["layer"] = std::move(layers);
  return spec;
}

namespace {

// Lines (with points when `points`) per series and bands where low and high are both given.
json series_chart(const std::vector<SeriesPoint>& points, const std::string& x_title,
                  const std::string& y_title, bool log_x, bool with_points, bool x_zero) {
  json rows = json::array();
  bool bands = false, scatter = false;
  for (const auto& p : points) {
    if (!usable(p.x, log_x) || !std::isfinite(p.y)) continue;
    json row = {{"series", p.series}, {"x", p.x}, {"y", p.y}};
    if (p.scatter) {
      row["scatter"] = true;
      scatter = true;
    }
    if (std::isfinite(p.low) && std::isfinite(p.high)) {
      row["low"] = p.low;
      row["high"] = p.high;
      bands = true;
    }
    rows.push_back(std::move(row));
  }
  json spec = spec_with(std::move(rows));
  const json color = {{"field", "series"},
                      {"type", "nominal"},
                      {"title", "series"},
                      {"sort", nullptr},
                      {"legend",
                       {{"labelLimit", 240},
                        {"symbolType", "stroke"},
                        {"symbolStrokeWidth", 2.5},
                        {"symbolOpacity", 1}}}};
  // Encodings per layer, not shared: the marker of line_chart has data of its own. The legend's
  // symbols are lines, whichever layer it is drawn from.
  const json x = quantitative("x", x_title, log_x, x_zero);
  json layers = json::array();
  if (bands) {
    layers.push_back({{"transform", {both_valid("low", "high")}},
                      {"mark", {{"type", "area"}, {"opacity", 0.18}}},
                      {"encoding",
                       {{"x", x},
                        {"y", quantitative("low", y_title)},
                        {"y2", {{"field", "high"}}},
                        {"color", color}}}});
  }
  json tooltip = {tip_text("series", "series"), tip("x", x_title), tip("y", y_title)};
  if (bands) {
    tooltip.push_back(tip("low", "low"));
    tooltip.push_back(tip("high", "high"));
  }
  json line_mark = {{"type", "line"}, {"strokeWidth", with_points ? 2 : 1.2}};
  if (with_points) line_mark["point"] = json{{"filled", true}, {"size", 30}};
  json line_layer = {
      {"mark", line_mark},
      {"encoding",
       {{"x", x}, {"y", quantitative("y", y_title)}, {"color", color}, {"tooltip", tooltip}}}};
  if (scatter) {
    // Observations (SeriesPoint::scatter) as points only; the other series as lines.
    line_layer["transform"] = {{{"filter", "datum.scatter !== true"}}};
    layers.push_back(
        {{"transform", {{{"filter", "datum.scatter === true"}}}},
         {"mark", {{"type", "point"}, {"filled", true}, {"size", 22}, {"opacity", 0.6}}},
         {"encoding",
          {{"x", x}, {"y", quantitative("y", y_title)}, {"color", color}, {"tooltip", tooltip}}}});
  }
  layers.push_back(std::move(line_layer));
  spec["layer"] = std::move(layers);
  return spec;
}

}  // namespace

json line_chart(const std::vector<SeriesPoint>& points, const std::string& x_title,
                const std::string& y_title, double marker_x, const std::string& marker_label,
                bool log_x) {
  json spec = series_chart(points, x_title, y_title, log_x, true, false);
  if (usable(marker_x, log_x)) {
    // Its own one-row data set, shared by the rule and its label.
    spec["layer"].push_back(
        {{"data", {{"values", {{{"marker_x", marker_x}, {"marker_label", marker_label}}}}}},
         {"encoding",
          {{"x", quantitative("marker_x", x_title, log_x)},
           {"tooltip", {tip_text("marker_label", "marker"), tip("marker_x", x_title)}}}},
         {"layer",
          {{{"mark", {{"type", "rule"}, {"color", "#59636e"}, {"strokeDash", {5, 4}}}}},
           {{"mark",
             {{"type", "text"},
              {"align", "left"},
              {"baseline", "top"},
              {"dx", 4},
              {"y", 4},
              {"color", "#59636e"}}},
            {"encoding", {{"text", {{"field", "marker_label"}}}}}}}}});
  }
  return spec;
}

json timeline_chart(const std::vector<SeriesPoint>& points, const std::string& y_title) {
  return series_chart(points, "seconds since the run's start", y_title, false, false, true);
}

json interval_bars(const std::vector<BarValue>& bars, const std::string& x_title,
                   double reference) {
  json rows = json::array();
  bool whiskers = false;
  for (const auto& b : bars) {
    if (!std::isfinite(b.value)) continue;
    json row = {{"label", b.label}, {"value", b.value}};
    if (std::isfinite(b.low) && std::isfinite(b.high)) {
      row["low"] = b.low;
      row["high"] = b.high;
      whiskers = true;
    }
    rows.push_back(std::move(row));
  }
  const auto n = static_cast<int>(rows.size());
  json spec = spec_with(std::move(rows));
  spec["height"] = std::max(120, 26 * n);  // about kHeight for a dozen bars; more for more
  // Encodings per layer, not shared: the reference rule has data of its own.
  const json y = {{"field", "label"},
                  {"type", "nominal"},
                  {"title", nullptr},
                  {"sort", nullptr},
                  {"axis", {{"labelLimit", 320}}}};
  json layers = json::array();
  json tooltip = {tip_text("label", "label"), tip("value", x_title)};
  if (whiskers) {
    tooltip.push_back(tip("low", "low"));
    tooltip.push_back(tip("high", "high"));
    layers.push_back(
        {{"transform", {both_valid("low", "high")}},
         {"mark", {{"type", "rule"}, {"color", "#0969da"}, {"strokeWidth", 2}}},
         {"encoding",
          {{"x", quantitative("low", x_title)}, {"x2", {{"field", "high"}}}, {"y", y}}}});
  }
  layers.push_back(
      {{"mark", {{"type", "point"}, {"filled", true}, {"size", 70}, {"color", "#0969da"}}},
       {"encoding", {{"x", quantitative("value", x_title)}, {"y", y}, {"tooltip", tooltip}}}});
  if (std::isfinite(reference)) {
    layers.push_back({{"data", {{"values", {{{"reference", reference}}}}}},
                      {"mark", {{"type", "rule"}, {"color", "#59636e"}, {"strokeDash", {5, 4}}}},
                      {"encoding", {{"x", quantitative("reference", x_title)}}}});
  }
  spec["layer"] = std::move(layers);
  return spec;
}

}  // namespace wattserve::report::vega
