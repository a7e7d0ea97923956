// Test helper: a throw-away fake sysfs tree in a unique temporary directory, plus a
// SysfsReader that fails on chosen paths (root ignores file modes, so EACCES is injected).
#pragma once

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "energy/core/sysfs_io.h"

namespace wattserve::energy::testing {

class FakeSysfs {
 public:
  // Creates <tmp>/wattserve-sysfs-XXXXXX (mode 0755, so a dropped-privilege child can enter).
  void create() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "wattserve-sysfs-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
    root_ = buf.data();
    ::chmod(root_.c_str(), 0755);
  }
  void remove() {
    if (root_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
    root_.clear();
  }
  const std::string& root() const { return root_; }
  std::string path(const std::string& rel) const { return root_ + "/" + rel; }

  void mkdirs(const std::string& rel) const { std::filesystem::create_directories(path(rel)); }
  // Writes `content` to root/rel, creating parent directories; overwrites.
  void write(const std::string& rel, const std::string& content) const {
    std::filesystem::path p = path(rel);
    std::filesystem::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::trunc);
    f << content;
    if (!f) throw std::runtime_error("cannot write " + p.string());
  }
  void write(const std::string& rel, unsigned long long value) const {
    write(rel, std::to_string(value) + "\n");
  }
  void chmod(const std::string& rel, unsigned mode) const {
    ::chmod(path(rel).c_str(), static_cast<mode_t>(mode));
  }
  void remove(const std::string& rel) const { std::filesystem::remove_all(path(rel)); }

 private:
  std::string root_;
};

// Reads real files, except paths ending in a registered suffix, which fail with that errno.
class FailingReader final : public SysfsReader {
 public:
  void fail(std::string suffix, int err) { failures_[std::move(suffix)] = err; }
  void clear() { failures_.clear(); }
  int read_file(const std::string& p, std::string* out) const override {
    for (const auto& [suffix, err] : failures_)
      if (p.size() >= suffix.size() &&
          p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0)
        return err;
    return SysfsReader::read_file(p, out);
  }

 private:
  std::map<std::string, int> failures_;
};

}  // namespace wattserve::energy::testing
