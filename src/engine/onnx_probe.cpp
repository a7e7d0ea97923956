#include <onnxruntime_cxx_api.h>

#include "engine/engines.h"

namespace wattserve::engine {

EngineInfo onnx_info() {
  EngineInfo info{"onnx", Ort::GetVersionString(), {}};
  for (const std::string& p : Ort::GetAvailableProviders()) info.providers.push_back(p);
  return info;
}

}  // namespace wattserve::engine
