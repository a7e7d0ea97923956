// libFuzzer target for `wattserve report`'s analyses: the input, when it parses as JSON, is an
// array of run records (hostile values: wrong types, NaN-free extremes, missing fields, odd
// factor levels), analysed and written as JSON, text, Markdown and the HTML document's specs.
// A dataset without a measured run may throw std::runtime_error; anything else thrown, a crash
// or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "report/analysis.h"
#include "report/report_outputs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using wattserve::report::ReportOptions;
  const auto j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array() || j.size() > 64) return 0;
  std::vector<nlohmann::json> records(j.begin(), j.end());
  wattserve::report::LoadedDataset d;
  try {
    d = wattserve::report::dataset_from_records(std::move(records), "", "fuzz");
  } catch (const std::runtime_error&) {
    return 0;  // no measured run: refused with a message
  }
  ReportOptions o;
  o.resamples = 50;
  o.front_resamples = 10;
  o.deadline_s = 1.0;
  o.quality_floor = 0.5;
  wattserve::report::Report r;
  r.options = o;
  r.datasets.push_back(wattserve::report::analyse_dataset(std::move(d), o));
  r.comparisons.push_back(wattserve::report::compare(r.datasets[0], r.datasets[0], o));
  (void)wattserve::report::report_json(r).dump(-1, ' ', false,
                                               nlohmann::json::error_handler_t::replace);
  (void)wattserve::report::report_text(r);
  (void)wattserve::report::report_markdown(r);
  (void)wattserve::report::report_document(r);
  return 0;
}
