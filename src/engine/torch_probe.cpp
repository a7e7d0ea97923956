// LibTorch (TorchScript) engine plug-in (for now: its version and whether CUDA is usable).
#include <ATen/Context.h>
#include <torch/version.h>

#include <string>

#include "engine/plugin_abi.h"

extern "C" const char* wattserve_engine_describe() {
  static const std::string d =
      std::string("torch\n") + TORCH_VERSION + "\ncpu" + (at::hasCUDA() ? ",cuda" : "");
  return d.c_str();
}
