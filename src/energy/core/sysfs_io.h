// Reading small sysfs text files (RAPL powercap zones, the perf `power` PMU, hwmon).
// All file access goes through SysfsReader so tests can inject failures that a test process
// running as root would never see with chmod (root ignores file modes): e.g. EACCES on
// energy_uj, which real kernels return to non-root users since the CVE-2020-8694 fix.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace wattserve::energy {

class SysfsReader {
 public:
  virtual ~SysfsReader() = default;
  // Reads the whole file at `path` into *out with open()/read(). Returns 0, or the errno of
  // the failed call (ENOENT, EACCES, EISDIR, ...). Override to simulate failures.
  virtual int read_file(const std::string& path, std::string* out) const;
};

// The real reader (shared, stateless).
std::shared_ptr<SysfsReader> real_sysfs_reader();

// Reads a file and strips surrounding whitespace. Returns 0 or an errno value.
int read_text(const SysfsReader& reader, const std::string& path, std::string* out);
// Reads a file holding one unsigned decimal integer. Returns 0, an errno value, or EINVAL
// when the content is not a number.
int read_u64(const SysfsReader& reader, const std::string& path, uint64_t* out);

// "Permission denied" for EACCES, etc.
std::string errno_text(int err);

}  // namespace wattserve::energy
