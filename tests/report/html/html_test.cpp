// The HTML page of `wattserve report` (src/report/html/html.h): hostile text stays text in every
// place a string can go, no string can end a <script> element early, ids are checked, the plots'
// specs go into the page once as JSON that parses back to what was given, and a page for a
// 1,000-run dataset stays under 5 MB with the libraries inlined.
#include "report/html/html.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <iostream>
#include <random>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "report/html/vega_specs.h"

namespace wattserve::report {
namespace {

using json = nlohmann::json;

const std::string kImg = "<img src=x onerror=\"document.title='pwned'\">";
const std::string kScript = "</script><script>document.title='pwned'</script>";
const std::string kBold = "<b id='injected'>bold</b> & \"quoted\"";

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return s;
}

// Whether `page` holds `what`, saying which without printing the page (a megabyte of script).
::testing::AssertionResult has(const std::string& page, const std::string& what) {
  if (page.find(what) != std::string::npos) {
    return ::testing::AssertionSuccess() << "the page holds " << what;
  }
  return ::testing::AssertionFailure() << "the page lacks " << what;
}

// The page's markup: everything before the status element and the scripts (the libraries hold
// strings such as "<img src=" of their own).
std::string markup(const std::string& page) {
  return page.substr(0, page.find("<pre id=\"wattserve-render-status\""));
}

// The text of the first element whose start tag is `open`, up to the next "</script".
std::string script_text(const std::string& page, const std::string& open) {
  const auto start = page.find(open);
  if (start == std::string::npos) return {};
  const auto from = start + open.size();
  return page.substr(from, lower(page).find("</script", from) - from);
}

HtmlPlot plot(const std::string& id, json spec = json::object()) {
  if (spec.empty()) {
    spec = vega::box_plot({{"a", 1}, {"a", 2}, {"b", 3}}, "group", "value");
  }
  return HtmlPlot{id, "title of " + id, "caption of " + id, std::move(spec)};
}

HtmlDocument hostile_document() {
  HtmlDocument doc;
  doc.title = kImg + kScript;
  doc.meta = {kBold, kScript};
  HtmlSection s{"hostile", kImg, {}};
  s.blocks.emplace_back(HtmlParagraph{kScript + kBold});
  s.blocks.emplace_back(HtmlList{{kImg, kScript, kBold}});
  s.blocks.emplace_back(
      HtmlTable{kScript, {kImg, "n"}, {{kBold, "1.5"}, {kScript, "2"}}, {false, true}});
  HtmlPlot p = plot("p1");
  p.title = kImg;
  p.caption = kScript + kBold;
  s.blocks.emplace_back(std::move(p));
  doc.sections.emplace_back(std::move(s));
  return doc;
}

TEST(HtmlEscape, EntitiesAndInvalidBytes) {
  EXPECT_EQ(html_escape("a<b>&\"'c"), "a&lt;b&gt;&amp;&quot;&#39;c");
  EXPECT_EQ(html_escape("tab\tnew\nline"), "tab\tnew\nline");
  EXPECT_EQ(html_escape(std::string("nul\0x", 5)), "nul\xEF\xBF\xBDx");
  EXPECT_EQ(html_escape("\x1b[31m"), "\xEF\xBF\xBD[31m");
  EXPECT_EQ(html_escape("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x8B"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x8B");
  EXPECT_EQ(html_escape("\xff\xfe"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(html_escape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(html_escape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(html_escape("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // cut short
  EXPECT_EQ(html_escape("\xC2\x85"), "\xEF\xBF\xBD");                              // C1 control
}

TEST(ScriptSafe, JsonHasNoMarkupCharactersAndParsesBack) {
  const json value = {{"s", kScript + "<!-- " + kImg + " & </SCRIPT >"},
                      {"nan", NAN},
                      {"inf", INFINITY},
                      {"n", 1.5}};
  const std::string text = script_safe_json(value);
  EXPECT_EQ(text.find('<'), std::string::npos);
  EXPECT_EQ(text.find('>'), std::string::npos);
  EXPECT_EQ(text.find('&'), std::string::npos);
  const json back = json::parse(text);
  EXPECT_EQ(back["s"], value["s"]);
  EXPECT_TRUE(back["nan"].is_null());
  EXPECT_TRUE(back["inf"].is_null());
  EXPECT_EQ(back["n"], 1.5);
  // Invalid UTF-8 in a string is replaced, not thrown.
  EXPECT_NO_THROW(json::parse(script_safe_json(json{{"bad", "\xff"}})));
}

TEST(ScriptSafe, JavaScriptCannotCloseItsElement) {
  EXPECT_EQ(script_safe_js("var s = \"</script>\";"), "var s = \"<\\/script>\";");
  EXPECT_EQ(script_safe_js("/<\\/ScRiPt/i; '</SCRIPT'"), "/<\\/ScRiPt/i; '<\\/SCRIPT'");
  EXPECT_EQ(script_safe_js("a < b && c </scrip"), "a < b && c </scrip");
  EXPECT_THROW(script_safe_js("var s = '<!--';"), std::invalid_argument);
}

TEST(HtmlIds, ValidAndReserved) {
  EXPECT_TRUE(valid_html_id("energy-per-token_2"));
  for (const char* bad : {"", "a b", "a\"b", "a'b", "a<b", "caf\xC3\xA9", "a.b", "a/b",
                          "wattserve-render-status", "wattserve-plots"}) {
    EXPECT_FALSE(valid_html_id(bad)) << bad;
  }
}

TEST(RenderHtml, HostileTextStaysText) {
  const std::string whole = render_html(hostile_document());
  const std::string page = markup(whole);
  ASSERT_LT(page.size(), whole.size());
  // No hostile string reaches the page as markup: every '<' of them is an entity, in the title,
  // meta lines, section title, table of contents, paragraph, list, table and plot.
  EXPECT_FALSE(has(page, "<img"));
  EXPECT_FALSE(has(page, "<b id"));
  EXPECT_FALSE(has(page, "document.title='pwned'"));
  EXPECT_TRUE(has(page,
                  "<title>&lt;img src=x onerror=&quot;document.title=&#39;pwned&#39;"
                  "&quot;&gt;&lt;/script&gt;"));
  EXPECT_TRUE(has(page, "<h2>&lt;img src=x"));
  EXPECT_TRUE(has(page, "<a href=\"#hostile\">&lt;img src=x"));
  EXPECT_TRUE(has(page, "<caption>&lt;/script&gt;&lt;script&gt;"));
  EXPECT_TRUE(has(page,
                  "<td>&lt;b id=&#39;injected&#39;&gt;bold&lt;/b&gt; &amp; "
                  "&quot;quoted&quot;</td>"));
  EXPECT_TRUE(has(page, "<h3 class=\"plot-title\">&lt;img src=x"));
  EXPECT_TRUE(has(page, "<figcaption>&lt;/script&gt;"));
  // Every "</script" closes one of the page's own script elements.
  const std::string low = lower(whole);
  EXPECT_EQ(count(low, "</script"), count(low, "<script"));
  EXPECT_EQ(count(low, "<script"), 6u);  // capture, 3 libraries, plots' JSON, render
}

TEST(RenderHtml, SpecStringsCannotBreakOutOfTheScript) {
  HtmlDocument doc;
  doc.title = "t";
  const std::string evil = kScript + "</SCRIPT><!--<script>" + kImg;
  json spec = vega::pareto_scatter({{evil, 1, 2, NAN, NAN, NAN, NAN, true, 0.5}}, evil, evil);
  spec["description"] = evil;
  doc.sections.push_back({"s", "s", {HtmlPlot{"p", evil, evil, spec}}});
  const std::string page = render_html(doc);
  const std::string low = lower(page);
  EXPECT_EQ(count(low, "</script"), count(low, "<script"));
  EXPECT_EQ(count(low, "<!--"), 0u);
  const std::string data =
      script_text(page, "<script type=\"application/json\" id=\"wattserve-plots\">");
  ASSERT_FALSE(data.empty());
  const json plots = json::parse(data);
  ASSERT_EQ(plots.size(), 1u);
  EXPECT_EQ(plots[0]["id"], "p");
  EXPECT_EQ(plots[0]["spec"], spec);  // the same spec, data included
}

TEST(RenderHtml, DuplicateAndMalformedIdsRefused) {
  const auto with = [](std::vector<HtmlSection> sections) {
    HtmlDocument doc;
    doc.sections = std::move(sections);
    return doc;
  };
  EXPECT_THROW(render_html(with({{"a", "A", {}}, {"a", "B", {}}})), std::invalid_argument);
  EXPECT_THROW(render_html(with({{"a", "A", {plot("a")}}})), std::invalid_argument);
  EXPECT_THROW(render_html(with({{"a", "A", {plot("p")}}, {"b", "B", {plot("p")}}})),
               std::invalid_argument);
  EXPECT_THROW(render_html(with({{"a b", "A", {}}})), std::invalid_argument);
  EXPECT_THROW(render_html(with({{"a", "A", {plot("x\"onclick=alert(1)")}}})),
               std::invalid_argument);
  EXPECT_THROW(render_html(with({{"a", "A", {plot("wattserve-render-status")}}})),
               std::invalid_argument);
  EXPECT_THROW(render_html(with({{"", "A", {}}})), std::invalid_argument);
  EXPECT_NO_THROW(render_html(with({{"a", "A", {plot("p")}}, {"b", "B", {plot("q")}}})));
}

TEST(RenderHtml, TablesCheckTheirShapeAndAlignNumbers) {
  HtmlDocument doc;
  HtmlTable t{"c", {"name", "joules"}, {{"x", "1.25"}}, {false, true}};
  doc.sections.push_back({"s", "S", {t}});
  const std::string page = render_html(doc);
  EXPECT_TRUE(has(page, "<th scope=\"col\">name</th><th scope=\"col\" class=\"num\">joules"));
  EXPECT_TRUE(has(page, "<td>x</td><td class=\"num\">1.25</td>"));
  t.rows.push_back({"only one"});
  doc.sections[0].blocks = {t};
  EXPECT_THROW(render_html(doc), std::invalid_argument);
  t.rows.pop_back();
  t.numeric = {true};
  doc.sections[0].blocks = {t};
  EXPECT_THROW(render_html(doc), std::invalid_argument);
}

TEST(RenderHtml, SelfContainedPageWithStatusAndSpecLinks) {
  HtmlDocument doc;
  doc.title = "report";
  doc.sections.push_back({"first", "First", {plot("box-1")}});
  doc.sections.push_back({"second", "Second", {HtmlParagraph{"text"}, plot("box-2")}});
  const std::string page = render_html(doc);
  // No resource from anywhere else: no script src, stylesheet link or CSS import.
  EXPECT_FALSE(std::regex_search(page, std::regex("<script[^>]*\\ssrc=", std::regex::icase)));
  EXPECT_FALSE(std::regex_search(page, std::regex("<link[^>]*href=", std::regex::icase)));
  EXPECT_FALSE(has(page, "@import"));
  // The libraries, inlined.
  EXPECT_TRUE(has(page, "vegaEmbed"));
  EXPECT_GT(page.size(), 500'000u);
  // Table of contents, plots' containers and their download links, the status element.
  EXPECT_TRUE(has(page, "<li><a href=\"#first\">First</a></li>"));
  EXPECT_TRUE(has(page, "<li><a href=\"#second\">Second</a></li>"));
  EXPECT_TRUE(has(page, "<figure class=\"plot\" id=\"box-2\">"));
  EXPECT_TRUE(has(page, "download=\"box-1.vl.json\""));
  EXPECT_TRUE(has(page, "<pre id=\"wattserve-render-status\" hidden></pre>"));
  EXPECT_TRUE(has(page, "{renderer: \"svg\", actions: false}"));
  EXPECT_TRUE(has(page, "document.body.dataset.renderDone = \"1\""));
  // Each spec (and so its data) once.
  const std::string spec = script_safe_json(plot("x").spec["data"]);
  EXPECT_EQ(count(page, spec), 2u);  // the two plots have the same data
}

TEST(RenderHtml, PageWithoutPlotsLeavesTheLibrariesOut) {
  HtmlDocument doc;
  doc.title = "t";
  doc.sections.push_back({"s", "S", {HtmlParagraph{"no plots"}}});
  const std::string page = render_html(doc);
  EXPECT_LT(page.size(), 100'000u);
  EXPECT_TRUE(has(page, "id=\"wattserve-render-status\""));
}

TEST(InlinedLibraries, VersionsFromTheStamp) {
  const json v = inlined_library_versions();
  for (const char* name : {"vega", "vega-lite", "vega-embed"}) {
    ASSERT_TRUE(v.contains(name)) << v.dump();
    EXPECT_TRUE(
        std::regex_match(v[name].get<std::string>(), std::regex("[0-9]+\\.[0-9]+\\.[0-9]+")))
        << v.dump();
  }
  EXPECT_EQ(v["vega-lite"].get<std::string>().substr(0, 2), "6.");
}

// The page of a study of 1,000 runs: box plots of every run's value for six metrics, a Pareto
// plot of 100 configurations with intervals, curves, ten power timelines of 600 samples, bars,
// and a table row per configuration.
TEST(RenderHtml, ThousandRunPageStaysUnderFiveMegabytes) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> value(1.0, 0.5);
  HtmlDocument doc;
  doc.title = "bench study: 1,000 runs";
  HtmlSection s{"runs", "Runs", {}};
  for (int m = 0; m < 6; ++m) {
    std::vector<vega::GroupValue> values;
    for (int r = 0; r < 1000; ++r) {
      values.push_back({fmt::format("llama q{}_0 batch {}", r % 4, (r / 4) % 25), value(rng)});
    }
    s.blocks.emplace_back(HtmlPlot{fmt::format("metric-{}", m), "metric", "caption",
                                   vega::box_plot(values, "configuration", "J/token")});
  }
  std::vector<vega::ScatterPoint> configs;
  HtmlTable table{"per configuration", {"configuration"}, {}, {false}};
  for (int c = 0; c < 12; ++c) {
    table.header.push_back(fmt::format("column {}", c));
    table.numeric.push_back(true);
  }
  for (int c = 0; c < 100; ++c) {
    const double x = value(rng), y = value(rng);
    configs.push_back({fmt::format("config {}", c), x, y, x * 0.9, x * 1.1, y * 0.9, y * 1.1,
                       c % 7 == 0, 0.01 * c});
    std::vector<std::string> row = {fmt::format("config {}", c)};
    for (int k = 0; k < 12; ++k) row.push_back(fmt::format("{:.4g}", value(rng)));
    table.rows.push_back(row);
  }
  s.blocks.emplace_back(HtmlPlot{"pareto", "Pareto", "c", vega::pareto_scatter(configs, "x", "y")});
  std::vector<vega::SeriesPoint> curve, timeline;
  for (int k = 0; k < 10; ++k) {
    for (int i = 0; i < 20; ++i) {
      const double y = value(rng);
      curve.push_back({fmt::format("series {}", k), i * 1.0, y, y * 0.9, y * 1.1});
    }
    for (int i = 0; i < 600; ++i) {
      timeline.push_back({fmt::format("run {}", k), i * 0.1, 100 + value(rng), NAN, NAN});
    }
  }
  s.blocks.emplace_back(HtmlPlot{"curve", "c", "c", vega::line_chart(curve, "x", "y", 5, "knee")});
  s.blocks.emplace_back(HtmlPlot{"timeline", "t", "c", vega::timeline_chart(timeline, "W")});
  std::vector<vega::BarValue> bars;
  for (int b = 0; b < 20; ++b) bars.push_back({fmt::format("factor {}", b), 0.1 * b, 0, 0.2 * b});
  s.blocks.emplace_back(HtmlPlot{"bars", "b", "c", vega::interval_bars(bars, "effect", 0)});
  s.blocks.emplace_back(std::move(table));
  doc.sections.emplace_back(std::move(s));
  const std::string page = render_html(doc);
  std::cout << "[ size     ] 1,000-run page: " << page.size() << " bytes\n";
  EXPECT_LT(page.size(), 5'000'000u);
}

}  // namespace
}  // namespace wattserve::report
