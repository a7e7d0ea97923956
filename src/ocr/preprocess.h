// PaddleOCR's input preprocessing for the PP-OCR models, from 8-bit BGR images (OpenCV order):
//   detector:   resize so both sides are multiples of 32 (the longer side at most max_side),
//               x/255 normalised per channel with ImageNet mean/std, NCHW [1, 3, H, W];
//   recogniser: crop each box upright, resize to height 48 keeping the aspect ratio,
//               (x/255 - 0.5) / 0.5, right-padded with 0 to a common width, NCHW [N, 3, 48, W].
#pragma once

#include <opencv2/core.hpp>
#include <span>

#include "engine/engine.h"
#include "ocr/db_postprocess.h"

namespace wattserve::ocr {

inline constexpr int kRecHeight = 48;
inline constexpr int kRecMinWidth = 320;  // PaddleOCR's rec_image_shape width

// The detector's input size for an image: scaled down (never up) so that the longer side is at
// most max_side, then each side rounded to a multiple of 32 (at least 32). Throws
// std::invalid_argument for an empty image or max_side < 32.
cv::Size det_input_size(cv::Size image, int max_side);

// The detector's input tensor [1, 3, size.height, size.width] for a CV_8UC3 BGR image.
engine::Tensor det_tensor(const cv::Mat& bgr, cv::Size size);

// The width a crop takes at the recogniser's height: ceil(48 * width / height), at least 1.
int rec_width(cv::Size crop);

// The recogniser's input for CV_8UC3 BGR crops: [crops.size(), 3, 48, W] with W the largest
// rec_width() and at least min_width; each crop resized to its own rec_width, the rest 0.
engine::Tensor rec_tensor(std::span<const cv::Mat> crops, int min_width = kRecMinWidth);

// The box cut out of the image and warped upright to (longest top/bottom edge) x (longest
// left/right edge); a crop at least 1.5 times taller than wide is turned 90 degrees
// counter-clockwise (vertical text), as PaddleOCR's get_rotate_crop_image does.
cv::Mat crop_quad(const cv::Mat& bgr, const Quad& quad);

}  // namespace wattserve::ocr
