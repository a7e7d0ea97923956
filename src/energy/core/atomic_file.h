// File writes for every output wattserve produces (emissions.csv, JSON summaries, timelines,
// Prometheus text, the server's ready file). A regular file is replaced atomically: the
// contents go to a temporary file in the same directory, are fsync'ed, and the temporary file
// is renamed over the target, so a reader (or a crash) never sees a file written half. Paths
// that are not regular files are never replaced (see write_file_atomic).
#pragma once

#include <string>
#include <string_view>

namespace wattserve::energy {

// What an output path is, after following symbolic links.
enum class OutputKind {
  kMissing,       // nothing there yet: created atomically
  kRegular,       // a regular file: replaced atomically
  kWriteThrough,  // a FIFO, character/block device, socket, or anything reached through a
                  // /proc/<pid>/fd link (/dev/stdout, /dev/fd/N): opened and written through
};

struct OutputTarget {
  OutputKind kind = OutputKind::kMissing;
  // Where a missing or regular target is written: `path` itself, or the final target of a
  // chain of symbolic links (so the link stays a link). For kWriteThrough, `path` as given.
  std::string resolved;
};

// Follows `path`'s symbolic links (at most 40) and says how it is to be written. Throws
// std::runtime_error naming the path when it is a directory, the links loop, or lstat() fails
// with anything but ENOENT.
OutputTarget resolve_output(const std::string& path);

// Writes `contents` to `path` whole:
//  - a missing path or a regular file: a temporary file in the same directory (mode 0666 less
//    the umask, as any new file), fsync'ed and renamed over it; the directory must exist;
//  - a symbolic link whose final target is a regular file or missing: the same at that target,
//    and the link stays a link;
//  - anything else (FIFO, character or block device, /dev/stdout as a pipe or terminal):
//    opened O_WRONLY without creating or truncating (a regular file reached through
//    /proc/<pid>/fd is appended to) and written through, like `perf stat -o`; a FIFO blocks
//    until it has a reader;
//  - a directory: an error.
// Throws std::runtime_error naming the path and the system error (strerror) on any failure
// (e.g. ENOSPC from a full disk or /dev/full); a replaced target is then left as it was and
// the temporary file is removed.
void write_file_atomic(const std::string& path, std::string_view contents);

// Checks, writing nothing, that write_file_atomic(path, ...) can be expected to work: `path`
// is not a directory, a write-through target is writable, and otherwise the (resolved)
// target's directory exists, is a directory and is writable. Throws std::runtime_error
// naming the path and what is wrong. (The write can still fail later, e.g. on a full disk.)
void check_output_path(const std::string& path);

// An output written piece by piece and published whole by commit(), with write_file_atomic's
// rules: for a missing or regular target the pieces go to a temporary file beside the
// (resolved) target, renamed into place by commit(); for a write-through target they go to an
// unnamed temporary file in the temp directory, copied to the target by commit(). Destroyed
// without commit(), it removes the temporary file and leaves the target untouched. Its
// descriptors are O_CLOEXEC. Not thread-safe.
class OutputFile {
 public:
  // Resolves the path and creates the temporary file; throws std::runtime_error naming the
  // path on failure (a directory, a missing directory, no permission).
  explicit OutputFile(std::string path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Appends to the pending contents; throws std::runtime_error naming the path on failure.
  void write(std::string_view data);
  // Publishes the contents (fsync + rename, or copy through); throws std::runtime_error
  // naming the path on failure, after which the target is left as it was where it is replaced.
  // Once only.
  void commit();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  OutputTarget target_;
  std::string tmp_path_;  // empty for the unnamed temporary file
  int fd_ = -1;
};

// Reads a whole file (open with O_CLOEXEC, so no descriptor leaks into a command started
// meanwhile). Returns false (and leaves *out empty) when it does not exist; throws
// std::runtime_error with the path and strerror on any other failure.
bool read_file_if_exists(const std::string& path, std::string* out);

// Reads a whole input file a user named (a trace, a profiles JSON, a TOML): throws
// std::invalid_argument "PATH: cannot read: no such file" when missing, "PATH: cannot read: not
// a regular file (...)" for a FIFO, a device or a folder (which could block or never end),
// std::runtime_error on a read error.
std::string read_regular_file(const std::string& path);

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
