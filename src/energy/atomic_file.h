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

// Reads a whole file (open with O_CLOEXEC, so no descriptor leaks into a command started
// meanwhile). Returns false (and leaves *out empty) when it does not exist; throws
// std::runtime_error with the path and strerror on any other failure.
bool read_file_if_exists(const std::string& path, std::string* out);

// Appends `contents` to the existing file `path` (opened O_WRONLY | O_APPEND | O_CLOEXEC,
// never created) with one write() (more only if the kernel writes short), then fsync()s it.
// The file keeps its inode, mode and owner. Throws std::runtime_error with the path and
// strerror on failure, after truncating the file back to its former size where it can.
void append_file(const std::string& path, std::string_view contents);

// An exclusive flock() on `path`, held for the lifetime of the object: serialises
// read-modify-write updates of a file between threads and processes that take the same lock.
// The lock file is created when missing (mode 0644 before the umask, O_CLOEXEC) and is left in
// place afterwards (removing it would let two writers lock two different files). Blocks until
// the lock is granted; throws std::runtime_error with the path and strerror on failure.
class ExclusiveFileLock {
 public:
  explicit ExclusiveFileLock(const std::string& path);
  ~ExclusiveFileLock();
  ExclusiveFileLock(const ExclusiveFileLock&) = delete;
  ExclusiveFileLock& operator=(const ExclusiveFileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace wattserve::energy
