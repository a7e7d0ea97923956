// ONNX Runtime engine plug-in (for now: its version and the execution providers it offers).
#include <onnxruntime_cxx_api.h>

#include <string>

#include "engine/plugin_abi.h"

extern "C" const char* wattserve_engine_describe() {
  static const std::string d = [] {
    std::string providers;
    for (const std::string& p : Ort::GetAvailableProviders()) {
      providers += (providers.empty() ? "" : ",") + p;
    }
    return "onnx\n" + Ort::GetVersionString() + "\n" + providers;
  }();
  return d.c_str();
}
