// DB postprocessing on synthetic probability maps: boxes, scores, unclip geometry, clipping,
// scaling to the source image and reading order.
#include "ocr/db_postprocess.h"

#include <gtest/gtest.h>

#include <cmath>

namespace wattserve::ocr {
namespace {

// A map of `size` with value `p` over each rectangle (x, y, w, h in pixels).
cv::Mat map_with(cv::Size size, const std::vector<cv::Rect>& rects, float p = 0.9f) {
  cv::Mat m = cv::Mat::zeros(size, CV_32FC1);
  for (const auto& r : rects) m(r).setTo(p);
  return m;
}

void expect_quad_near(const Quad& q, float x0, float y0, float x1, float y1, float tol) {
  EXPECT_NEAR(q[0].x, x0, tol) << "top-left x";
  EXPECT_NEAR(q[0].y, y0, tol) << "top-left y";
  EXPECT_NEAR(q[1].x, x1, tol) << "top-right x";
  EXPECT_NEAR(q[1].y, y0, tol) << "top-right y";
  EXPECT_NEAR(q[2].x, x1, tol) << "bottom-right x";
  EXPECT_NEAR(q[2].y, y1, tol) << "bottom-right y";
  EXPECT_NEAR(q[3].x, x0, tol) << "bottom-left x";
  EXPECT_NEAR(q[3].y, y1, tol) << "bottom-left y";
}

TEST(Unclip, GrowsEverySideByAreaTimesRatioOverPerimeter) {
  const cv::RotatedRect r({50, 20}, cv::Size2f(80, 20), 0);
  const float d = 80.0f * 20.0f * 1.5f / (2 * (80.0f + 20.0f));  // 12
  const auto g = unclip(r, 1.5f);
  EXPECT_FLOAT_EQ(g.size.width, 80 + 2 * d);
  EXPECT_FLOAT_EQ(g.size.height, 20 + 2 * d);
  EXPECT_EQ(g.center, r.center);
  EXPECT_EQ(g.angle, r.angle);
  // Rotated: the same growth, the same angle.
  const auto rot = unclip(cv::RotatedRect({0, 0}, cv::Size2f(30, 10), 30), 2.0f);
  EXPECT_FLOAT_EQ(rot.size.width, 30 + 2 * (30.0f * 10 * 2 / 80));
  EXPECT_FLOAT_EQ(rot.angle, 30);
  EXPECT_EQ(unclip(cv::RotatedRect({0, 0}, cv::Size2f(0, 0), 0), 1.5f).size.width, 0);
}

TEST(QuadOf, CornersInClockwiseOrderFromTopLeft) {
  expect_quad_near(quad_of(cv::RotatedRect({50, 20}, cv::Size2f(80, 20), 0)), 10, 10, 90, 30,
                   1e-4f);
  // A slightly rotated box keeps top-left first and clockwise order.
  const Quad q = quad_of(cv::RotatedRect({50, 50}, cv::Size2f(60, 10), 10));
  EXPECT_LT(q[0].x, q[1].x);
  EXPECT_LT(q[0].y, q[3].y);
  EXPECT_LT(q[3].x, q[2].x);
  EXPECT_LT(q[1].y, q[2].y);
}

TEST(BoxScore, MeanProbabilityInsideTheQuad) {
  cv::Mat m = map_with({40, 40}, {{10, 10, 20, 10}}, 0.8f);
  const Quad inside{cv::Point2f(10, 10), {29, 10}, {29, 19}, {10, 19}};
  EXPECT_NEAR(box_score(m, inside), 0.8f, 1e-6f);
  const Quad half{cv::Point2f(10, 10), {29, 10}, {29, 29}, {10, 29}};
  EXPECT_NEAR(box_score(m, half), 0.4f, 1e-6f);
}

TEST(DbPostprocess, TwoRectanglesGiveTwoBoxesInReadingOrder) {
  // The lower rectangle is left and first in memory; the upper one must come first.
  const cv::Mat m = map_with({240, 120}, {{20, 70, 60, 20}, {100, 20, 80, 20}});
  const auto boxes = boxes_from_probability_map(m, {}, m.size());
  ASSERT_EQ(boxes.size(), 2u);
  // Pixel centres 100..179 x 20..39: a 79 x 19 rectangle, grown by 79*19*1.5/(2*98) on each side.
  const float d1 = 79.0f * 19 * 1.5f / (2 * (79 + 19));
  expect_quad_near(boxes[0].quad, 100 - d1, 20 - d1, 179 + d1, 39 + d1, 1.01f);
  const float d2 = 59.0f * 19 * 1.5f / (2 * (59 + 19));
  expect_quad_near(boxes[1].quad, 20 - d2, 70 - d2, 79 + d2, 89 + d2, 1.01f);
  EXPECT_NEAR(boxes[0].score, 0.9f, 1e-5f);
  EXPECT_NEAR(boxes[1].score, 0.9f, 1e-5f);
}

TEST(DbPostprocess, BoxesOnOneLineGoLeftToRight) {
  // Same line, tops 4 px apart, the right one higher: still left first.
  const cv::Mat m = map_with({300, 80}, {{20, 24, 80, 20}, {160, 20, 80, 24}});
  const auto boxes = boxes_from_probability_map(m, {}, m.size());
  ASSERT_EQ(boxes.size(), 2u);
  EXPECT_LT(boxes[0].quad[0].x, boxes[1].quad[0].x);
}

TEST(DbPostprocess, ScalesToTheSourceAndClipsToIt) {
  // Map at half the source size; the box's unclip reaches past the top-left corner.
  const cv::Mat m = map_with({120, 60}, {{2, 2, 40, 10}});
  const auto boxes = boxes_from_probability_map(m, {}, {240, 120});
  ASSERT_EQ(boxes.size(), 1u);
  const float d = 39.0f * 9 * 1.5f / (2 * (39 + 9));
  expect_quad_near(boxes[0].quad, 0, 0, 2 * (41 + d), 2 * (11 + d), 2.01f);
}

TEST(DbPostprocess, DropsFaintTinyAndEmpty) {
  DbOptions o;
  // Above the pixel threshold (0.3) but below the box threshold (0.6).
  EXPECT_TRUE(
      boxes_from_probability_map(map_with({100, 50}, {{10, 10, 50, 10}}, 0.5f), o, {100, 50})
          .empty());
  // A 2-pixel-high line is below the minimum side.
  EXPECT_TRUE(
      boxes_from_probability_map(map_with({100, 50}, {{10, 10, 50, 2}}), o, {100, 50}).empty());
  EXPECT_TRUE(boxes_from_probability_map(cv::Mat::zeros(50, 100, CV_32FC1), o, {100, 50}).empty());
  EXPECT_THROW(boxes_from_probability_map(cv::Mat(), o, {100, 50}), std::invalid_argument);
  EXPECT_THROW(boxes_from_probability_map(cv::Mat::zeros(5, 5, CV_8UC1), o, {5, 5}),
               std::invalid_argument);
}

TEST(SortReadingOrder, RowsThenColumns) {
  const auto box = [](float x, float y) {
    return DetectedBox{Quad{cv::Point2f(x, y), {x + 10, y}, {x + 10, y + 5}, {x, y + 5}}, 1};
  };
  std::vector<DetectedBox> b{box(50, 42), box(5, 40), box(60, 3), box(0, 0), box(30, 45)};
  sort_reading_order(b, 10);
  const std::vector<std::pair<float, float>> want{{0, 0}, {60, 3}, {5, 40}, {30, 45}, {50, 42}};
  ASSERT_EQ(b.size(), want.size());
  for (std::size_t i = 0; i < b.size(); ++i) {
    EXPECT_EQ(b[i].quad[0].x, want[i].first) << i;
    EXPECT_EQ(b[i].quad[0].y, want[i].second) << i;
  }
}

}  // namespace
}  // namespace wattserve::ocr
