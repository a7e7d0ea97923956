// OCR accuracy on labelled images (see evaluate.h).
#include "ocr/evaluate.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "ocr/text_metrics.h"

namespace wattserve::ocr {

namespace fs = std::filesystem;

std::vector<LabeledImage> read_labels(const std::string& labels_path) {
  std::ifstream in(labels_path);
  if (!in) throw std::invalid_argument(fmt::format("{}: cannot read the labels file", labels_path));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("{}: not JSON: {}", labels_path, e.what()));
  }
  if (!j.is_array() || j.empty()) {
    throw std::invalid_argument(
        fmt::format("{}: expected a non-empty JSON array of {{\"file\", \"text\"}}", labels_path));
  }
  const fs::path dir = fs::path(labels_path).parent_path();
  std::vector<LabeledImage> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    if (!e.is_object() || !e.contains("file") || !e["file"].is_string() || !e.contains("text") ||
        !e["text"].is_string()) {
      throw std::invalid_argument(
          fmt::format("{}: entry {} needs string fields \"file\" and \"text\"", labels_path, i));
    }
    const fs::path file = e["file"].get<std::string>();
    out.push_back(
        {(file.is_absolute() ? file : dir / file).string(), e["text"].get<std::string>()});
  }
  return out;
}

std::string joined_text(const std::vector<TextLine>& lines) {
  std::string s;
  for (const auto& l : lines) s += (s.empty() ? "" : " ") + l.text;
  return s;
}

EvalReport evaluate(OcrPipeline& pipeline, const std::vector<LabeledImage>& images) {
  using Clock = std::chrono::steady_clock;
  EvalReport r;
  AccuracyTally tally;
  for (const auto& img : images) {
    const auto t0 = Clock::now();
    EvalItem item{img.file, img.text, {}, false, 0, 0, pipeline.recognize(read_image(img.file)), 0};
    item.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    item.predicted = joined_text(item.lines);
    const auto t = tally.add(item.expected, item.predicted);
    item.exact = t.exact, item.edits = t.edits, item.chars = t.chars;
    r.seconds += item.seconds;
    r.items.push_back(std::move(item));
  }
  r.exact = tally.exact(), r.edits = tally.edits(), r.chars = tally.chars();
  r.exact_line_accuracy = tally.exact_line_accuracy();
  r.character_accuracy = tally.character_accuracy();
  r.items_per_s = r.seconds > 0 ? static_cast<double>(r.items.size()) / r.seconds : 0.0;
  return r;
}

}  // namespace wattserve::ocr
