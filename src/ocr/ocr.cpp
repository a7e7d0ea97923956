// The two-stage pipeline (see ocr.h).
#include "ocr/ocr.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <opencv2/imgcodecs.hpp>
#include <stdexcept>

#include "ocr/ctc.h"
#include "ocr/preprocess.h"

namespace wattserve::ocr {

namespace fs = std::filesystem;

cv::Mat read_image(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw std::invalid_argument(fmt::format("{}: no such image file", path));
  }
  cv::Mat image;
  try {
    image = cv::imread(path, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw std::invalid_argument(fmt::format("{}: cannot decode the image: {}", path, e.what()));
  }
  if (image.empty()) {
    throw std::invalid_argument(
        fmt::format("{}: not an image OpenCV can read (or unreadable)", path));
  }
  return image;
}

namespace {

std::string model_file(const fs::path& dir, const char* name) {
  const fs::path p = dir / name;
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) {
    throw std::invalid_argument(
        fmt::format("missing OCR model file {} (fetch the models with models/ocr/fetch.sh {})",
                    p.string(), dir.string()));
  }
  return p.string();
}

// The one input and the one output of a model, by name.
std::pair<std::string, std::string> single_io(engine::TensorModel& m, const std::string& file) {
  const auto in = m.inputs();
  const auto out = m.outputs();
  if (in.size() != 1 || out.size() != 1) {
    throw std::invalid_argument(
        fmt::format("{}: expected one input and one output, the model has {} and {}", file,
                    in.size(), out.size()));
  }
  return {in[0].name, out[0].name};
}

}  // namespace

OcrPipeline::OcrPipeline(engine::EngineFactory& engine, const std::string& models_dir,
                         const OcrOptions& options)
    : options_(options) {
  const fs::path dir(models_dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw std::invalid_argument(fmt::format(
        "no OCR models folder {} (fetch it with models/ocr/fetch.sh {})", models_dir, models_dir));
  }
  if (options_.rec_batch < 1) throw std::invalid_argument("rec_batch must be >= 1");
  const std::string det_file = model_file(dir, kDetFile);
  const std::string rec_file = model_file(dir, kRecFile);
  labels_ = load_ctc_labels(model_file(dir, kDictionaryFile));
  engine::LoadOptions lo;
  lo.provider = options_.provider;
  lo.threads = options_.threads;
  det_ = engine.load(det_file, lo);
  rec_ = engine.load(rec_file, lo);
  std::tie(det_in_, det_out_) = single_io(det_->tensor(), det_file);
  std::tie(rec_in_, rec_out_) = single_io(rec_->tensor(), rec_file);
  const auto rec_shape = rec_->tensor().outputs()[0].shape;
  if (rec_shape.size() != 3 ||
      (rec_shape[2] >= 0 && rec_shape[2] != static_cast<std::int64_t>(labels_.size()))) {
    throw std::invalid_argument(fmt::format(
        "{}: output shape {} does not fit the dictionary's {} classes (blank + {} + space)",
        rec_file, fmt::join(rec_shape, "x"), labels_.size(), labels_.size() - 2));
  }
}

std::vector<std::string> OcrPipeline::read_crops(const std::vector<cv::Mat>& crops,
                                                 std::vector<float>& scores) {
  // Batches of similar aspect ratio pad least (PaddleOCR sorts the same way).
  std::vector<std::size_t> order(crops.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return rec_width(crops[a].size()) < rec_width(crops[b].size());
  });
  std::vector<std::string> texts(crops.size());
  scores.assign(crops.size(), 0.0f);
  const auto batch = static_cast<std::size_t>(options_.rec_batch);
  for (std::size_t start = 0; start < order.size(); start += batch) {
    const std::size_t n = std::min(batch, order.size() - start);
    std::vector<cv::Mat> group;
    for (std::size_t i = 0; i < n; ++i) group.push_back(crops[order[start + i]]);
    engine::NamedTensors in;
    in.emplace(rec_in_, rec_tensor(group));
    const auto out = rec_->tensor().run(in);
    const auto& probs = out.at(rec_out_);
    const auto& s = probs.shape;
    if (probs.dtype != engine::DType::kFloat32 || s.size() != 3 ||
        s[0] != static_cast<std::int64_t>(n) || s[2] != static_cast<std::int64_t>(labels_.size())) {
      throw std::runtime_error(
          fmt::format("the recogniser returned shape {} for {} crops", fmt::join(s, "x"), n));
    }
    const auto steps = static_cast<std::size_t>(s[1]);
    const std::size_t per_crop = steps * labels_.size();
    for (std::size_t i = 0; i < n; ++i) {
      const auto d =
          ctc_greedy_decode(std::span(probs.f32).subspan(i * per_crop, per_crop), steps, labels_);
      texts[order[start + i]] = d.text;
      scores[order[start + i]] = d.score;
    }
  }
  return texts;
}

std::vector<TextLine> OcrPipeline::recognize(const cv::Mat& bgr) {
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    throw std::invalid_argument("OCR needs a non-empty 8-bit 3-channel (BGR) image");
  }
  const cv::Size size = det_input_size(bgr.size(), options_.det_max_side);
  engine::NamedTensors in;
  in.emplace(det_in_, det_tensor(bgr, size));
  auto out = det_->tensor().run(in);
  auto& map = out.at(det_out_);
  const std::vector<std::int64_t> want{1, 1, size.height, size.width};
  if (map.dtype != engine::DType::kFloat32 || map.shape != want) {
    throw std::runtime_error(fmt::format("the detector returned shape {}, expected {}",
                                         fmt::join(map.shape, "x"), fmt::join(want, "x")));
  }
  const cv::Mat prob(size.height, size.width, CV_32FC1, map.f32.data());
  const auto boxes = boxes_from_probability_map(prob, options_.db, bgr.size());

  std::vector<cv::Mat> crops;
  for (const auto& b : boxes) crops.push_back(crop_quad(bgr, b.quad));
  std::vector<float> scores;
  const auto texts = read_crops(crops, scores);
  std::vector<TextLine> lines;
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    if (scores[i] < options_.drop_score) continue;
    lines.push_back({boxes[i].quad, boxes[i].score, texts[i], scores[i]});
  }
  return lines;
}

}  // namespace wattserve::ocr
