// Model input preprocessing: detector sizes and normalisation, recogniser resize and padding,
// upright crops.
#include "ocr/preprocess.h"

#include <gtest/gtest.h>

namespace wattserve::ocr {
namespace {

TEST(DetInputSize, MultiplesOf32WithAMaxSide) {
  EXPECT_EQ(det_input_size({640, 96}, 960), cv::Size(640, 96));
  EXPECT_EQ(det_input_size({100, 50}, 960), cv::Size(96, 64));  // rounded, never up-scaled
  EXPECT_EQ(det_input_size({10, 5}, 960), cv::Size(32, 32));    // at least 32
  EXPECT_EQ(det_input_size({1920, 1080}, 960), cv::Size(960, 544));
  EXPECT_EQ(det_input_size({1000, 3000}, 960), cv::Size(320, 960));
  EXPECT_THROW(det_input_size({0, 10}, 960), std::invalid_argument);
  EXPECT_THROW(det_input_size({10, 10}, 16), std::invalid_argument);
}

TEST(DetTensor, NchwWithImageNetNormalisationInBgrOrder) {
  cv::Mat img(32, 64, CV_8UC3, cv::Scalar(255, 0, 128));  // B=255, G=0, R=128
  const auto t = det_tensor(img, {64, 32});
  EXPECT_EQ(t.shape, (std::vector<std::int64_t>{1, 3, 32, 64}));
  ASSERT_EQ(t.f32.size(), 3u * 32 * 64);
  EXPECT_NEAR(t.f32[0], (1.0f - 0.485f) / 0.229f, 1e-5f);
  EXPECT_NEAR(t.f32[32 * 64], (0.0f - 0.456f) / 0.224f, 1e-5f);
  EXPECT_NEAR(t.f32[2 * 32 * 64 + 5], (128 / 255.0f - 0.406f) / 0.225f, 1e-5f);
  EXPECT_THROW(det_tensor(cv::Mat(), {32, 32}), std::invalid_argument);
  EXPECT_THROW(det_tensor(cv::Mat(8, 8, CV_8UC1), {32, 32}), std::invalid_argument);
}

TEST(RecTensor, Height48KeepsAspectAndPadsWithZero) {
  const cv::Mat wide(24, 200, CV_8UC3, cv::Scalar(255, 255, 255));  // -> 48 x 400
  const cv::Mat narrow(48, 48, CV_8UC3, cv::Scalar(0, 0, 0));       // -> 48 x 48
  const std::vector<cv::Mat> crops{wide, narrow};
  EXPECT_EQ(rec_width(wide.size()), 400);
  const auto t = rec_tensor(crops);
  EXPECT_EQ(t.shape, (std::vector<std::int64_t>{2, 3, 48, 400}));
  const std::size_t plane = 48 * 400;
  EXPECT_FLOAT_EQ(t.f32[0], 1.0f);                // white -> 1
  EXPECT_FLOAT_EQ(t.f32[3 * plane + 0], -1.0f);   // black -> -1
  EXPECT_FLOAT_EQ(t.f32[3 * plane + 47], -1.0f);  // last column of the narrow crop
  EXPECT_FLOAT_EQ(t.f32[3 * plane + 48], 0.0f);   // padding
  EXPECT_FLOAT_EQ(t.f32[4 * plane + 399], 0.0f);
  // Narrow crops alone are padded to PaddleOCR's 320.
  EXPECT_EQ(rec_tensor(std::span(crops).subspan(1)).shape[3], kRecMinWidth);
}

TEST(CropQuad, AxisAlignedBoxIsTheSubImage) {
  cv::Mat img(100, 200, CV_8UC3, cv::Scalar(255, 255, 255));
  img(cv::Rect(50, 20, 100, 30)).setTo(cv::Scalar(0, 0, 0));
  const Quad q{cv::Point2f(50, 20), {150, 20}, {150, 50}, {50, 50}};
  const cv::Mat c = crop_quad(img, q);
  EXPECT_EQ(c.size(), cv::Size(100, 30));
  EXPECT_EQ(c.at<cv::Vec3b>(15, 50), cv::Vec3b(0, 0, 0));
}

TEST(CropQuad, TallCropsAreTurned) {
  cv::Mat img(200, 100, CV_8UC3, cv::Scalar(255, 255, 255));
  const Quad q{cv::Point2f(10, 10), {40, 10}, {40, 190}, {10, 190}};  // 30 x 180
  EXPECT_EQ(crop_quad(img, q).size(), cv::Size(180, 30));
}

}  // namespace
}  // namespace wattserve::ocr
