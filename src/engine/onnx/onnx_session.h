// ONNX Runtime sessions for the onnx engine: the one process-wide Ort::Env, the execution
// providers this ONNX Runtime offers (under wattserve's short lower-case names), and
// open_session(), through which every kind of ONNX model (tensor models, KV-cache text models)
// is loaded, so that they all get the same file checks, providers, threads and errors.
#pragma once

#include <onnxruntime_cxx_api.h>

#include <string>
#include <vector>

#include "engine/engine.h"

namespace wattserve::engine::onnx {

// The process-wide ONNX Runtime environment (created on first use, never destroyed before
// exit). ONNX Runtime logs only errors, to stderr; WATTSERVE_ORT_LOG=1 shows everything.
Ort::Env& ort_env();

// Execution providers usable here, "cpu" first, then e.g. "cuda", "tensorrt", "openvino":
// each provider Ort::GetAvailableProviders() reports that wattserve knows how to enable.
std::vector<std::string> available_providers();

// ONNX Runtime's name of a provider ("cuda" -> "CUDAExecutionProvider"); empty if unknown.
std::string ort_provider_name(const std::string& provider);

// Opens `path` as an ONNX Runtime session with provider opt.provider, opt.threads intra-op
// threads (0: all hardware threads), one inter-op thread and all graph optimisations.
// Throws EngineError: kNotFound (no such file), kUnknownProvider (a provider not in
// available_providers(), or one ONNX Runtime could not enable; the message lists the available
// ones), kBadFormat (ONNX Runtime cannot load the file, with its message);
// std::invalid_argument for threads < 0.
Ort::Session open_session(const std::string& path, const LoadOptions& opt);

// The session's inputs and outputs as wattserve sees them: names, shapes (-1 for a dynamic or
// symbolic dimension) and dtypes. EngineError(kUnsupported) for anything that is not a tensor
// of float32 or int64, naming it.
std::vector<TensorInfo> session_inputs(const Ort::Session& session);
std::vector<TensorInfo> session_outputs(const Ort::Session& session);

}  // namespace wattserve::engine::onnx
