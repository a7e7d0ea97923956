#include "energy/atomic_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "energy/sysfs_io.h"

namespace wattserve::energy {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(err));
}

// Closes the descriptor and removes the temporary file unless released.
struct TempFile {
  int fd = -1;
  std::string path;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!path.empty()) ::unlink(path.c_str());
  }
};

}  // namespace

void write_file_atomic(const std::string& path, std::string_view contents) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  // A fresh name next to the target; mode 0666 so the umask applies as for any new file.
  TempFile tmp;
  std::random_device rd;
  for (int attempt = 0; attempt < 100 && tmp.fd < 0; ++attempt) {
    std::string name = "." + target.filename().string() + ".tmp." + std::to_string(rd());
    std::string candidate = (dir / name).string();
    int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      tmp.fd = fd;
      tmp.path = candidate;
    } else if (errno != EEXIST) {
      fail("cannot create a temporary file to write", path, errno);
    }
  }
  if (tmp.fd < 0) fail("cannot create a temporary file to write", path, EEXIST);

  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(tmp.fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path, errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(tmp.fd) != 0) fail("cannot fsync", path, errno);
  int fd = tmp.fd;
  tmp.fd = -1;
  if (::close(fd) != 0) fail("cannot close", path, errno);
  if (::rename(tmp.path.c_str(), path.c_str()) != 0) fail("cannot rename into", path, errno);
  tmp.path.clear();  // renamed: nothing to remove
  // Make the rename itself durable; failing to open the directory is not an error.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
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
