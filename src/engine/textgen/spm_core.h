// The slice of libsentencepiece that SpmTokenizer uses, as an abstract class implemented in its
// own small module, libwattserve_spm.so (spm_module.cpp), which SpmTokenizer dlopens with
// RTLD_LOCAL. Why a module: Debian's libsentencepiece exports a private copy of protobuf-lite;
// LibTorch loads the full libprotobuf, and in one dlopen group libprotobuf's own calls bind to
// sentencepiece's copy and crash at load. In a group of its own, sentencepiece sees only itself.
#pragma once

#include <string>
#include <vector>

namespace wattserve::engine::textgen {

class SpmCore {
 public:
  virtual ~SpmCore() = default;
  virtual int size() const = 0;
  virtual std::string id_to_piece(int id) const = 0;
  virtual bool is_control(int id) const = 0;
  virtual bool is_byte(int id) const = 0;
  virtual bool is_unknown(int id) const = 0;
  virtual int bos() const = 0;
  virtual int eos() const = 0;
  // false and *error set on failure.
  virtual bool encode(const std::string& text, std::vector<int>* ids, std::string* error) const = 0;
};

}  // namespace wattserve::engine::textgen

// Exported by libwattserve_spm.so: a loaded model, or null with *error set. Same-build C++
// across the boundary, as for the engine plug-ins (plugin_abi.h).
extern "C" wattserve::engine::textgen::SpmCore* wattserve_spm_open(const char* path,
                                                                   std::string* error);
