// Shared helpers for the tensor-engine tests (onnx, torch): the plug-ins, the model zoo's
// classifier files, the pinned Fashion-MNIST sample and eager PyTorch's results on it, and
// error checks. A missing zoo file fails the test with how to build it; nothing is skipped.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/engines.h"

namespace wattserve::engine::test {

inline EngineFactory& engine(const std::string& name) {
  return load_engine(name, WATTSERVE_TEST_PLUGIN_DIR);
}

// The model zoo: $WATTSERVE_ZOO if set, else the build's WATTSERVE_ZOO_DIR.
inline std::string zoo_dir() {
  const char* env = std::getenv("WATTSERVE_ZOO");
  return env && *env ? env : WATTSERVE_ZOO_DIR;
}

// A file of the zoo; throws (failing the test) when it is missing.
inline std::string zoo_file(const std::string& relative) {
  const std::string path = zoo_dir() + "/" + relative;
  if (!std::filesystem::is_regular_file(path)) {
    throw std::runtime_error("missing model zoo file " + path +
                             ": build the zoo with scripts/build_zoo.sh (or point WATTSERVE_ZOO "
                             "at one)");
  }
  return path;
}

inline const std::vector<std::string>& classifier_sizes() {
  static const std::vector<std::string> sizes{"tiny", "small", "base"};
  return sizes;
}

// fmnist-cnn-<size> in the zoo as the given engine reads it.
inline std::string classifier_path(const std::string& engine_name, const std::string& size) {
  return zoo_file("classifier/fmnist-cnn-" + size +
                  (engine_name == "onnx" ? ".onnx" : ".torchscript.pt"));
}

constexpr std::int64_t kImagePixels = 28 * 28;

// The pinned sample (models/classifier/data/): the first 64 Fashion-MNIST test images.
struct Sample {
  std::vector<float> images;  // [64,1,28,28]
  std::vector<std::uint8_t> labels;
  std::size_t count() const { return labels.size(); }
  // Images [first, first + n) as the classifiers' "image" input [n,1,28,28].
  Tensor batch(std::size_t first, std::size_t n) const {
    Tensor t;
    t.shape = {static_cast<std::int64_t>(n), 1, 28, 28};
    const auto begin = images.begin() + static_cast<std::ptrdiff_t>(first * kImagePixels);
    t.f32.assign(begin, begin + static_cast<std::ptrdiff_t>(n * kImagePixels));
    return t;
  }
};

template <typename T>
std::vector<T> read_binary(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot read " + path);
  const auto bytes = static_cast<std::size_t>(in.tellg());
  std::vector<T> out(bytes / sizeof(T));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(bytes));
  return out;
}

inline const Sample& sample() {
  static const Sample s = [] {
    const std::string dir = std::string(WATTSERVE_SOURCE_DIR) + "/models/classifier/data/";
    Sample r{read_binary<float>(dir + "fmnist_t10k_first64_images.f32"),
             read_binary<std::uint8_t>(dir + "fmnist_t10k_first64_labels.u8")};
    if (r.count() != 64 || r.images.size() != 64 * kImagePixels) {
      throw std::runtime_error("the pinned sample in " + dir + " is not 64 images of 28x28");
    }
    return r;
  }();
  return s;
}

// What eager PyTorch gives on the pinned sample: zoo classifier/fmnist-cnn-<size>.sample.json,
// written by models/classifier/export.py.
struct Reference {
  int correct = 0;
  std::vector<int> argmax;
  std::vector<float> logits;  // [64,10]
};

inline Reference reference(const std::string& size) {
  const std::string path = zoo_file("classifier/fmnist-cnn-" + size + ".sample.json");
  std::ifstream in(path);
  const auto j = nlohmann::json::parse(in);
  Reference r;
  r.correct = j.at("correct").get<int>();
  r.argmax = j.at("argmax").get<std::vector<int>>();
  for (const auto& row : j.at("logits")) {
    for (const auto& v : row) r.logits.push_back(v.get<float>());
  }
  return r;
}

// A temporary file with `contents`, removed at scope exit; one name per process (ctest runs
// tests in parallel processes).
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& contents)
      : path_(std::filesystem::temp_directory_path() /
              ("wattserve_" + std::to_string(getpid()) + "_" + name)) {
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Runs f, expecting an EngineError of `kind` whose message contains `needle`.
template <typename F>
void expect_engine_error(F f, EngineError::Kind kind, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no EngineError";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// Runs f, expecting std::invalid_argument whose message contains `needle`.
template <typename F>
void expect_invalid_argument(F f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no std::invalid_argument (expected one about: " << needle << ")";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

inline float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float m = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

}  // namespace wattserve::engine::test
