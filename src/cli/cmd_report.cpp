// `wattserve report DIR... [--out FILE.html] [--json FILE] [--md FILE] [--csv DIR]`: statistics,
// Pareto fronts, energy proportionality and comparisons of bench datasets, as a self-contained
// HTML page, JSON, Markdown, CSV and a one-screen summary. The work is in src/report/; this
// file binds flags. Exit codes: 0 done, 2 bad arguments or unreadable datasets, 125 failure.
#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "cli/commands.h"
#include "cli/sensor_options.h"
#include "energy/core/atomic_file.h"
#include "report/analysis.h"
#include "report/html/html.h"
#include "report/report_outputs.h"

namespace wattserve::cli {

namespace {

struct ReportFlags {
  std::vector<std::string> dirs;
  std::string out, json, md, csv;
  bool no_html = false, quiet = false;
  report::ReportOptions options;
};

int run_report(ReportFlags& f) {
  try {
    for (const auto& p : {f.out, f.json, f.md}) {
      if (!p.empty()) energy::check_output_path(p);
    }
    std::error_code ec;
    if (!f.csv.empty() && std::filesystem::exists(f.csv, ec) &&
        !std::filesystem::is_directory(f.csv, ec)) {
      throw std::runtime_error(fmt::format("--csv {}: exists and is not a folder", f.csv));
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "wattserve report: {}\n", e.what());
    return 2;
  }
  report::Report r;
  try {
    if (!f.quiet) {
      fmt::print(stderr,
                 "wattserve report: analysing {} dataset(s), {} bootstrap resamples per "
                 "interval...\n",
                 f.dirs.size(), f.options.resamples);
    }
    r = report::analyse(f.dirs, f.options);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "wattserve report: {}\n", e.what());
    return 2;
  } catch (const std::runtime_error& e) {
    fmt::print(stderr, "wattserve report: {}\n", e.what());
    return 2;
  }
  try {
    for (const auto& a : r.datasets) {
      for (const auto& w : a.data.warnings)
        fmt::print(stderr, "wattserve report: warning: {}\n", w);
    }
    std::vector<std::string> written;
    if (!f.no_html) {
      const auto out =
          f.out.empty() ? (std::filesystem::path(f.dirs.front()) / "report.html").string() : f.out;
      energy::write_file_atomic(out, report::render_html(report::report_document(r)));
      written.push_back(out);
    }
    if (!f.json.empty()) {
      // Folder names from the command line may not be UTF-8: replaced, not refused.
      energy::write_file_atomic(
          f.json,
          report::report_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
              "\n");
      written.push_back(f.json);
    }
    if (!f.md.empty()) {
      energy::write_file_atomic(f.md, report::report_markdown(r));
      written.push_back(f.md);
    }
    if (!f.csv.empty()) {
      for (const auto& p : report::write_csv_tables(r, f.csv)) written.push_back(p);
    }
    if (!f.quiet) {
      fmt::print("{}", report::report_text(r));
      for (const auto& w : written) fmt::print("wrote {}\n", w);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "wattserve report: {}\n", e.what());
    return kOwnFailure;
  }
  return 0;
}

}  // namespace

Command add_report(CLI::App& app) {
  auto f = std::make_shared<ReportFlags>();
  auto* sub = app.add_subcommand(
      "report",
      "Analyse bench datasets: per configuration n, median, IQR, mean, CV, outliers and BCa "
      "bootstrap intervals (median; pooled p99 latency); per factor Shapiro-Wilk, Kruskal-Wallis, "
      "pairwise Mann-Whitney with Holm's correction, Cliff's delta and A12; for sampled numeric "
      "factors Spearman, a regression of log energy and partial dependence; Pareto fronts of "
      "energy, latency and quality with each configuration's probability of being on them; "
      "energy proportionality against batch size or concurrency. Writes a self-contained HTML "
      "page (default DIR/report.html) and prints a summary. With two or more folders, each is "
      "also compared with the first, configuration by configuration (ratio of medians with its "
      "interval, Mann-Whitney p). Formulas: docs/report.md.");
  sub->add_option("dirs", f->dirs, "Dataset folders written by `wattserve bench --out`")
      ->required()
      ->check(non_blank());
  sub->add_option("--out,-o", f->out,
                  "HTML file to write (default: the first folder's report.html)")
      ->check(non_blank());
  sub->add_flag("--no-html", f->no_html, "Write no HTML file");
  sub->add_option("--json", f->json, "Also write every statistic as JSON to this file")
      ->check(non_blank());
  sub->add_option("--md", f->md, "Also write Markdown tables (for papers) to this file")
      ->check(non_blank());
  sub->add_option("--csv", f->csv,
                  "Also write CSV tables (configs, factor tests, ...) into this folder")
      ->check(non_blank());
  sub->add_option("--confidence", f->options.confidence, "Level of every interval")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 0.999));
  sub->add_option("--resamples", f->options.resamples, "Bootstrap resamples per interval (BCa)")
      ->capture_default_str()
      ->check(CLI::Range(100, 1000000));
  sub->add_option("--front-resamples", f->options.front_resamples,
                  "Bootstrap rounds behind the Pareto-front probabilities")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  sub->add_option("--seed", f->options.seed, "Seed of every resampling")->capture_default_str();
  sub->add_option("--alpha", f->options.alpha, "Significance level the words use")
      ->capture_default_str()
      ->check(CLI::Range(0.0001, 0.5));
  sub->add_option("--deadline", f->options.deadline_s,
                  "Latency deadline in seconds: report the least-energy configuration whose "
                  "median latency (--deadline-metric) meets it")
      ->check(CLI::PositiveNumber);
  sub->add_option("--deadline-metric", f->options.deadline_metric,
                  "Latency metric of the deadline: e2e_p99 (default), e2e_p50, ttft_p99, "
                  "ttft_p50, tpot_p99, tpot_p50")
      ->check(
          CLI::IsMember({"e2e_p99", "e2e_p50", "ttft_p99", "ttft_p50", "tpot_p99", "tpot_p50"}));
  sub->add_option("--quality-floor", f->options.quality_floor,
                  "Least quality the answer must have: accuracy (at least), or reference "
                  "perplexity (at most) for text");
  sub->add_option("--timeline", f->options.timeline_runs,
                  "Run id whose power timeline the HTML shows (repeatable; default: one run per "
                  "configuration, up to 6)");
  sub->add_flag("--quiet,-q", f->quiet, "Print nothing but errors");
  return {sub, [f] { return run_report(*f); }};
}

}  // namespace wattserve::cli
