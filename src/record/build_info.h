// The software a run ran on: wattserve's version, the git commit of its sources (read at build
// time), the compiler and the build type. The engines' versions come from the engines loaded
// (engine::EngineFactory::version()); see software_json() in run_record.h.
#pragma once

#include <string>

namespace wattserve::record {

struct BuildInfo {
  std::string version;     // wattserve's version (the CMake project version), e.g. "0.1.0"
  std::string git_commit;  // the sources' commit, 12 hex digits; "unknown" outside a git checkout
  bool git_dirty = false;  // tracked files differed from that commit when it was built
  std::string compiler;    // e.g. "gcc 12.2.0", "clang 16.0.6"
  std::string build_type;  // CMAKE_BUILD_TYPE, e.g. "RelWithDebInfo"
};

const BuildInfo& build_info();

}  // namespace wattserve::record
