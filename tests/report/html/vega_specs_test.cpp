// The Vega-Lite specs of src/report/html/vega_specs.h: Vega-Lite 6, data inline once, values
// that are not finite left out, and each plot kind's layers (the Chromium test draws them).
#include "report/html/vega_specs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace wattserve::report::vega {
namespace {

using json = nlohmann::json;

// Every number in the spec is finite, and it survives a trip through its JSON text.
void expect_clean(const json& spec) {
  EXPECT_EQ(spec["$schema"], "https://vega.github.io/schema/vega-lite/v6.json");
  ASSERT_TRUE(spec["data"]["values"].is_array());
  EXPECT_FALSE(spec["data"].contains("url"));
  std::function<void(const json&)> walk = [&](const json& j) {
    if (j.is_number_float()) {
      EXPECT_TRUE(std::isfinite(j.get<double>())) << spec.dump();
    }
    if (j.is_structured()) {
      for (const auto& child : j) walk(child);
    }
  };
  walk(spec);
  EXPECT_EQ(json::parse(spec.dump()), spec);
  for (const auto& row : spec["data"]["values"]) {
    for (const auto& field : row) EXPECT_FALSE(field.is_null()) << row.dump();
  }
}

// The layers whose mark (a string or {"type": ...}) is `type`, nested layers included.
std::vector<json> layers_of(const json& spec, const std::string& type) {
  std::vector<json> out;
  if (!spec.contains("layer")) return out;
  for (const auto& l : spec["layer"]) {
    if (l.contains("mark")) {
      const json& m = l["mark"];
      if ((m.is_string() && m == type) || (m.is_object() && m["type"] == type)) out.push_back(l);
    }
    for (auto& inner : layers_of(l, type)) out.push_back(inner);
  }
  return out;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(VegaSpecs, BoxPlotWithJitteredPoints) {
  const json spec = box_plot(
      {{"q4_0", 1.5}, {"q4_0", NAN}, {"q8_0", 2.5}, {"q8_0", INFINITY}, {"unique-label", 3}},
      "quantisation", "J/token");
  expect_clean(spec);
  EXPECT_EQ(spec["data"]["values"].size(), 3u);
  const auto boxes = layers_of(spec, "boxplot");
  ASSERT_EQ(boxes.size(), 1u);
  EXPECT_EQ(boxes[0]["mark"]["extent"], 1.5);
  const auto points = layers_of(spec, "point");
  ASSERT_EQ(points.size(), 1u);
  EXPECT_TRUE(points[0]["encoding"].contains("yOffset"));
  EXPECT_EQ(spec["encoding"]["x"]["title"], "J/token");
  EXPECT_TRUE(spec["encoding"]["y"]["title"].is_null());               // long labels need the room
  EXPECT_NE(spec.dump().find("\"quantisation\""), std::string::npos);  // in the tooltip
  EXPECT_EQ(occurrences(spec.dump(), "unique-label"), 1u);             // data once
}

TEST(VegaSpecs, ParetoScatterWithFrontIntervalsAndProbabilities) {
  std::vector<ScatterPoint> pts = {
      {"a", 1, 5, 0.8, 1.2, 4, 6, true, 0.9},
      {"b", 2, 3, NAN, NAN, NAN, NAN, true, -1},
      {"c", 3, 4, 2.5, 3.5, NAN, 4.5, false, 0.1},
      {"nan", NAN, 1, 0, 0, 0, 0, false, -1},
  };
  const json spec = pareto_scatter(pts, "J/token", "latency (s)");
  expect_clean(spec);
  const json& rows = spec["data"]["values"];
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_FALSE(rows[1].contains("x_low"));
  EXPECT_FALSE(rows[1].contains("front_probability"));
  EXPECT_TRUE(rows[2].contains("x_low"));
  EXPECT_FALSE(rows[2].contains("y_low"));  // half an interval is none
  const auto lines = layers_of(spec, "line");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["mark"]["interpolate"], "step-after");
  EXPECT_EQ(lines[0]["transform"][0]["filter"], "datum.on_front");
  EXPECT_EQ(lines[0]["encoding"]["order"]["field"], "x");
  EXPECT_EQ(layers_of(spec, "rule").size(), 2u);  // x and y interval bars
  const auto points = layers_of(spec, "point");
  ASSERT_EQ(points.size(), 2u);  // sized by probability, and fixed size for unknown
  EXPECT_EQ(points[0]["encoding"]["size"]["field"], "front_probability");
  EXPECT_EQ(points[0]["encoding"]["color"]["field"], "on_front");
  EXPECT_TRUE(points[1]["encoding"].contains("tooltip"));

  const json logs = pareto_scatter(
      {{"zero", 0, 1, NAN, NAN, NAN, NAN, true, -1}, {"one", 1, 1, NAN, NAN, NAN, NAN, true, -1}},
      "x", "y", true, true);
  expect_clean(logs);
  EXPECT_EQ(logs["data"]["values"].size(), 1u);  // x = 0 has no place on a log axis
  EXPECT_EQ(logs["encoding"]["x"]["scale"]["type"], "log");
  EXPECT_EQ(logs["encoding"]["y"]["scale"]["type"], "log");
  EXPECT_TRUE(layers_of(logs, "rule").empty());
  EXPECT_EQ(layers_of(logs, "point").size(), 1u);
}

TEST(VegaSpecs, LineChartWithBandsAndMarker) {
  std::vector<SeriesPoint> pts = {
      {"s1", 1, 10, 9, 11}, {"s1", 2, 12, NAN, NAN}, {"s2", 1, 8, 7, 9}, {"s2", NAN, 8, 7, 9}};
  const json spec = line_chart(pts, "batch", "tokens/s", 1.5, "knee </script>", true);
  expect_clean(spec);
  EXPECT_EQ(spec["data"]["values"].size(), 3u);
  EXPECT_FALSE(spec["data"]["values"][1].contains("low"));
  ASSERT_EQ(layers_of(spec, "area").size(), 1u);
  const auto lines = layers_of(spec, "line");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0]["mark"].contains("point"));
  EXPECT_EQ(lines[0]["encoding"]["x"]["scale"]["type"], "log");
  const auto rules = layers_of(spec, "rule");
  ASSERT_EQ(rules.size(), 1u);
  ASSERT_EQ(layers_of(spec, "text").size(), 1u);
  EXPECT_EQ(spec.dump().find("knee </script>") != std::string::npos, true);

  const json plain = line_chart({{"s", 1, 2, NAN, NAN}}, "x", "y");
  expect_clean(plain);
  EXPECT_TRUE(layers_of(plain, "area").empty());
  EXPECT_TRUE(layers_of(plain, "rule").empty());
}

TEST(VegaSpecs, ScatterSeriesArePointsBesideTheLines) {
  const json spec = line_chart({{"model", 1, 2, NAN, NAN},
                                {"model", 2, 3, NAN, NAN},
                                {"runs", 1, 2.2, NAN, NAN, true},
                                {"runs", 2, 2.9, NAN, NAN, true}},
                               "x", "y");
  expect_clean(spec);
  const auto lines = layers_of(spec, "line");
  const auto points = layers_of(spec, "point");
  ASSERT_EQ(lines.size(), 1u);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(lines[0]["transform"][0]["filter"], "datum.scatter !== true");
  EXPECT_EQ(points[0]["transform"][0]["filter"], "datum.scatter === true");
  EXPECT_EQ(spec["data"]["values"][2]["scatter"], true);
  EXPECT_FALSE(spec["data"]["values"][0].contains("scatter"));
}

TEST(VegaSpecs, TimelineInSecondsAndWatts) {
  const json spec = timeline_chart(
      {{"run 1", 0, 100, NAN, NAN}, {"run 1", 0.1, 120, NAN, NAN}, {"run 2", 0, NAN, NAN, NAN}},
      "GPU power (W)");
  expect_clean(spec);
  EXPECT_EQ(spec["data"]["values"].size(), 2u);
  const auto lines = layers_of(spec, "line");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_FALSE(lines[0]["mark"].contains("point"));
  EXPECT_EQ(lines[0]["encoding"]["x"]["title"], "seconds since the run's start");
  EXPECT_EQ(lines[0]["encoding"]["y"]["title"], "GPU power (W)");
}

TEST(VegaSpecs, IntervalBarsWithReference) {
  const json spec =
      interval_bars({{"batch", 0.5, 0.2, 0.8}, {"threads", -0.1, NAN, NAN}, {"gone", NAN, 0, 1}},
                    "coefficient", 0);
  expect_clean(spec);
  EXPECT_EQ(spec["data"]["values"].size(), 2u);
  EXPECT_EQ(layers_of(spec, "point").size(), 1u);
  const auto rules = layers_of(spec, "rule");
  ASSERT_EQ(rules.size(), 2u);  // whiskers, reference
  EXPECT_EQ(rules[1]["data"]["values"][0]["reference"], 0);
  EXPECT_EQ(spec["layer"][0]["encoding"]["y"]["sort"], nullptr);
}

}  // namespace
}  // namespace wattserve::report::vega
