#include "engine/engines.h"

namespace wattserve::engine {

#ifdef WATTSERVE_HAVE_LLAMA
EngineInfo llama_info();
#endif
#ifdef WATTSERVE_HAVE_ONNX
EngineInfo onnx_info();
#endif
#ifdef WATTSERVE_HAVE_TORCH
EngineInfo torch_info();
#endif

std::vector<EngineInfo> compiled_engines() {
  std::vector<EngineInfo> out;
#ifdef WATTSERVE_HAVE_LLAMA
  out.push_back(llama_info());
#endif
#ifdef WATTSERVE_HAVE_ONNX
  out.push_back(onnx_info());
#endif
#ifdef WATTSERVE_HAVE_TORCH
  out.push_back(torch_info());
#endif
  return out;
}

}  // namespace wattserve::engine
