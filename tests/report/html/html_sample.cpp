// report_html_sample [--broken] OUT.html: writes a page with every block kind of report/html/html.h
// and every plot kind of report/html/vega_specs.h, on made-up data (a fixed seed) with hostile
// strings in titles, captions, cells and the plots' labels, for html_chromium_test.sh to load.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "report/html/html.h"
#include "report/html/vega_specs.h"

namespace {

using namespace wattserve::report;

// Shown as text everywhere; html_chromium_test.sh fails when one becomes an element or runs.
const std::string kImg = "<img id=\"injected-img\" src=x onerror=\"document.title='pwned'\">";
const std::string kScript = "</script><script>document.title='pwned'</script>";
const std::string kBold = "<b id=\"injected-b\">bold</b> & \"quotes\" 'too'";

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

HtmlDocument sample() {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0.0, 1.0);
  HtmlDocument doc;
  doc.title = "wattserve report: sample " + kImg;
  doc.meta = {"dataset: out/bench/sample (120 runs) " + kBold, "generated 2026-01-01T00:00:00Z"};

  HtmlSection overview{"overview", "Overview " + kScript, {}};
  overview.blocks.push_back(HtmlParagraph{
      "A made-up study of four quantisations and three batch sizes, to show every block and "
      "plot kind. Hostile text: " +
      kScript + " " + kImg});
  overview.blocks.push_back(HtmlList{{"energy per token from the GPU counter", kBold, kScript}});
  HtmlTable table{"Per configuration " + kImg,
                  {"configuration", "runs", "J/token", "95% CI", "tokens/s"},
                  {},
                  {false, true, true, false, true}};
  const std::vector<std::string> quants = {"f16", "q8_0", "q4_0", "q4_K_M " + kScript};
  for (std::size_t q = 0; q < quants.size(); ++q) {
    const double j = 0.9 / static_cast<double>(q + 1) + 0.1;
    table.rows.push_back({quants[q], "30", fixed(j, 3),
                          "[" + fixed(j * 0.95, 3) + ", " + fixed(j * 1.05, 3) + "]",
                          fixed(40.0 * static_cast<double>(q + 1), 1)});
  }
  overview.blocks.push_back(table);
  doc.sections.push_back(std::move(overview));

  HtmlSection dist{"distributions", "Distributions", {}};
  std::vector<vega::GroupValue> values;
  for (std::size_t q = 0; q < quants.size(); ++q) {
    for (int r = 0; r < 30; ++r) {
      const double centre = 0.9 / static_cast<double>(q + 1) + 0.1;
      values.push_back({quants[q], centre * (1 + 0.05 * noise(rng)) + (r == 0 ? 0.2 : 0.0)});
    }
  }
  values.push_back({"f16", NAN});  // left out
  dist.blocks.push_back(HtmlPlot{"energy-box", "Energy per token " + kImg,
                                 "Each run's energy per token; box at the quartiles, whiskers at "
                                 "1.5 IQR. " +
                                     kScript,
                                 vega::box_plot(values, "quantisation", "J/token")});
  std::vector<vega::SeriesPoint> power;
  for (int run = 0; run < 3; ++run) {
    for (int i = 0; i <= 120; ++i) {
      const double t = 0.1 * i;
      const double w = (t < 1 || t > 11 ? 60 : 310 - 20 * run) + 6 * noise(rng);
      power.push_back(
          {"run " + std::to_string(run + 1) + (run == 2 ? " " + kBold : ""), t, w, NAN, NAN});
    }
  }
  dist.blocks.push_back(HtmlPlot{"power-timeline", "GPU power of three runs",
                                 "The NVML power readings of each run.",
                                 vega::timeline_chart(power, "GPU power (W)")});
  doc.sections.push_back(std::move(dist));

  HtmlSection trade{"trade-offs", "Trade-offs", {}};
  std::vector<vega::ScatterPoint> configs;
  for (int c = 0; c < 12; ++c) {
    const double x = 0.2 + 0.07 * c + 0.02 * noise(rng);
    const double y = 2.0 / (1 + c) + 0.3 + 0.05 * noise(rng);
    const bool front = c % 3 == 0;
    const double ex = c == 5 ? NAN : 0.02;  // one without interval bars
    configs.push_back({"config " + std::to_string(c) + (c == 4 ? " " + kScript : ""), x, y, x - ex,
                       x + ex, y - 0.08, y + 0.08, front,
                       c == 7 ? -1.0 : (front ? 0.8 : 0.1 * (c % 4))});
  }
  trade.blocks.push_back(HtmlPlot{"pareto", "Energy against latency",
                                  "Both minimised; the step line joins the Pareto front.",
                                  vega::pareto_scatter(configs, "J/token", "p95 latency (s)")});
  trade.blocks.push_back(
      HtmlPlot{"pareto-log", "The same on log axes", "Log-log.",
               vega::pareto_scatter(configs, "J/token", "p95 latency (s)", true, true)});
  std::vector<vega::SeriesPoint> curve;
  for (int b = 1; b <= 64; b *= 2) {
    for (int s = 0; s < 2; ++s) {
      const double y = 40.0 * b / (1 + 0.1 * b) * (s == 0 ? 1 : 0.8);
      curve.push_back(
          {s == 0 ? "llama" : "onnx " + kImg, static_cast<double>(b), y, y * 0.93, y * 1.07});
    }
  }
  trade.blocks.push_back(
      HtmlPlot{"throughput", "Throughput against batch size",
               "Median with its 95% interval; the rule marks the knee.",
               vega::line_chart(curve, "batch size", "tokens/s", 8.0, "knee " + kScript, true)});
  std::vector<vega::BarValue> bars = {{"batch size (log2)", -0.12, -0.15, -0.09},
                                      {"q4_0 vs f16", -0.30, -0.36, -0.25},
                                      {"threads " + kBold, 0.02, -0.01, 0.05},
                                      {"no interval", 0.08, NAN, NAN}};
  trade.blocks.push_back(HtmlPlot{"coefficients", "Effects on log energy per token",
                                  "Least-squares coefficients with 95% intervals.",
                                  vega::interval_bars(bars, "coefficient", 0.0)});
  doc.sections.push_back(std::move(trade));
  return doc;
}

}  // namespace

int main(int argc, char** argv) {
  const bool broken = argc == 3 && std::string(argv[1]) == "--broken";
  if (argc != 2 && !broken) {
    std::cerr << "usage: report_html_sample [--broken] OUT.html\n"
                 "  --broken: add a plot whose spec Vega-Lite refuses (the page must say so)\n";
    return 2;
  }
  HtmlDocument doc = sample();
  if (broken) {
    doc.sections.back().blocks.emplace_back(
        HtmlPlot{"broken", "A plot that cannot be drawn", "Its mark type does not exist.",
                 nlohmann::json{{"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
                                {"data", {{"values", nlohmann::json::array()}}},
                                {"mark", "no-such-mark"}}});
  }
  const char* path = argv[argc - 1];
  std::ofstream out(path, std::ios::binary);
  out << render_html(doc);
  out.close();
  if (!out) {
    std::cerr << "report_html_sample: cannot write " << path << "\n";
    return 1;
  }
  return 0;
}
