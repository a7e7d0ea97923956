#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#include "engine/engines.h"

namespace wattserve::engine {

EngineInfo torch_info() {
  EngineInfo info{"torch", TORCH_VERSION, {"cpu"}};
  if (at::hasCUDA()) info.providers.push_back("cuda");
  return info;
}

}  // namespace wattserve::engine
