// The self-contained HTML document of `wattserve report` (docs/report.md "The HTML file"): text,
// tables and Vega-Lite plots in sections, with Vega, Vega-Lite and vega-embed inlined (embedded
// in the binary at build time), so the file opens offline. Each plot can be downloaded as its
// Vega-Lite spec. The page records, in a hidden element, which plots rendered and any script
// error, for the headless-Chromium test.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace wattserve::report {

struct HtmlParagraph {
  std::string text;  // plain text (escaped); no markup
};

struct HtmlList {
  std::vector<std::string> items;  // plain text each
};

struct HtmlTable {
  std::string caption;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as long as header; plain text cells
  std::vector<bool> numeric;                   // per column: right-aligned (may be empty)
};

struct HtmlPlot {
  std::string id;       // unique in the document: [A-Za-z0-9_-]+
  std::string title;    // shown above the plot
  std::string caption;  // shown below it (what it shows, the formula's section in the docs)
  nlohmann::json spec;  // a Vega-Lite spec with its data inline ("data": {"values": [...]})
};

using HtmlBlock = std::variant<HtmlParagraph, HtmlList, HtmlTable, HtmlPlot>;

struct HtmlSection {
  std::string id;  // anchor, [A-Za-z0-9_-]+
  std::string title;
  std::vector<HtmlBlock> blocks;
};

struct HtmlDocument {
  std::string title;
  std::vector<std::string> meta;  // short lines under the title (datasets, generated at, ...)
  std::vector<HtmlSection> sections;
};

// The whole page as one string. Once every plot has been drawn or has failed, the page writes
// {"plots": [{"id", "ok", "svg_elements"[, "error"]}], "errors": [...], "warnings": [...]} into
// <pre id="wattserve-render-status" hidden> (errors: uncaught errors, rejected promises,
// console.error; warnings: console.warn, where Vega logs) and sets <body data-render-done="1">.
// A page without plots leaves the libraries out. Throws std::invalid_argument for a duplicate or
// malformed id (see valid_html_id), or a table row or `numeric` whose length is not the header's.
std::string render_html(const HtmlDocument& doc);

// Versions of the inlined libraries, e.g. {"vega": "6.4.0", ...}, for the report's footer.
nlohmann::json inlined_library_versions();

// The helpers render_html is made of, for other HTML writers and the tests:
// Whether `id` may be an element id: non-empty, [A-Za-z0-9_-]+, and not one of the page's own
// (those starting with "wattserve-" are reserved).
bool valid_html_id(std::string_view id);
// Text as HTML character data or a quoted attribute value: & < > " ' as entities; invalid UTF-8
// and control characters other than tab, newline and carriage return as U+FFFD.
std::string html_escape(std::string_view text);
// Compact JSON that can sit inside a <script> element: every < > & (only ever inside JSON strings)
// written as \u003c \u003e \u0026, invalid UTF-8 as U+FFFD, NaN and infinities as null.
std::string script_safe_json(const nlohmann::json& value);
// JavaScript source that can sit inside a <script> element: every "</script" (any case) written
// as "<\/script", the same string, regular expression or comment in JavaScript. Throws
// std::invalid_argument when the source holds "<!--" (it could hide the element's end).
std::string script_safe_js(std::string_view source);

}  // namespace wattserve::report
