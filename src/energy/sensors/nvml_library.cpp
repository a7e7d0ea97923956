// libnvidia-ml loaded at run time (nvml_library.h).
#include "energy/sensors/nvml_library.h"

#include <utility>

namespace wattserve::energy::nvml {

std::unique_ptr<Library> Library::open(const std::string& path, std::string* error) {
  dlerror();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* e = dlerror();
    if (error) *error = e ? e : "dlopen failed";
    return nullptr;
  }
  std::unique_ptr<Library> lib(new Library());
  lib->handle_ = handle;
  lib->init_ = lib->symbol<Return (*)()>("nvmlInit_v2");
  lib->shutdown_ = lib->symbol<Return (*)()>("nvmlShutdown");
  lib->error_string_ = lib->symbol<const char* (*)(Return)>("nvmlErrorString");
  lib->get_count_ = lib->symbol<Return (*)(unsigned*)>("nvmlDeviceGetCount_v2");
  lib->get_handle_ = lib->symbol<Return (*)(unsigned, Device*)>("nvmlDeviceGetHandleByIndex_v2");
  lib->get_name_ = lib->symbol<Return (*)(Device, char*, unsigned)>("nvmlDeviceGetName");
  return lib;
}

Library::~Library() {
  if (initialized_) shutdown_();
  if (handle_) dlclose(handle_);
}

const char* Library::missing() const {
  const std::pair<const char*, bool> calls[] = {
      {"nvmlInit_v2", init_ != nullptr},
      {"nvmlShutdown", shutdown_ != nullptr},
      {"nvmlErrorString", error_string_ != nullptr},
      {"nvmlDeviceGetCount_v2", get_count_ != nullptr},
      {"nvmlDeviceGetHandleByIndex_v2", get_handle_ != nullptr},
      {"nvmlDeviceGetName", get_name_ != nullptr}};
  for (const auto& [fn, found] : calls) {
    if (!found) return fn;
  }
  return nullptr;
}

Return Library::init() {
  const Return rc = init_();
  initialized_ = rc == kSuccess;
  return rc;
}

Return Library::device_count(unsigned* count) const {
  return get_count_(count);
}

Return Library::device(unsigned index, Device* dev) const {
  return get_handle_(index, dev);
}

std::string Library::name(Device dev) const {
  std::string buf(kDeviceNameV2BufferSize, '\0');
  if (get_name_(dev, buf.data(), kDeviceNameV2BufferSize) != kSuccess) return {};
  buf.resize(buf.find('\0') == std::string::npos ? buf.size() : buf.find('\0'));
  return buf;
}

std::string Library::error(Return rc) const {
  const char* s = error_string_ ? error_string_(rc) : nullptr;
  return (s && *s ? std::string(s) : "NVML error") + " (" + std::to_string(rc) + ")";
}

}  // namespace wattserve::energy::nvml
