// Finds and loads the engine plug-ins (dlopen), keeping each handle for the process lifetime.
#include "engine/engines.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>
#include <string>

#include "engine/plugin_abi.h"

namespace wattserve::engine {

namespace {

// Engines built into this tree (set by CMake: "llama,onnx,torch" or a subset).
constexpr const char* kBuilt = WATTSERVE_ENGINE_PLUGINS;

EngineError plugin_error(const std::string& what) {
  return EngineError(EngineError::Kind::kPlugin, what);
}

}  // namespace

std::string plugin_dir() {
  if (const char* d = std::getenv("WATTSERVE_ENGINE_DIR"); d && *d) return d;
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string exe(buf, static_cast<size_t>(n));
  const auto slash = exe.rfind('/');
  return slash == std::string::npos ? "." : exe.substr(0, slash);
}

EngineFactory& load_engine(const std::string& name, const std::string& dir) {
  static std::mutex mu;
  static std::map<std::string, EngineFactory*> loaded;  // by path; handles are never closed
  const std::string path = dir + "/libwattserve_engine_" + name + ".so";
  std::lock_guard lock(mu);
  if (auto it = loaded.find(path); it != loaded.end()) return *it->second;
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    std::string what = e ? e : ("cannot load " + path);
    // A plug-in of a WATTSERVE_CUDA=ON build on a machine without the NVIDIA driver or CUDA.
    for (const char* lib : {"libcuda.so", "libcudart.so", "libcublas", "libtorch_cuda"}) {
      if (what.find(lib) != std::string::npos) {
        what +=
            " (this plug-in was built with CUDA, WATTSERVE_CUDA=ON: it needs the NVIDIA driver "
            "and the CUDA libraries it was linked against; on a machine without them use a "
            "CPU build, docs/cuda.md)";
        break;
      }
    }
    throw plugin_error(what);
  }
  // From here on the handle stays open even on error: unloading torch is not safe.
  using AbiVersion = int (*)();
  using Factory = EngineFactory* (*)();
  auto abi = reinterpret_cast<AbiVersion>(dlsym(h, "wattserve_engine_abi_version"));
  auto factory = reinterpret_cast<Factory>(dlsym(h, "wattserve_engine_factory"));
  if (!abi || !factory) throw plugin_error(path + " is not a wattserve engine plug-in");
  if (abi() != WATTSERVE_ENGINE_ABI_VERSION) {
    throw plugin_error(path + " was built for engine ABI " + std::to_string(abi()) +
                       ", this wattserve uses " + std::to_string(WATTSERVE_ENGINE_ABI_VERSION) +
                       ": rebuild it in this tree");
  }
  EngineFactory* f = factory();
  if (!f) throw plugin_error(path + " returned no engine");
  loaded.emplace(path, f);
  return *f;
}

std::vector<EngineInfo> compiled_engines() {
  std::vector<EngineInfo> out;
  std::istringstream in(kBuilt);
  for (std::string name; std::getline(in, name, ',');) {
    if (name.empty()) continue;
    EngineInfo info;
    info.name = name;
    try {
      EngineFactory& f = load_engine(name);
      info.version = f.version();
      info.providers = f.providers();
      info.loaded = true;
    } catch (const std::exception& e) {
      info.error = e.what();
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace wattserve::engine
