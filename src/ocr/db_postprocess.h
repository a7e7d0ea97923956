// DB (Differentiable Binarization) postprocessing, as PaddleOCR does it for the PP-OCR text
// detector: threshold the text probability map, take the contours of the text regions, fit a
// minimum-area rectangle to each, keep those whose mean probability is high enough, grow each
// by the unclip offset, scale to the source image and sort into reading order.
#pragma once

#include <array>
#include <opencv2/core.hpp>
#include <vector>

namespace wattserve::ocr {

// A text box: top-left, top-right, bottom-right, bottom-left (image pixels, x right, y down).
using Quad = std::array<cv::Point2f, 4>;

struct DbOptions {
  float threshold = 0.3f;      // a map pixel is text when its probability is above this
  float box_threshold = 0.6f;  // keep a box whose mean probability inside is at least this
  float unclip_ratio = 1.5f;   // offset distance = area * ratio / perimeter
  float min_side = 3;          // drop boxes whose shorter side is below this (map pixels)
  int max_candidates = 1000;   // contours looked at, at most
  float line_tolerance = 10;   // boxes whose tops differ by less are on one line (pixels)
};

struct DetectedBox {
  Quad quad;
  float score = 0;  // mean probability inside the box before unclipping
};

// The rectangle's corners as a Quad: of the two leftmost corners the upper is top-left, of the
// two rightmost the upper is top-right (PaddleOCR's get_mini_boxes).
Quad quad_of(const cv::RotatedRect& rect);

// The rectangle grown by d = area * ratio / perimeter on every side: for a rectangle this is
// the minimum-area rectangle around the polygon offset (pyclipper) that PaddleOCR computes.
cv::RotatedRect unclip(const cv::RotatedRect& rect, float ratio);

// Mean of `prob` over the pixels inside `quad` (map coordinates).
float box_score(const cv::Mat& prob, const Quad& quad);

// Sorts top-to-bottom, then left-to-right within a line (PaddleOCR's sorted_boxes).
void sort_reading_order(std::vector<DetectedBox>& boxes, float line_tolerance);

// `prob`: the detector's map, CV_32FC1, one value per pixel of the resized input. Boxes come
// back in `source` image coordinates (scaled by source / map size, clipped to the image), in
// reading order. Throws std::invalid_argument for an empty or non-float map.
std::vector<DetectedBox> boxes_from_probability_map(const cv::Mat& prob, const DbOptions& options,
                                                    cv::Size source);

}  // namespace wattserve::ocr
