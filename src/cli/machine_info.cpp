#include "cli/machine_info.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

namespace wattserve::cli {

namespace {
std::string field(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) != 0) continue;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto v = line.substr(colon + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    return v;
  }
  return {};
}
}  // namespace

energy::MachineInfo machine_info(const std::string& procfs_root,
                                 const std::vector<energy::Domain>& domains) {
  energy::MachineInfo m;
  utsname u{};
  if (uname(&u) == 0) m.os = std::string(u.sysname) + "-" + u.release + "-" + u.machine;
  m.cpu_count = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  m.cpu_model = field(procfs_root + "/cpuinfo", "model name");
  std::istringstream mem(field(procfs_root + "/meminfo", "MemTotal"));
  double kib = 0;
  if (mem >> kib) m.ram_total_gib = kib / (1024.0 * 1024.0);
  std::map<std::string, int> gpus;
  for (const auto& d : domains) {
    if (d.kind == energy::DomainKind::kGpu) {
      ++m.gpu_count;
      ++gpus[d.label];
    }
  }
  for (const auto& [label, n] : gpus) {
    if (!m.gpu_model.empty()) m.gpu_model += ", ";
    m.gpu_model += std::to_string(n) + " x " + label;
  }
  return m;
}

}  // namespace wattserve::cli
