// Reads NumPy .npy files (format 1.0-3.0, C order, little-endian) into engine tensors, so that
// `wattserve run` takes tensor inputs as `numpy.save` writes them. float32/float64 become
// float32; int64/int32/uint8 become int64. No Debian package reads .npy from C++; the format is
// a magic string, a header length and a Python-literal dict (numpy.lib.format).
#pragma once

#include <string>

#include "engine/engine.h"

namespace wattserve::run {

// Throws std::runtime_error naming the file and what is wrong (missing, not .npy, Fortran
// order, big-endian, unsupported dtype, truncated data).
engine::Tensor read_npy(const std::string& path);

}  // namespace wattserve::run
