// read_npy: reads what numpy.save writes (header v1, C order) for each supported dtype, and
// rejects what it cannot read with an error naming the file.
#include "run/npy.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace wattserve::run {
namespace {

namespace fs = std::filesystem;

// Writes a v1 .npy file the way numpy does: header padded with spaces to a multiple of 64.
std::string write_npy(const std::string& name, const std::string& dict, const std::string& data,
                      char version = 1) {
  const fs::path p = fs::temp_directory_path() / ("wattserve_npy_" + name + ".npy");
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream out(p, std::ios::binary);
  out.write("\x93NUMPY", 6);
  out.put(version);
  out.put(0);
  out.put(static_cast<char>(header.size() & 0xff));
  out.put(static_cast<char>(header.size() >> 8));
  out << header << data;
  return p.string();
}

template <typename T>
std::string bytes_of(std::initializer_list<T> values) {
  std::string s;
  for (T v : values) s.append(reinterpret_cast<const char*>(&v), sizeof(T));
  return s;
}

TEST(ReadNpy, Float32Matrix) {
  const auto p = write_npy("f4", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                           bytes_of<float>({1, 2, 3, 4, 5, 6.5f}));
  const auto t = read_npy(p);
  EXPECT_EQ(t.dtype, engine::DType::kFloat32);
  EXPECT_EQ(t.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(t.f32, (std::vector<float>{1, 2, 3, 4, 5, 6.5f}));
}

TEST(ReadNpy, IntegersBecomeInt64AndDoublesFloat32) {
  auto t = read_npy(write_npy("u1", "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }",
                              bytes_of<std::uint8_t>({0, 9, 255})));
  EXPECT_EQ(t.dtype, engine::DType::kInt64);
  EXPECT_EQ(t.i64, (std::vector<std::int64_t>{0, 9, 255}));
  t = read_npy(write_npy("i4", "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
                         bytes_of<std::int32_t>({-5, 7})));
  EXPECT_EQ(t.i64, (std::vector<std::int64_t>{-5, 7}));
  t = read_npy(write_npy("f8", "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }",
                         bytes_of<double>({0.25, -1})));
  EXPECT_EQ(t.f32, (std::vector<float>{0.25f, -1.0f}));
  t = read_npy(write_npy("scalar", "{'descr': '<i8', 'fortran_order': False, 'shape': (), }",
                         bytes_of<std::int64_t>({42})));
  EXPECT_TRUE(t.shape.empty());
  EXPECT_EQ(t.i64, (std::vector<std::int64_t>{42}));
}

TEST(ReadNpy, RejectsWhatItCannotRead) {
  EXPECT_THROW(read_npy("/nonexistent/x.npy"), std::runtime_error);
  const auto not_npy = fs::temp_directory_path() / "wattserve_npy_text.npy";
  std::ofstream(not_npy) << "hello, not numpy";
  EXPECT_THROW(read_npy(not_npy.string()), std::runtime_error);
  EXPECT_THROW(
      read_npy(write_npy("fortran", "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }",
                         bytes_of<float>({1}))),
      std::runtime_error);
  EXPECT_THROW(
      read_npy(write_npy("big", "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }",
                         bytes_of<float>({1}))),
      std::runtime_error);
  try {
    read_npy(write_npy("short", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }",
                       bytes_of<float>({1, 2})));
    FAIL() << "truncated data accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wattserve::run
