// The outputs of `wattserve report` (docs/report.md "Outputs"): the statistics as JSON
// (schemas/report.schema.json), a one-screen text summary, Markdown and CSV tables for papers,
// and the HTML document.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "report/analysis.h"
#include "report/html/html.h"

namespace wattserve::report {

// {"schema": "wattserve.report", "schema_version": 1, "options", "datasets": [...],
//  "comparisons": [...]}; non-finite numbers as null.
nlohmann::json report_json(const Report& r);

// About one screen of text: per dataset the energy source, the configurations ranked by energy
// with intervals, the findings, the Pareto front and the query; the comparisons.
std::string report_text(const Report& r, size_t width = 100);

// Markdown: the summary table and the factor tests of each dataset, the comparisons.
std::string report_markdown(const Report& r);

// CSV tables written into dir (created when missing), each atomically: configs.csv (one row
// per dataset x configuration x metric), factor_tests.csv (one row per pair), sampling.csv,
// pareto.csv, proportionality.csv, comparison.csv. Returns the paths written.
std::vector<std::string> write_csv_tables(const Report& r, const std::string& dir);

// The HTML document (report/html/html.h).
HtmlDocument report_document(const Report& r);

}  // namespace wattserve::report
