// Accuracy of the OCR pipeline on labelled images (models/ocr/render.py writes them): every
// image is recognised, its lines joined with single spaces in reading order, and compared with
// the label (text_metrics.h gives the formulas).
#pragma once

#include <string>
#include <vector>

#include "ocr/ocr.h"

namespace wattserve::ocr {

struct LabeledImage {
  std::string file;  // as resolved against the labels file's folder
  std::string text;  // the ground truth
};

// labels.json: a JSON array of objects with "file" (relative to the labels file's folder, or
// absolute) and "text"; other keys are ignored. Throws std::invalid_argument naming the file and
// the entry when it is missing, malformed or empty.
std::vector<LabeledImage> read_labels(const std::string& labels_path);

struct EvalItem {
  std::string file, expected, predicted;
  bool exact = false;
  std::size_t edits = 0, chars = 0;
  std::vector<TextLine> lines;
  double seconds = 0;  // read_image + recognize
};

struct EvalReport {
  std::vector<EvalItem> items;
  std::size_t exact = 0, edits = 0, chars = 0;
  double exact_line_accuracy = 0;
  double character_accuracy = 0;
  double seconds = 0;      // all items, image decoding included, model loading not
  double items_per_s = 0;  // items / seconds
};

// Runs every image (throws std::invalid_argument naming an image that cannot be read).
EvalReport evaluate(OcrPipeline& pipeline, const std::vector<LabeledImage>& images);

// The predicted text of an image: its lines' texts joined with " ".
std::string joined_text(const std::vector<TextLine>& lines);

}  // namespace wattserve::ocr
