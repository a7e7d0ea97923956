// DB postprocessing (see db_postprocess.h).
#include "ocr/db_postprocess.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace wattserve::ocr {

Quad quad_of(const cv::RotatedRect& rect) {
  std::array<cv::Point2f, 4> p;
  rect.points(p.data());
  std::sort(p.begin(), p.end(),
            [](const cv::Point2f& a, const cv::Point2f& b) { return a.x < b.x; });
  const bool left_first = p[0].y <= p[1].y;
  const bool right_first = p[2].y <= p[3].y;
  return {left_first ? p[0] : p[1], right_first ? p[2] : p[3], right_first ? p[3] : p[2],
          left_first ? p[1] : p[0]};
}

cv::RotatedRect unclip(const cv::RotatedRect& rect, float ratio) {
  const float w = rect.size.width, h = rect.size.height;
  const float perimeter = 2 * (w + h);
  const float d = perimeter > 0 ? w * h * ratio / perimeter : 0;
  return {rect.center, cv::Size2f(w + 2 * d, h + 2 * d), rect.angle};
}

float box_score(const cv::Mat& prob, const Quad& quad) {
  float x0 = quad[0].x, x1 = quad[0].x, y0 = quad[0].y, y1 = quad[0].y;
  for (const auto& p : quad) {
    x0 = std::min(x0, p.x), x1 = std::max(x1, p.x);
    y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  }
  const int xmin = std::clamp(static_cast<int>(std::floor(x0)), 0, prob.cols - 1);
  const int xmax = std::clamp(static_cast<int>(std::ceil(x1)), 0, prob.cols - 1);
  const int ymin = std::clamp(static_cast<int>(std::floor(y0)), 0, prob.rows - 1);
  const int ymax = std::clamp(static_cast<int>(std::ceil(y1)), 0, prob.rows - 1);
  cv::Mat mask = cv::Mat::zeros(ymax - ymin + 1, xmax - xmin + 1, CV_8UC1);
  std::vector<cv::Point> polygon;
  for (const auto& p : quad) {
    polygon.emplace_back(static_cast<int>(p.x) - xmin, static_cast<int>(p.y) - ymin);
  }
  cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{polygon}, cv::Scalar(1));
  const cv::Rect roi(xmin, ymin, mask.cols, mask.rows);
  return static_cast<float>(cv::mean(prob(roi), mask)[0]);
}

void sort_reading_order(std::vector<DetectedBox>& boxes, float line_tolerance) {
  std::stable_sort(boxes.begin(), boxes.end(), [](const DetectedBox& a, const DetectedBox& b) {
    const auto &p = a.quad[0], &q = b.quad[0];
    return p.y != q.y ? p.y < q.y : p.x < q.x;
  });
  // Boxes on one line (tops within the tolerance) go left to right.
  for (std::size_t i = 0; i + 1 < boxes.size(); ++i) {
    for (std::size_t j = i + 1; j > 0; --j) {
      const auto &prev = boxes[j - 1].quad[0], &cur = boxes[j].quad[0];
      if (std::abs(cur.y - prev.y) < line_tolerance && cur.x < prev.x) {
        std::swap(boxes[j - 1], boxes[j]);
      } else {
        break;
      }
    }
  }
}

namespace {

float shorter_side(const cv::RotatedRect& r) {
  return std::min(r.size.width, r.size.height);
}

}  // namespace

std::vector<DetectedBox> boxes_from_probability_map(const cv::Mat& prob, const DbOptions& options,
                                                    cv::Size source) {
  if (prob.empty() || prob.type() != CV_32FC1) {
    throw std::invalid_argument("DB postprocessing needs a non-empty float32 probability map");
  }
  if (source.width <= 0 || source.height <= 0) {
    throw std::invalid_argument("DB postprocessing: the source image is empty");
  }
  cv::Mat bitmap = prob > options.threshold;
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(bitmap, contours, cv::RETR_LIST, cv::CHAIN_APPROX_SIMPLE);
  const float sx = static_cast<float>(source.width) / static_cast<float>(prob.cols);
  const float sy = static_cast<float>(source.height) / static_cast<float>(prob.rows);
  const auto max_x = static_cast<float>(source.width - 1);
  const auto max_y = static_cast<float>(source.height - 1);
  std::vector<DetectedBox> boxes;
  const std::size_t n =
      std::min(contours.size(), static_cast<std::size_t>(std::max(0, options.max_candidates)));
  for (std::size_t i = 0; i < n; ++i) {
    const cv::RotatedRect rect = cv::minAreaRect(contours[i]);
    if (shorter_side(rect) < options.min_side) continue;
    const float score = box_score(prob, quad_of(rect));
    if (score < options.box_threshold) continue;
    const cv::RotatedRect grown = unclip(rect, options.unclip_ratio);
    if (shorter_side(grown) < options.min_side + 2) continue;
    Quad q = quad_of(grown);
    for (auto& p : q) {
      p.x = std::clamp(std::round(p.x * sx), 0.0f, max_x);
      p.y = std::clamp(std::round(p.y * sy), 0.0f, max_y);
    }
    // Clipping can squash a box at the border to a sliver: drop those (PaddleOCR: <= 3 px).
    if (cv::norm(q[0] - q[1]) <= 3 || cv::norm(q[0] - q[3]) <= 3) continue;
    boxes.push_back({q, score});
  }
  sort_reading_order(boxes, options.line_tolerance);
  return boxes;
}

}  // namespace wattserve::ocr
