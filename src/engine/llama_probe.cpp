// llama.cpp (GGUF) engine plug-in (for now: which devices ggml offers).
#include <llama.h>

#include <string>

#include "engine/plugin_abi.h"

extern "C" const char* wattserve_engine_describe() {
  static const std::string d = [] {
    llama_backend_init();
    std::string s = "llama\nllama.cpp (ggml)\ncpu";
    if (llama_supports_gpu_offload()) s += ",gpu";
    llama_backend_free();
    return s;
  }();
  return d.c_str();
}
