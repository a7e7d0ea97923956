// Runtime engines (llama.cpp, ONNX Runtime, LibTorch) are plug-ins: each is a shared library
// `libwattserve_engine_<name>.so` beside the wattserve binary, loaded with dlopen only when
// needed, so that subcommands which run no model (measure, sensors) start in milliseconds
// instead of paying for LibTorch's and ONNX Runtime's load time.
#pragma once

#include <string>
#include <vector>

#include "engine/engine.h"

namespace wattserve::engine {

struct EngineInfo {
  std::string name;                    // "llama", "onnx", "torch"
  std::string version;                 // the library's own version string
  std::vector<std::string> providers;  // execution providers the loaded library offers
  bool loaded = false;                 // false: the plug-in could not be loaded (see error)
  std::string error;
};

// The engines this build includes, each probed by loading its plug-in.
std::vector<EngineInfo> compiled_engines();

// Where plug-ins are looked for: $WATTSERVE_ENGINE_DIR if set, else the binary's directory.
std::string plugin_dir();

// Loads the plug-in libwattserve_engine_<name>.so from `dir` (once per process; it is never
// unloaded) and returns its engine. Throws EngineError(kPlugin) when the file is missing, is
// not a wattserve engine, or was built for another ABI version.
EngineFactory& load_engine(const std::string& name, const std::string& dir = plugin_dir());

}  // namespace wattserve::engine
