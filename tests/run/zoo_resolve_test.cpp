// zoo::resolve: model names pick the file for the engine (and GGUF quantisation), paths infer
// the engine from the extension, and every failure says what is available.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "zoo/zoo.h"

namespace wattserve::zoo {
namespace {

namespace fs = std::filesystem;

class ZooResolve : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wattserve_zoo_" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "text");
    fs::create_directories(dir_ / "classifier");
    nlohmann::json entries = nlohmann::json::array();
    const auto add = [&](const std::string& name, const std::string& model,
                         const std::string& format, const std::string& engine,
                         const std::string& file, const std::string& kind) {
      entries.push_back({{"name", name},
                         {"model", model},
                         {"family", "f"},
                         {"kind", kind},
                         {"size", "tiny"},
                         {"format", format},
                         {"engines", {engine}},
                         {"file", file},
                         {"parameters", 10},
                         {"file_bytes", 1},
                         {"quality", {{"metric", "test_accuracy"}, {"value", 0.75}}}});
      std::ofstream(dir_ / file) << "x";
    };
    add("pycode-tiny-gguf-q8_0", "pycode-tiny", "gguf-q8_0", "llama", "text/t-q8.gguf", "text");
    add("pycode-tiny-gguf-f32", "pycode-tiny", "gguf-f32", "llama", "text/t-f32.gguf", "text");
    add("replica-gguf-q8_0", "replica", "gguf-q8_0", "llama", "text/r-q8.gguf", "text");
    entries.back()["quality"] = {{"metric", nullptr}, {"value", nullptr}};  // as replicas have
    add("pycode-tiny-onnx", "pycode-tiny", "onnx", "onnx", "text/t.onnx", "text");
    add("cnn-tiny-torchscript", "cnn-tiny", "torchscript", "torch", "classifier/c.pt", "tensor");
    entries.back()["sample"] = {{"input", "classifier/s.npy"}, {"labels", "classifier/l.npy"}};
    std::ofstream(dir_ / "manifest.json") << nlohmann::json{{"entries", entries}}.dump();
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }
  fs::path dir_;
};

TEST_F(ZooResolve, NamePicksEngineAndQuantisation) {
  auto r = resolve("pycode-tiny", "", "f32", dir());
  EXPECT_EQ(r.engine, "llama");
  EXPECT_EQ(r.path, (dir_ / "text/t-f32.gguf").string());
  ASSERT_TRUE(r.entry);
  EXPECT_EQ(r.entry->format, "gguf-f32");
  EXPECT_EQ(resolve("pycode-tiny", "llama", "q8_0", dir()).path,
            (dir_ / "text/t-q8.gguf").string());
  EXPECT_EQ(resolve("pycode-tiny", "onnx", "f32", dir()).path, (dir_ / "text/t.onnx").string());
  // No --quant: f32 first, whatever the manifest order; an exact file name needs no --quant.
  EXPECT_EQ(resolve("pycode-tiny", "llama", "", dir()).entry->format, "gguf-f32");
  EXPECT_EQ(resolve("replica", "", "", dir()).entry->format, "gguf-q8_0");
  EXPECT_EQ(resolve("pycode-tiny-gguf-q8_0", "", "f32", dir()).entry->format, "gguf-q8_0");
  r = resolve("cnn-tiny", "", "f32", dir());
  EXPECT_EQ(r.engine, "torch");
  EXPECT_EQ(r.entry->kind, "tensor");
  EXPECT_EQ(r.entry->sample_input, (dir_ / "classifier/s.npy").string());
  EXPECT_DOUBLE_EQ(r.entry->quality_value, 0.75);
}

TEST_F(ZooResolve, ErrorsListWhatExists) {
  const auto message = [&](const std::string& model, const std::string& engine,
                           const std::string& quant) {
    try {
      resolve(model, engine, quant, dir());
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("gpt-9", "", "f32").find("cnn-tiny, pycode-tiny, replica"), std::string::npos);
  EXPECT_NE(message("pycode-tiny", "torch", "f32").find("llama, onnx"), std::string::npos);
  EXPECT_NE(message("pycode-tiny", "llama", "q4_0").find("gguf-f32, gguf-q8_0"), std::string::npos);
  fs::remove(dir_ / "text/t.onnx");
  EXPECT_NE(message("pycode-tiny", "onnx", "f32").find("build_zoo.sh"), std::string::npos);
  EXPECT_THROW(read_manifest((dir_ / "nowhere").string()), std::runtime_error);
  std::ofstream(dir_ / "manifest.json") << "{ not json";
  EXPECT_THROW(read_manifest(dir()), std::runtime_error);
}

TEST_F(ZooResolve, PathsInferTheEngine) {
  EXPECT_EQ(resolve("/some/where/m.onnx", "", "f32", dir()).engine, "onnx");
  EXPECT_EQ(resolve("./m.gguf", "", "f32", dir()).engine, "llama");
  EXPECT_EQ(resolve("dir/m.pt", "", "f32", dir()).engine, "torch");
  EXPECT_EQ(resolve("dir/m.bin", "onnx", "f32", dir()).engine, "onnx");
  EXPECT_FALSE(resolve("dir/m.onnx", "", "f32", dir()).entry);
  EXPECT_THROW(resolve("dir/m.bin", "", "f32", dir()), std::invalid_argument);
  EXPECT_THROW(resolve("", "", "f32", dir()), std::invalid_argument);
}

}  // namespace
}  // namespace wattserve::zoo
