#include <llama.h>

#include "engine/engines.h"

namespace wattserve::engine {

EngineInfo llama_info() {
  EngineInfo info{"llama", "llama.cpp (ggml)", {"cpu"}};
  llama_backend_init();
  if (llama_supports_gpu_offload()) info.providers.push_back("gpu");
  llama_backend_free();
  return info;
}

}  // namespace wattserve::engine
