// Reading a server's Prometheus /metrics (as `wattserve serve` and vLLM, llama-server, ... serve
// it) around a benchmark run: the text exposition format parsed into samples, one scrape over
// HTTP, and the difference of two scrapes (what the run added to the counters).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace wattserve::bench::load {

struct PromSample {
  // name{labels}: the labels in the text's order with their values as written (escapes kept),
  // `label="value"` joined by ',' without spaces; just the name when there are none.
  std::string series;
  double value;  // NaN, +Inf and -Inf accepted (any case, "Nan" as prometheus-cpp writes it)
};

// Parses the text exposition format: blank lines and '#' lines (HELP, TYPE, comments) are
// skipped, an optional timestamp after the value is ignored, label values may hold \" \\ \n
// (any backslash escape is kept as written), spaces and tabs may separate the tokens, and
// "\r\n" line ends are accepted. Throws std::invalid_argument("line N: ...") (N from 1) for a
// malformed line.
std::vector<PromSample> parse_prometheus_text(std::string_view text);

// GET url + path (url: "http://127.0.0.1:PORT"), parsed into series -> value (a series written
// twice: the later value). Throws std::runtime_error when the request fails, the answer is not
// 200, or the text is malformed.
std::map<std::string, double> scrape_metrics(const std::string& url,
                                             const std::string& path = "/metrics",
                                             double timeout_s = 5);

// {series: after - before} for every series in `after`; one missing from `before` counts from
// 0 (a labelled counter appears at its first increment). Series only in `before` are left out.
// Gauges are differenced too: the caller picks the series it wants. NaN or infinite results are
// JSON null.
nlohmann::json metrics_delta(const std::map<std::string, double>& before,
                             const std::map<std::string, double>& after);

}  // namespace wattserve::bench::load
