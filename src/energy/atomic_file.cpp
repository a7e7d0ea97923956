#include "energy/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

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
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    if (err == ENOENT) return false;
    fail("cannot open", path, err);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) fail("cannot read", path, errno);
  *out = ss.str();
  return true;
}

}  // namespace wattserve::energy
