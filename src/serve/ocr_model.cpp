// OcrModel: the OCR pipeline behind the tensor-model interface (ocr_model.h).
#include "serve/ocr_model.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>

namespace wattserve::serve {

OcrModel::OcrModel(engine::EngineFactory& engine, const std::string& models_dir,
                   const ocr::OcrOptions& options)
    : pipeline_(engine, models_dir, options) {}

std::vector<engine::TensorInfo> OcrModel::inputs() const {
  return {{"image", {-1, -1, -1, 3}, engine::DType::kFloat32}};
}

std::vector<engine::TensorInfo> OcrModel::outputs() const {
  return {{"boxes", {-1, -1, 8}, engine::DType::kFloat32},
          {"scores", {-1, -1}, engine::DType::kFloat32},
          {"text_utf8", {-1, -1, -1}, engine::DType::kInt64}};
}

engine::NamedTensors OcrModel::run(const engine::NamedTensors& in) {
  const auto it = in.find("image");
  if (it == in.end()) throw std::invalid_argument("the OCR model needs an input named 'image'");
  const engine::Tensor& image = it->second;
  if (image.dtype != engine::DType::kFloat32 || image.shape.size() != 4 || image.shape[3] != 3 ||
      image.shape[1] < 1 || image.shape[2] < 1) {
    throw std::invalid_argument("'image' must be FP32 [N, H, W, 3] (RGB, 0-255)");
  }
  image.validate();
  const auto n = image.shape[0];
  const int h = static_cast<int>(image.shape[1]), w = static_cast<int>(image.shape[2]);
  const std::size_t per_image = static_cast<std::size_t>(h) * static_cast<std::size_t>(w) * 3;
  std::vector<std::vector<ocr::TextLine>> lines(static_cast<std::size_t>(n));
  std::size_t max_lines = 0, max_bytes = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    cv::Mat bgr(h, w, CV_8UC3);
    const float* src = image.f32.data() + static_cast<std::size_t>(i) * per_image;
    for (int y = 0; y < h; ++y) {
      auto* row = bgr.ptr<cv::Vec3b>(y);
      for (int x = 0; x < w; ++x, src += 3) {
        for (int c = 0; c < 3; ++c) {  // RGB in, BGR for OpenCV
          const float v = std::isfinite(src[c]) ? std::clamp(std::round(src[c]), 0.0f, 255.0f) : 0;
          row[x][2 - c] = static_cast<unsigned char>(v);
        }
      }
    }
    auto& l = lines[static_cast<std::size_t>(i)] = pipeline_.recognize(bgr);
    max_lines = std::max(max_lines, l.size());
    for (const auto& t : l) max_bytes = std::max(max_bytes, t.text.size());
  }
  const auto L = static_cast<std::int64_t>(max_lines), B = static_cast<std::int64_t>(max_bytes);
  engine::Tensor boxes{{n, L, 8}, engine::DType::kFloat32, {}, {}};
  engine::Tensor scores{{n, L}, engine::DType::kFloat32, {}, {}};
  engine::Tensor text{{n, L, B}, engine::DType::kInt64, {}, {}};
  boxes.f32.assign(static_cast<std::size_t>(n * L * 8), 0.0f);
  scores.f32.assign(static_cast<std::size_t>(n * L), 0.0f);
  text.i64.assign(static_cast<std::size_t>(n * L * B), 0);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    for (std::size_t j = 0; j < lines[i].size(); ++j) {
      const auto& t = lines[i][j];
      const std::size_t line = i * max_lines + j;
      for (std::size_t k = 0; k < 4; ++k) {
        boxes.f32[line * 8 + 2 * k] = t.box[k].x;
        boxes.f32[line * 8 + 2 * k + 1] = t.box[k].y;
      }
      scores.f32[line] = t.score;
      for (std::size_t b = 0; b < t.text.size(); ++b) {
        text.i64[line * max_bytes + b] = static_cast<unsigned char>(t.text[b]);
      }
    }
  }
  return {
      {"boxes", std::move(boxes)}, {"scores", std::move(scores)}, {"text_utf8", std::move(text)}};
}

}  // namespace wattserve::serve
