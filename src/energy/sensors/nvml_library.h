// The NVIDIA Management Library (libnvidia-ml), loaded with dlopen at run time so that wattserve
// needs no NVIDIA header or library to build: the few nvml.h declarations it uses and the calls
// every user of NVML makes (init, shutdown, error text, devices and their names). The energy
// sensor (nvml_sensor.cpp) and the clock actuator (adapt/nvml_clocks.cpp) look up their own
// functions with symbol().
#pragma once

#include <dlfcn.h>

#include <memory>
#include <string>

namespace wattserve::energy::nvml {

// As in nvml.h: nvmlReturn_t is a C enum (int-sized); nvmlDevice_t is an opaque pointer.
using Return = int;
struct DeviceSt;
using Device = DeviceSt*;
inline constexpr Return kSuccess = 0;
inline constexpr Return kErrorNotSupported = 3;
inline constexpr Return kErrorNoPermission = 4;
inline constexpr Return kErrorInsufficientSize = 7;
inline constexpr unsigned kDeviceNameV2BufferSize = 96;  // NVML_DEVICE_NAME_V2_BUFFER_SIZE

class Library {
 public:
  // dlopen(path); nullptr with dlerror's text in *error when it cannot be loaded.
  static std::unique_ptr<Library> open(const std::string& path, std::string* error);
  ~Library();  // nvmlShutdown once init() succeeded, then dlclose
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  // One of the library's functions, or nullptr when it lacks it.
  template <typename Fn>
  Fn symbol(const char* name) const {
    return reinterpret_cast<Fn>(dlsym(handle_, name));
  }
  // The first of the calls below that the library lacks, or nullptr.
  const char* missing() const;

  Return init();                                     // nvmlInit_v2
  Return device_count(unsigned* count) const;        // nvmlDeviceGetCount_v2
  Return device(unsigned index, Device* dev) const;  // nvmlDeviceGetHandleByIndex_v2
  std::string name(Device dev) const;                // nvmlDeviceGetName; "" when it fails
  std::string error(Return rc) const;                // "nvmlErrorString's text (rc)"

 private:
  Library() = default;
  void* handle_ = nullptr;
  bool initialized_ = false;
  Return (*init_)() = nullptr;
  Return (*shutdown_)() = nullptr;
  const char* (*error_string_)(Return) = nullptr;
  Return (*get_count_)(unsigned*) = nullptr;
  Return (*get_handle_)(unsigned, Device*) = nullptr;
  Return (*get_name_)(Device, char*, unsigned) = nullptr;
};

}  // namespace wattserve::energy::nvml
