// Atomic file writes for every output wattserve produces (emissions.csv, JSON summaries,
// timelines): the contents go to a temporary file in the same directory, are fsync'ed, and
// the temporary file is renamed over the target, so a reader (or a crash) never sees a file
// written half.
#pragma once

#include <string>
#include <string_view>

namespace wattserve::energy {

// Replaces `path` with `contents` atomically. The directory must exist. Throws
// std::runtime_error naming the path and the system error (strerror) on any failure; the
// target is then left as it was and the temporary file is removed.
void write_file_atomic(const std::string& path, std::string_view contents);

// Reads a whole file. Returns false (and leaves *out empty) when it does not exist; throws
// std::runtime_error with the path and strerror on any other failure.
bool read_file_if_exists(const std::string& path, std::string* out);

}  // namespace wattserve::energy
