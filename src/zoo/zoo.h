// The demo model zoo as wattserve reads it: ZOO/manifest.json (written by scripts/build_zoo.sh)
// lists every model file with its family, format and engines. resolve() turns what a user
// types (`--model pycode-small --engine onnx`, or a file path) into a file and an engine, with
// errors that say what is available.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wattserve::zoo {

struct ZooEntry {
  std::string name;                  // unique per file, e.g. "pycode-small-gguf-q8_0"
  std::string model;                 // what --model takes, e.g. "pycode-small"
  std::string family;                // "text-pycode", "fmnist-cnn"
  std::string kind;                  // "text" or "tensor"
  std::string size;                  // "tiny", "small", "base"
  std::string format;                // "gguf-f32", "gguf-q8_0", "onnx", "torchscript"
  std::vector<std::string> engines;  // "llama", "onnx", "torch"
  std::string path;                  // absolute path of the file
  std::int64_t parameters = 0;
  std::int64_t file_bytes = 0;
  std::string quality_metric;  // "test_accuracy", "heldout_perplexity_per_token"
  double quality_value = 0;
  std::string sample_input, sample_labels;  // tensor models: pinned .npy sample (may be empty)
};

// $WATTSERVE_ZOO if set and non-empty, else the zoo this build was configured with.
std::string default_zoo_dir();

// Reads ZOO/manifest.json. Throws std::runtime_error naming the file when it is missing
// (with how to build it) or malformed.
std::vector<ZooEntry> read_manifest(const std::string& zoo_dir);

struct Resolved {
  std::string path;
  std::string engine;
  std::optional<ZooEntry> entry;  // set when the model came from the zoo
};

// The engine that reads a file, from its extension (.gguf llama, .onnx onnx, .pt torch); empty
// when unknown.
std::string engine_for_path(const std::string& path);

// `model` is a path when it names an existing file or contains '/'; the engine is then `engine`
// or the one its extension implies. Otherwise it is a zoo model name (or a unique file name from
// the manifest): `engine` picks among its files (empty: llama, else onnx, else torch), and for
// llama `quant` picks the GGUF (f32, q8_0, q4_0, f16; empty: f32 when the model has it, else its
// first GGUF). Throws std::invalid_argument with the choices.
Resolved resolve(const std::string& model, const std::string& engine, const std::string& quant,
                 const std::string& zoo_dir);

}  // namespace wattserve::zoo
