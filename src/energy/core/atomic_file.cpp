#include "energy/core/atomic_file.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "energy/core/sysfs_io.h"

namespace wattserve::energy {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(err));
}

// The directory holding `path` ("." for a bare name).
std::string parent_dir(const std::string& path) {
  fs::path dir = fs::path(path).parent_path();
  return dir.empty() ? std::string(".") : dir.string();
}

// procfs and sysfs entries are not files to replace: /proc/<pid>/fd/N links name open
// descriptors (pipes, terminals, files opened by the shell), and their "regular files" are
// kernel interfaces.
bool on_kernel_fs(const std::string& path) {
  struct statfs sf {};
  if (::statfs(path.c_str(), &sf) != 0) return false;
  return sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC;
}

void write_all(int fd, std::string_view data, const std::string& path) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path, errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// Opens a write-through target: never created nor truncated; a regular file (only reachable
// through /proc/<pid>/fd, e.g. /dev/stdout redirected to a file) is appended to.
int open_through(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) fail("cannot open for writing", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_APPEND);
  }
  return fd;
}

// Flushes (regular files only: FIFOs and terminals have nothing to sync) and closes.
void finish_through(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::fsync(fd) != 0 && errno != EINVAL) {
    const int err = errno;
    ::close(fd);
    fail("cannot fsync", path, err);
  }
  if (::close(fd) != 0) fail("cannot write", path, errno);
}

void write_through(const std::string& path, std::string_view contents) {
  const int fd = open_through(path);
  try {
    write_all(fd, contents, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  finish_through(fd, path);
}

}  // namespace

OutputTarget resolve_output(const std::string& path) {
  if (path.empty()) throw std::runtime_error("empty output path");
  std::string cur = path;
  for (int hops = 0; hops <= 40; ++hops) {
    struct stat st {};
    if (::lstat(cur.c_str(), &st) != 0) {
      if (errno == ENOENT) return {OutputKind::kMissing, cur};
      fail("cannot write", path, errno);
    }
    if (S_ISLNK(st.st_mode)) {
      if (on_kernel_fs(parent_dir(cur))) {
        // /proc/self/fd/1 and the like: what it names is only known by opening it.
        if (::stat(cur.c_str(), &st) != 0) fail("cannot write", path, errno);
        if (S_ISDIR(st.st_mode)) fail("cannot write", path, EISDIR);
        return {OutputKind::kWriteThrough, path};
      }
      std::error_code ec;
      const fs::path link = fs::read_symlink(cur, ec);
      if (ec) fail("cannot write", path, ec.value());
      cur = link.is_absolute() ? link.string() : (fs::path(parent_dir(cur)) / link).string();
      continue;
    }
    if (S_ISDIR(st.st_mode)) fail("cannot write", path, EISDIR);
    if (S_ISREG(st.st_mode) && !on_kernel_fs(cur)) return {OutputKind::kRegular, cur};
    return {OutputKind::kWriteThrough, path};
  }
  fail("cannot write", path, ELOOP);
}

void check_output_path(const std::string& path) {
  const OutputTarget t = resolve_output(path);
  if (t.kind == OutputKind::kWriteThrough) {
    if (::access(path.c_str(), W_OK) != 0) fail("cannot write", path, errno);
    return;
  }
  const std::string dir = parent_dir(t.resolved);
  auto dir_fail = [&](int err) {
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(err) + " (directory " +
                             dir + ")");
  };
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) dir_fail(errno);
  if (!S_ISDIR(st.st_mode)) dir_fail(ENOTDIR);
  if (::access(dir.c_str(), W_OK | X_OK) != 0) dir_fail(errno);
}

OutputFile::OutputFile(std::string path) : path_(std::move(path)), target_(resolve_output(path_)) {
  if (target_.kind == OutputKind::kWriteThrough) {
    // The target takes the bytes only at commit(): until then they wait in an unnamed file.
    std::string templ = (fs::temp_directory_path() / "wattserve-out-XXXXXX").string();
    fd_ = ::mkostemp(templ.data(), O_CLOEXEC);
    if (fd_ < 0) fail("cannot create a temporary file to write", path_, errno);
    ::unlink(templ.c_str());
    return;
  }
  // A fresh name next to the target; mode 0666 so the umask applies as for any new file.
  const fs::path target(target_.resolved);
  const fs::path dir(parent_dir(target_.resolved));
  std::random_device rd;
  for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
    std::string name = "." + target.filename().string() + ".tmp." + std::to_string(rd());
    std::string candidate = (dir / name).string();
    int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      fd_ = fd;
      tmp_path_ = candidate;
    } else if (errno != EEXIST) {
      fail("cannot create a temporary file to write", path_, errno);
    }
  }
  if (fd_ < 0) fail("cannot create a temporary file to write", path_, EEXIST);
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
}

void OutputFile::write(std::string_view data) {
  if (fd_ < 0) throw std::runtime_error("output " + path_ + " already committed");
  write_all(fd_, data, path_);
}

void OutputFile::commit() {
  if (fd_ < 0) throw std::runtime_error("output " + path_ + " already committed");
  const int fd = fd_;
  fd_ = -1;
  if (target_.kind == OutputKind::kWriteThrough) {
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } tmp{fd};
    if (::lseek(fd, 0, SEEK_SET) != 0) fail("cannot write", path_, errno);
    const int out = open_through(path_);
    try {
      char buf[1 << 16];
      for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
          if (errno == EINTR) continue;
          fail("cannot write", path_, errno);
        }
        if (n == 0) break;
        write_all(out, std::string_view(buf, static_cast<size_t>(n)), path_);
      }
    } catch (...) {
      ::close(out);
      throw;
    }
    finish_through(out, path_);
    return;
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail("cannot fsync", path_, err);
  }
  if (::close(fd) != 0) fail("cannot close", path_, errno);
  if (::rename(tmp_path_.c_str(), target_.resolved.c_str()) != 0) {
    fail("cannot rename into", path_, errno);
  }
  tmp_path_.clear();  // renamed: nothing to remove
  // Make the rename itself durable; failing to open the directory is not an error.
  int dfd = ::open(parent_dir(target_.resolved).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_file_atomic(const std::string& path, std::string_view contents) {
  if (resolve_output(path).kind == OutputKind::kWriteThrough) {
    write_through(path, contents);
    return;
  }
  OutputFile out(path);
  out.write(contents);
  out.commit();
}
bool read_file_if_exists(const std::string& path, std::string* out) {
  out->clear();
  std::string text;
  if (int err = real_sysfs_reader()->read_file(path, &text)) {
    if (err == ENOENT) return false;
    fail("cannot read", path, err);
  }
  *out = std::move(text);
  return true;
}

std::string read_regular_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) throw std::invalid_argument(path + ": cannot read: no such file");
    fail("cannot read", path, errno);
  }
  if (!S_ISREG(st.st_mode)) {
    throw std::invalid_argument(path +
                                ": cannot read: not a regular file (a folder, a FIFO or a device)");
  }
  std::string text;
  if (!read_file_if_exists(path, &text)) {
    throw std::invalid_argument(path + ": cannot read: no such file");
  }
  return text;
}

void append_file(const std::string& path, std::string_view contents) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) fail("cannot open for appending", path, errno);
  struct stat st {};
  const bool have_size = ::fstat(fd, &st) == 0;
  auto give_up = [&](const char* what, int err) {
    // Do not leave half a record behind (disk full, quota): cut back to the former end.
    if (have_size && ::ftruncate(fd, st.st_size) == 0) ::fsync(fd);
    ::close(fd);
    fail(what, path, err);
  };
  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      give_up("cannot append to", errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) give_up("cannot fsync", errno);
  if (::close(fd) != 0) fail("cannot close", path, errno);
}

ExclusiveFileLock::ExclusiveFileLock(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open the lock file", path, errno);
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    fail("cannot lock", path, err);
  }
}

ExclusiveFileLock::~ExclusiveFileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the lock
}

}  // namespace wattserve::energy
