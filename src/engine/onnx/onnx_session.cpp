// ONNX Runtime sessions: environment, providers, open_session() (see onnx_session.h).
#include "engine/onnx/onnx_session.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "engine/tensor_check.h"

namespace wattserve::engine::onnx {

namespace {

// How a provider is switched on: a dedicated Append function, or the generic
// SessionOptionsAppendExecutionProvider, which takes the ONNX Runtime name.
enum class Append { kNone, kCuda, kTensorRt, kRocm, kGeneric };

struct ProviderName {
  const char* ours;
  const char* ort;
  Append append;
};

// Our short names for ONNX Runtime's execution providers. DirectML (Windows only) is missing:
// its Append function lives in a header this Linux package does not ship.
constexpr ProviderName kProviders[] = {
    {"cpu", "CPUExecutionProvider", Append::kNone},
    {"cuda", "CUDAExecutionProvider", Append::kCuda},
    {"tensorrt", "TensorrtExecutionProvider", Append::kTensorRt},
    {"rocm", "ROCMExecutionProvider", Append::kRocm},
    {"openvino", "OpenVINOExecutionProvider", Append::kGeneric},
    {"coreml", "CoreMLExecutionProvider", Append::kGeneric},
    {"qnn", "QNNExecutionProvider", Append::kGeneric},
    {"xnnpack", "XnnpackExecutionProvider", Append::kGeneric},
    {"webgpu", "WebGpuExecutionProvider", Append::kGeneric},
    {"vitisai", "VitisAIExecutionProvider", Append::kGeneric},
};

const ProviderName* find_provider(const std::string& ours) {
  for (const auto& p : kProviders) {
    if (ours == p.ours) return &p;
  }
  return nullptr;
}

void append_provider(Ort::SessionOptions& so, const ProviderName& p) {
  switch (p.append) {
    case Append::kNone:
      return;
    case Append::kCuda: {
      OrtCUDAProviderOptions cuda;  // device 0, ONNX Runtime's defaults
      so.AppendExecutionProvider_CUDA(cuda);
      return;
    }
    case Append::kTensorRt: {
      OrtTensorRTProviderOptionsV2* trt = nullptr;
      Ort::ThrowOnError(Ort::GetApi().CreateTensorRTProviderOptions(&trt));
      try {
        so.AppendExecutionProvider_TensorRT_V2(*trt);
      } catch (...) {
        Ort::GetApi().ReleaseTensorRTProviderOptions(trt);
        throw;
      }
      Ort::GetApi().ReleaseTensorRTProviderOptions(trt);
      return;
    }
    case Append::kRocm: {
      OrtROCMProviderOptions rocm;
      so.AppendExecutionProvider_ROCM(rocm);
      return;
    }
    case Append::kGeneric:
      so.AppendExecutionProvider(p.ort);
      return;
  }
}

// Where ONNX Runtime's CUDA provider library must be for our CPU libonnxruntime.so to load it:
// beside that library (ONNX Runtime looks there). Empty when the library's folder is unknown.
std::string cuda_provider_path() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&OrtGetApiBase), &info) == 0 || !info.dli_fname) return "";
  return (std::filesystem::path(info.dli_fname).parent_path() / "libonnxruntime_providers_cuda.so")
      .string();
}

bool cuda_provider_present() {
  const std::string p = cuda_provider_path();
  std::error_code ec;
  return !p.empty() && std::filesystem::is_regular_file(p, ec);
}

std::string provider_list() {
  std::string list;
  for (const auto& a : available_providers()) list += (list.empty() ? "" : ", ") + a;
  return list;
}

const char* element_type_name(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
      return "float32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
      return "uint8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
      return "int8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16:
      return "uint16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16:
      return "int16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
      return "int32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      return "int64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING:
      return "string";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
      return "bool";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
      return "float16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
      return "float64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16:
      return "bfloat16";
    default:
      return "a type wattserve does not name";
  }
}

TensorInfo describe(const std::string& what, const std::string& name, const Ort::TypeInfo& type) {
  if (type.GetONNXType() != ONNX_TYPE_TENSOR) {
    throw EngineError(EngineError::Kind::kUnsupported,
                      what + " '" + name +
                          "' is not a tensor (a sequence, map or optional); the onnx engine "
                          "handles tensor inputs and outputs only");
  }
  const auto t = type.GetTensorTypeAndShapeInfo();
  TensorInfo info;
  info.name = name;
  info.shape = t.GetShape();
  for (auto& d : info.shape) {
    if (d < 0) d = -1;  // ONNX Runtime reports symbolic dimensions ("batch") as -1
  }
  switch (t.GetElementType()) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
      info.dtype = DType::kFloat32;
      break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      info.dtype = DType::kInt64;
      break;
    default:
      throw EngineError(EngineError::Kind::kUnsupported,
                        what + " '" + name + "' " + shape_text(info.shape) + " has dtype " +
                            element_type_name(t.GetElementType()) +
                            "; wattserve tensors are float32 or int64");
  }
  return info;
}

}  // namespace

Ort::Env& ort_env() {
  static Ort::Env env = [] {
    const char* v = std::getenv("WATTSERVE_ORT_LOG");
    const bool verbose = v && *v && std::strcmp(v, "0") != 0;
    return Ort::Env(verbose ? ORT_LOGGING_LEVEL_VERBOSE : ORT_LOGGING_LEVEL_ERROR, "wattserve");
  }();
  return env;
}

std::vector<std::string> available_providers() {
  std::vector<std::string> out{"cpu"};
  const std::vector<std::string> ort = Ort::GetAvailableProviders();
  for (const auto& p : kProviders) {
    if (std::strcmp(p.ours, "cpu") == 0) continue;
    const bool listed = std::find(ort.begin(), ort.end(), p.ort) != ort.end();
    // CUDA: also when its provider library sits beside the CPU build's libonnxruntime.so (the
    // legacy options struct loads it from there; this build's list does not name it).
    if (listed || (p.append == Append::kCuda && cuda_provider_present())) out.emplace_back(p.ours);
  }
  return out;
}

std::string ort_provider_name(const std::string& provider) {
  const ProviderName* p = find_provider(provider);
  return p ? p->ort : "";
}

Ort::Session open_session(const std::string& path, const LoadOptions& opt) {
  const auto available = available_providers();
  if (opt.provider == "cuda" &&
      std::find(available.begin(), available.end(), "cuda") == available.end()) {
    const std::string where = cuda_provider_path();
    throw EngineError(
        EngineError::Kind::kUnknownProvider,
        "engine onnx: execution provider 'cuda' needs ONNX Runtime's CUDA provider library, " +
            (where.empty()
                 ? std::string("libonnxruntime_providers_cuda.so beside libonnxruntime.so")
                 : where) +
            ", which is not there (it comes with the npm package "
            "com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 and needs the CUDA runtime and "
            "cuDNN 9 on the library path; available here: " +
            provider_list() + ")");
  }
  check_provider("onnx", opt.provider, available);
  if (opt.threads < 0) throw std::invalid_argument("threads must be >= 0, 0 = all");
  check_model_file(path);

  Ort::SessionOptions so;
  const int threads = opt.threads > 0
                          ? opt.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  so.SetIntraOpNumThreads(threads);
  so.SetInterOpNumThreads(1);
  so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  try {
    append_provider(so, *find_provider(opt.provider));
  } catch (const Ort::Exception& e) {
    // Listed by this ONNX Runtime, but not usable here (e.g. no driver or runtime library).
    throw EngineError(EngineError::Kind::kUnknownProvider,
                      "engine onnx: execution provider '" + opt.provider +
                          "' could not be enabled: " + e.what() +
                          " (available: " + provider_list() + ")");
  }
  try {
    return Ort::Session(ort_env(), path.c_str(), so);
  } catch (const Ort::Exception& e) {
    // An operator this ONNX Runtime lacks is not a broken file.
    const auto kind = e.GetOrtErrorCode() == ORT_NOT_IMPLEMENTED ? EngineError::Kind::kUnsupported
                                                                 : EngineError::Kind::kBadFormat;
    throw EngineError(kind, "ONNX Runtime could not load " + path + ": " + e.what());
  }
}

std::vector<TensorInfo> session_inputs(const Ort::Session& session) {
  std::vector<TensorInfo> out;
  const auto names = session.GetInputNames();
  for (std::size_t i = 0; i < names.size(); ++i) {
    out.push_back(describe("input", names[i], session.GetInputTypeInfo(i)));
  }
  return out;
}

std::vector<TensorInfo> session_outputs(const Ort::Session& session) {
  std::vector<TensorInfo> out;
  const auto names = session.GetOutputNames();
  for (std::size_t i = 0; i < names.size(); ++i) {
    out.push_back(describe("output", names[i], session.GetOutputTypeInfo(i)));
  }
  return out;
}

}  // namespace wattserve::engine::onnx
