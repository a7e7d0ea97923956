// Model input preprocessing (see preprocess.h).
#include "ocr/preprocess.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace wattserve::ocr {

namespace {

void check_bgr(const cv::Mat& image, const char* what) {
  if (image.empty() || image.type() != CV_8UC3) {
    throw std::invalid_argument(
        fmt::format("{}: expected a non-empty 8-bit 3-channel image", what));
  }
}

}  // namespace

cv::Size det_input_size(cv::Size image, int max_side) {
  if (image.width <= 0 || image.height <= 0) {
    throw std::invalid_argument("the image is empty");
  }
  if (max_side < 32) throw std::invalid_argument("the detector's max side must be >= 32");
  const int longer = std::max(image.width, image.height);
  const double ratio = longer > max_side ? static_cast<double>(max_side) / longer : 1.0;
  const auto snap = [ratio](int side) {
    return std::max(32, static_cast<int>(std::lround(side * ratio / 32.0)) * 32);
  };
  return {snap(image.width), snap(image.height)};
}

engine::Tensor det_tensor(const cv::Mat& bgr, cv::Size size) {
  check_bgr(bgr, "detector input");
  cv::Mat resized;
  cv::resize(bgr, resized, size, 0, 0, cv::INTER_LINEAR);
  constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
  constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};
  const auto h = static_cast<std::size_t>(size.height), w = static_cast<std::size_t>(size.width);
  engine::Tensor t;
  t.shape = {1, 3, size.height, size.width};
  t.f32.resize(3 * h * w);
  for (std::size_t y = 0; y < h; ++y) {
    const auto* row = resized.ptr<cv::Vec3b>(static_cast<int>(y));
    for (std::size_t x = 0; x < w; ++x) {
      for (std::size_t c = 0; c < 3; ++c) {
        t.f32[(c * h + y) * w + x] = (row[x][static_cast<int>(c)] / 255.0f - kMean[c]) / kStd[c];
      }
    }
  }
  return t;
}

int rec_width(cv::Size crop) {
  if (crop.width <= 0 || crop.height <= 0) return 1;
  return std::max(
      1, static_cast<int>(std::ceil(static_cast<double>(kRecHeight) * crop.width / crop.height)));
}

engine::Tensor rec_tensor(std::span<const cv::Mat> crops, int min_width) {
  int width = std::max(1, min_width);
  for (const auto& c : crops) {
    check_bgr(c, "recogniser input");
    width = std::max(width, rec_width(c.size()));
  }
  const auto n = crops.size(), h = static_cast<std::size_t>(kRecHeight);
  const auto w = static_cast<std::size_t>(width);
  engine::Tensor t;
  t.shape = {static_cast<std::int64_t>(n), 3, kRecHeight, width};
  t.f32.assign(n * 3 * h * w, 0.0f);
  for (std::size_t i = 0; i < n; ++i) {
    cv::Mat resized;
    const int cw = rec_width(crops[i].size());
    cv::resize(crops[i], resized, cv::Size(cw, kRecHeight), 0, 0, cv::INTER_LINEAR);
    float* base = t.f32.data() + i * 3 * h * w;
    for (std::size_t y = 0; y < h; ++y) {
      const auto* row = resized.ptr<cv::Vec3b>(static_cast<int>(y));
      for (std::size_t x = 0; x < static_cast<std::size_t>(cw); ++x) {
        for (std::size_t c = 0; c < 3; ++c) {
          base[(c * h + y) * w + x] = (row[x][static_cast<int>(c)] / 255.0f - 0.5f) / 0.5f;
        }
      }
    }
  }
  return t;
}

cv::Mat crop_quad(const cv::Mat& bgr, const Quad& quad) {
  check_bgr(bgr, "crop");
  const double width = std::max(cv::norm(quad[0] - quad[1]), cv::norm(quad[3] - quad[2]));
  const double height = std::max(cv::norm(quad[0] - quad[3]), cv::norm(quad[1] - quad[2]));
  const int w = std::max(1, static_cast<int>(width));
  const int h = std::max(1, static_cast<int>(height));
  const auto fw = static_cast<float>(w), fh = static_cast<float>(h);
  const cv::Point2f dst[4] = {{0, 0}, {fw, 0}, {fw, fh}, {0, fh}};
  const cv::Mat m = cv::getPerspectiveTransform(quad.data(), dst);
  cv::Mat out;
  cv::warpPerspective(bgr, out, m, cv::Size(w, h), cv::INTER_CUBIC, cv::BORDER_REPLICATE);
  if (static_cast<double>(h) / w >= 1.5) cv::rotate(out, out, cv::ROTATE_90_COUNTERCLOCKWISE);
  return out;
}

}  // namespace wattserve::ocr
