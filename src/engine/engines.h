// Which runtime engines this build of wattserve was compiled with, and their versions.
// The engine interface itself arrives with the runtime-engines work; this probe links
// each engine so that a build that cannot find one fails at configure time, not later.
#pragma once

#include <string>
#include <vector>

namespace wattserve::engine {

struct EngineInfo {
  std::string name;                    // "llama", "onnx", "torch"
  std::string version;                 // the library's own version string
  std::vector<std::string> providers;  // execution providers the loaded library offers
};

std::vector<EngineInfo> compiled_engines();

}  // namespace wattserve::engine
