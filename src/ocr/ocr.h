// wattserve_ocr: two-stage OCR with PaddleOCR's PP-OCRv4 models (models/ocr/README.md). The DB
// text detector finds the text boxes of an image; each box is cropped upright and read by the
// SVTR-LCNet recogniser, whose per-step class probabilities are CTC-decoded with the
// ppocr_keys_v1.txt dictionary. Lines come back in reading order. It is the demo zoo's
// real-world tensor workload with a measurable accuracy (evaluate.h, `wattserve ocr`).
//
// Both ONNX models run through the engine interface (engine.h: TensorModel::run on a model the
// caller's engine loads, normally the onnx plug-in), so the pipeline runs on every execution
// provider that engine offers; the models' dynamic input sizes pass its input checks as -1
// dimensions. The pure steps are in preprocess.h, db_postprocess.h, ctc.h and text_metrics.h.
#pragma once

#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "ocr/db_postprocess.h"

namespace wattserve::ocr {

// The files a models folder holds (models/ocr/fetch.sh DIR).
inline constexpr const char* kDetFile = "ch_PP-OCRv4_det_infer.onnx";
inline constexpr const char* kRecFile = "ch_PP-OCRv4_rec_infer.onnx";
inline constexpr const char* kDictionaryFile = "ppocr_keys_v1.txt";

struct OcrOptions {
  std::string provider = "cpu";  // an execution provider of the engine
  int threads = 0;               // CPU threads for each model; 0: all
  int det_max_side = 960;        // the detector's input has its longer side at most this
  DbOptions db;
  int rec_batch = 6;        // crops per recogniser run (sorted by aspect ratio, as PaddleOCR)
  float drop_score = 0.5f;  // drop lines the recogniser reads with a lower mean probability
};

struct TextLine {
  Quad box;             // in image pixels
  float box_score = 0;  // the detector's mean probability inside the box
  std::string text;     // UTF-8
  float score = 0;      // the recogniser's mean probability of the kept characters
};

// Reads an image file as 8-bit BGR. Throws std::invalid_argument naming the file when it is
// missing or not an image OpenCV can decode.
cv::Mat read_image(const std::string& path);

class OcrPipeline {
 public:
  // Loads MODELS_DIR/{kDetFile, kRecFile, kDictionaryFile} with `engine`, which must outlive the
  // pipeline. Throws std::invalid_argument naming a missing or unreadable file or a recogniser
  // whose class count does not match the dictionary, and engine::EngineError when the engine
  // cannot load a model (e.g. an unknown provider).
  OcrPipeline(engine::EngineFactory& engine, const std::string& models_dir,
              const OcrOptions& options = {});

  // The text lines of a CV_8UC3 BGR image, top to bottom, left to right. Throws
  // std::invalid_argument for an empty or non-BGR image, engine::EngineError when a model fails.
  std::vector<TextLine> recognize(const cv::Mat& bgr);

  std::string provider() const { return det_->provider(); }
  const OcrOptions& options() const { return options_; }

 private:
  std::vector<std::string> read_crops(const std::vector<cv::Mat>& crops,
                                      std::vector<float>& scores);

  OcrOptions options_;
  std::vector<std::string> labels_;
  std::unique_ptr<engine::Model> det_, rec_;
  std::string det_in_, det_out_, rec_in_, rec_out_;
};

}  // namespace wattserve::ocr
