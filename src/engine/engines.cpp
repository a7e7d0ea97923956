#include "engine/engines.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "engine/plugin_abi.h"

namespace wattserve::engine {

namespace {

// Engines built into this tree (set by CMake: "llama,onnx,torch" or a subset).
constexpr const char* kBuilt = WATTSERVE_ENGINE_PLUGINS;

EngineInfo probe(const std::string& name) {
  EngineInfo info;
  info.name = name;
  const std::string path = plugin_dir() + "/libwattserve_engine_" + name + ".so";
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    info.error = e ? e : ("cannot load " + path);
    return info;
  }
  using Describe = const char* (*)();
  auto describe = reinterpret_cast<Describe>(dlsym(h, "wattserve_engine_describe"));
  if (!describe) {
    info.error = path + " is not a wattserve engine plug-in";
    return info;  // the handle stays open: harmless, and unloading torch is not safe
  }
  std::istringstream in(describe());
  std::string line;
  std::getline(in, line);
  std::getline(in, info.version);
  std::string providers;
  std::getline(in, providers);
  std::istringstream ps(providers);
  for (std::string p; std::getline(ps, p, ',');) {
    if (!p.empty()) info.providers.push_back(p);
  }
  info.loaded = true;
  return info;
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

std::vector<EngineInfo> compiled_engines() {
  std::vector<EngineInfo> out;
  std::istringstream in(kBuilt);
  for (std::string name; std::getline(in, name, ',');) {
    if (!name.empty()) out.push_back(probe(name));
  }
  return out;
}

}  // namespace wattserve::engine
