// Loading TorchScript files for the torch engine: the providers LibTorch can use here, the
// threads it runs with, and load_module(), through which every kind of TorchScript model
// (tensor models, KV-cache text models) is loaded with the same checks and errors.
//
// LibTorch's headers are heavy to compile (~30 s and >1 GB per file): only the torch engine's
// few .cpp files include this header.
#pragma once

#include <torch/script.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace wattserve::engine::libtorch {

// The extra file (inside the TorchScript archive) with wattserve's metadata, JSON:
//   {"kind": "classifier" | "text" | ..., "inputs": {"image": [-1,1,28,28]}, "outputs": ["logits"],
//    "tokenizer": "<file relative to the model>" (text models)}
// An input or output may also be {"shape": [...], "dtype": "float32" | "int64"}; "outputs" may
// be a list of names or an object name -> shape (in order).
inline constexpr const char* kMetadataFile = "wattserve.json";

// "cpu", then "cuda" when LibTorch sees a CUDA device.
std::vector<std::string> available_providers();

struct LoadedModule {
  torch::jit::Module module;  // in eval mode, on `device`
  torch::Device device = torch::kCPU;
  std::string provider;
  // The extra files the archive holds, of kMetadataFile and those requested (name -> contents);
  // absent ones are left out.
  std::map<std::string, std::string> extra_files;
  // kMetadataFile parsed (keys in file order); null when the archive has none.
  nlohmann::ordered_json metadata;
};

// Loads the TorchScript file `path` onto opt.provider's device with its extra files
// kMetadataFile and `extra_files`, and sets LibTorch's intra-op threads to opt.threads
// (0: all hardware threads; LibTorch's thread pool is per process, so the last load wins).
// Throws EngineError: kNotFound, kUnknownProvider (listing the available ones), kBadFormat (not
// TorchScript, e.g. a pickled state dict, with LibTorch's reason; no forward() method; invalid
// JSON in kMetadataFile); std::invalid_argument for threads < 0.
LoadedModule load_module(const std::string& path, const LoadOptions& opt,
                         const std::vector<std::string>& extra_files = {});

// The reason of a LibTorch error in one line, without C++ backtrace or TorchScript traceback.
std::string torch_message(const std::exception& e);

}  // namespace wattserve::engine::libtorch
