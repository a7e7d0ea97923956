// report_text(): the one-screen summary for the terminal (report_outputs.h).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "report/metrics.h"
#include "report/report_outputs.h"

namespace wattserve::report {

namespace {

// Wraps text at width, the first line after `first`, the others indented by `indent` spaces.
std::string wrap(const std::string& text, const std::string& first, size_t indent, size_t width) {
  std::string out = first;
  size_t col = first.size();
  bool line_start = true;
  size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find(' ', pos);
    if (end == std::string::npos) end = text.size();
    const auto word = text.substr(pos, end - pos);
    pos = end + 1;
    if (word.empty()) continue;
    if (!line_start && col + 1 + word.size() > width) {
      out += "\n" + std::string(indent, ' ');
      col = indent;
      line_start = true;
    }
    if (!line_start) {
      out += ' ';
      ++col;
    }
    out += word;
    col += word.size();
    line_start = false;
  }
  return out + "\n";
}

}  // namespace

std::string report_text(const Report& r, size_t width) {
  std::string out;
  constexpr size_t kRanked = 8, kFindings = 6;
  for (const auto& a : r.datasets) {
    const auto& d = a.data;
    out += fmt::format("{} (study {}): {} runs, {} configurations; energy source {}\n", d.dir,
                       d.study_name, d.runs.size(), d.configs.size(),
                       d.energy_sources.empty()
                           ? "unknown"
                           : fmt::format("{}", fmt::join(d.energy_sources, ", ")));
    const auto& def = metric(a.energy_metric);
    std::vector<size_t> order;
    for (size_t c = 0; c < a.configs.size(); ++c) {
      if (a.configs[c].find(def.id)) order.push_back(c);
    }
    std::sort(order.begin(), order.end(), [&](size_t i, size_t j) {
      return a.configs[i].find(def.id)->summary.median < a.configs[j].find(def.id)->summary.median;
    });
    out += fmt::format("  {} by configuration (median over runs, {:.0f}% BCa interval):\n",
                       def.label, r.options.confidence * 100);
    size_t label_w = 10;
    for (size_t i = 0; i < std::min(order.size(), kRanked); ++i) {
      label_w = std::max(label_w, d.configs[order[i]].label.size());
    }
    label_w = std::min<size_t>(label_w, 60);
    for (size_t i = 0; i < std::min(order.size(), kRanked); ++i) {
      const auto* m = a.configs[order[i]].find(def.id);
      auto label = d.configs[order[i]].label;
      if (label.size() > label_w) label = label.substr(0, label_w - 3) + "...";
      out +=
          fmt::format("  {:>3}. {:<{}}  {:>10} {}  [{}, {}]  n={}{}\n", i + 1, label, label_w,
                      format_value(m->summary.median), def.unit,
                      m->median_ci.valid ? format_value(m->median_ci.low) : "n/a",
                      m->median_ci.valid ? format_value(m->median_ci.high) : "n/a", m->summary.n,
                      m->summary.cv > 0.1 ? fmt::format(" (CV {:.0f}%)", m->summary.cv * 100) : "");
    }
    if (order.size() > kRanked) {
      out += fmt::format("       ... and {} more (all in the report)\n", order.size() - kRanked);
    }
    // The answer to the deadline query first, when asked; then the findings, the most important
    // first (the first finding, the runs and the source, is in the heading above).
    size_t shown = 0, rest = 0;
    for (size_t i = 1; i < a.findings.size(); ++i) {
      if (a.findings[i].starts_with("Least energy with ")) {
        out += wrap(a.findings[i], "  query: ", 4, width);
      }
    }
    for (size_t i = 1; i < a.findings.size(); ++i) {
      if (a.findings[i].starts_with("Least energy with ")) continue;
      if (shown == kFindings) {
        ++rest;
        continue;
      }
      out += wrap(a.findings[i], "  - ", 4, width);
      ++shown;
    }
    if (rest > 0) {
      out += fmt::format("  ({} more finding{} in the report)\n", rest, rest == 1 ? "" : "s");
    }
    if (!a.findings.empty() && a.findings[0].find("estimate") != std::string::npos) {
      out += wrap("Energy here is an estimate (CPU utilisation x TDP model), not a measurement.",
                  "  note: ", 4, width);
    }
  }
  for (const auto& c : r.comparisons) {
    out += fmt::format("{} against {}: {} matching rows, {} configurations unmatched\n", c.other,
                       c.base, c.rows.size(), c.unmatched.size());
    size_t shown = 0;
    for (const auto& f : c.findings) {
      if (shown++ == kFindings) {
        out += fmt::format("  ({} more in the report)\n", c.findings.size() - kFindings);
        break;
      }
      out += wrap(f, "  - ", 4, width);
    }
  }
  return out;
}

}  // namespace wattserve::report
