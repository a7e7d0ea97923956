// The PP-OCRv4 pipeline end to end on the onnx engine with the zoo's models and rendered images
// (scripts/build_zoo.sh: ZOO/ocr, ZOO/ocr/images/labels.json): measured accuracy, reading order
// of a two-line image, and errors that name the file. Fails when the zoo is missing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>

#include "engine/engines.h"
#include "ocr/evaluate.h"
#include "ocr/ocr.h"
#include "ocr/text_metrics.h"

namespace wattserve::ocr {
namespace {

namespace fs = std::filesystem;

std::string ocr_dir() {
  const char* env = std::getenv("WATTSERVE_ZOO");
  const fs::path dir = fs::path(env && *env ? env : WATTSERVE_ZOO_DIR) / "ocr";
  EXPECT_TRUE(fs::exists(dir / "images" / "labels.json"))
      << "no OCR models and images in " << dir << ": run scripts/build_zoo.sh";
  return dir.string();
}

engine::EngineFactory& onnx() {
  return engine::load_engine("onnx", WATTSERVE_TEST_PLUGIN_DIR);
}

OcrOptions two_threads() {
  OcrOptions o;
  o.threads = 2;
  return o;
}

std::size_t distance(const std::string& a, const std::string& b) {
  return levenshtein(utf8_to_u32(a), utf8_to_u32(b));
}

// Measured on the 20 rendered images (models/ocr/README.md): exact-line accuracy 0.30 (6/20;
// the recogniser, trained mostly on Chinese, often drops the spaces between English words, and
// misreads the blocky 4x bitmap font) and character accuracy 0.88 (45 edits / 374 characters).
// The bounds leave room for a few lines read differently on another provider or thread count,
// but not for a broken pipeline: with the dictionary shifted by one class, for one, character
// accuracy falls to 0.07.
TEST(OcrZoo, AccuracyOnRenderedImages) {
  const std::string dir = ocr_dir();
  OcrPipeline pipeline(onnx(), dir, two_threads());
  const auto images = read_labels((fs::path(dir) / "images" / "labels.json").string());
  ASSERT_EQ(images.size(), 20u);
  const auto r = evaluate(pipeline, images);
  ASSERT_EQ(r.items.size(), images.size());
  EXPECT_GE(r.character_accuracy, 0.80) << r.edits << " edits / " << r.chars << " characters";
  EXPECT_GE(r.exact_line_accuracy, 0.20) << r.exact << " of " << r.items.size() << " exact";
  for (const auto& item : r.items) {
    EXPECT_FALSE(item.lines.empty()) << item.file << ": no text found";
    EXPECT_EQ(item.predicted, joined_text(item.lines));
  }
  EXPECT_GT(r.items_per_s, 0);
}

TEST(OcrZoo, TwoLinesComeBackTopToBottom) {
  const std::string dir = ocr_dir();
  const auto images = read_labels((fs::path(dir) / "images" / "labels.json").string());
  // The long DejaVu sentence over the DejaVu digits, padded white to one width.
  const LabeledImage* top = nullptr;
  const LabeledImage* bottom = nullptr;
  for (const auto& l : images) {
    if (l.file.ends_with("dejavu-sans-32-03.png")) top = &l;
    if (l.file.ends_with("dejavu-sans-32-08.png")) bottom = &l;
  }
  ASSERT_TRUE(top && bottom);
  cv::Mat a = read_image(top->file), b = read_image(bottom->file);
  const int width = std::max(a.cols, b.cols);
  cv::copyMakeBorder(a, a, 0, 0, 0, width - a.cols, cv::BORDER_CONSTANT, cv::Scalar::all(255));
  cv::copyMakeBorder(b, b, 0, 0, 0, width - b.cols, cv::BORDER_CONSTANT, cv::Scalar::all(255));
  cv::Mat both;
  cv::vconcat(a, b, both);
  OcrPipeline pipeline(onnx(), dir, two_threads());
  const auto lines = pipeline.recognize(both);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_LT(lines[0].box[0].y, lines[1].box[0].y);
  EXPECT_LT(distance(lines[0].text, top->text), distance(lines[0].text, bottom->text));
  EXPECT_LT(distance(lines[1].text, bottom->text), distance(lines[1].text, top->text));
}

TEST(OcrZoo, ErrorsNameTheFile) {
  const std::string dir = ocr_dir();
  const fs::path tmp = fs::path(::testing::TempDir()) / "ocr_zoo_test";
  fs::create_directories(tmp);
  const auto expect_message = [](const auto& f, const std::string& needle) {
    try {
      f();
      ADD_FAILURE() << "no exception, expected one naming " << needle;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  // A models folder without the models.
  expect_message([&] { OcrPipeline(onnx(), tmp.string()); }, (tmp / kDetFile).string());
  expect_message([&] { OcrPipeline(onnx(), (tmp / "nowhere").string()); },
                 (tmp / "nowhere").string());
  // Not an image, no such image.
  const fs::path text = tmp / "not-an-image.png";
  std::ofstream(text) << "hello";
  expect_message([&] { read_image(text.string()); }, text.string());
  expect_message([&] { read_image((tmp / "missing.png").string()); },
                 (tmp / "missing.png").string());
  // Labels that are not a list of {file, text}.
  const fs::path labels = tmp / "labels.json";
  std::ofstream(labels) << R"([{"file": "a.png"}])";
  expect_message([&] { read_labels(labels.string()); }, labels.string());

  OcrPipeline pipeline(onnx(), dir, two_threads());
  EXPECT_THROW(pipeline.recognize(cv::Mat()), std::invalid_argument);
  EXPECT_THROW(pipeline.recognize(cv::Mat(64, 64, CV_8UC1)), std::invalid_argument);
  // A blank page has no text.
  EXPECT_TRUE(pipeline.recognize(cv::Mat(64, 256, CV_8UC3, cv::Scalar::all(255))).empty());

  OcrOptions bad = two_threads();
  bad.provider = "no-such-provider";
  try {
    OcrPipeline(onnx(), dir, bad);
    ADD_FAILURE() << "unknown provider accepted";
  } catch (const engine::EngineError& e) {
    EXPECT_EQ(e.kind(), engine::EngineError::Kind::kUnknownProvider) << e.what();
  }
  fs::remove_all(tmp);
}

}  // namespace
}  // namespace wattserve::ocr
