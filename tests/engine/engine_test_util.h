// Shared helpers for the engine tests: the plug-in directory and llama.cpp's test vocabularies,
// both passed by CMake. A missing file fails the test with a message; nothing is skipped.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "engine/engines.h"

namespace wattserve::engine::test {

inline EngineFactory& llama() {
  return load_engine("llama", WATTSERVE_TEST_PLUGIN_DIR);
}

inline std::string vocab_path(const std::string& name) {
  const std::string path = std::string(WATTSERVE_LLAMA_MODELS_DIR) + "/" + name;
  EXPECT_TRUE(std::filesystem::exists(path))
      << "missing " << path << ": llama.cpp's source tree with its test vocabularies "
      << "(models/ggml-vocab-*.gguf) is expected under WATTSERVE_DEPS; run scripts/setup.sh";
  return path;
}

inline LoadOptions vocab_only() {
  LoadOptions o;
  o.vocab_only = true;
  return o;
}

}  // namespace wattserve::engine::test
