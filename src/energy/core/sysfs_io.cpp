#include "energy/core/sysfs_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace wattserve::energy {

int SysfsReader::read_file(const std::string& path, std::string* out) const {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  out->clear();
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return err;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return 0;
}

std::shared_ptr<SysfsReader> real_sysfs_reader() {
  static const auto reader = std::make_shared<SysfsReader>();
  return reader;
}

int read_text(const SysfsReader& reader, const std::string& path, std::string* out) {
  std::string s;
  if (int err = reader.read_file(path, &s)) return err;
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  size_t e = s.find_last_not_of(ws);
  *out = b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  return 0;
}

int read_u64(const SysfsReader& reader, const std::string& path, uint64_t* out) {
  std::string s;
  if (int err = read_text(reader, path, &s)) return err;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return EINVAL;
  *out = v;
  return 0;
}

std::string errno_text(int err) {
  if (err == EINVAL) return "invalid value (not a number)";
  return std::strerror(err);
}

}  // namespace wattserve::energy
