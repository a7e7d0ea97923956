#include "record/machine_info.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

namespace wattserve::record {

namespace {

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

// The whole file, trimmed; empty when it cannot be read.
std::string read_trimmed(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return trim(ss.str());
}

// "key : value" lines of a procfs file (cpuinfo, meminfo), in order, keys trimmed.
std::vector<std::pair<std::string, std::string>> key_values(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    out.emplace_back(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  return out;
}

std::string first_value(const std::vector<std::pair<std::string, std::string>>& kv,
                        const std::string& key) {
  for (const auto& [k, v] : kv) {
    if (k == key) return v;
  }
  return {};
}

// CPUs in a kernel CPU list ("0-3,8-11", "0", ""): their indices; nullopt-like empty on a
// malformed list.
std::vector<int> parse_cpu_list(const std::string& list) {
  std::vector<int> cpus;
  std::stringstream ss(list);
  for (std::string part; std::getline(ss, part, ',');) {
    part = trim(part);
    if (part.empty()) continue;
    const auto dash = part.find('-');
    try {
      const int lo = std::stoi(part.substr(0, dash));
      const int hi = dash == std::string::npos ? lo : std::stoi(part.substr(dash + 1));
      if (lo < 0 || hi < lo || hi - lo > 1 << 20) return {};
      for (int c = lo; c <= hi; ++c) cpus.push_back(c);
    } catch (const std::exception&) {
      return {};
    }
  }
  return cpus;
}

// "cpu<N>" directories under <sysfs>/devices/system/cpu.
std::vector<int> cpu_dirs(const std::string& cpu_root) {
  std::vector<int> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(cpu_root, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > 3 && name.compare(0, 3, "cpu") == 0 &&
        std::all_of(name.begin() + 3, name.end(),
                    [](unsigned char c) { return std::isdigit(c); })) {
      out.push_back(std::stoi(name.substr(3)));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The version in /proc/driver/nvidia/version's first line: "NVRM version: NVIDIA UNIX x86_64
// Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024".
std::string nvidia_proc_version(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return {};
  const auto at = line.find("Kernel Module");
  if (at == std::string::npos) return {};
  std::istringstream rest(line.substr(at + 13));
  std::string version;
  rest >> version;
  return version;
}

std::string gpu_name(const std::string& label) {
  // NVML labels read "<name> (NVML GPU <i>, <uuid>)": the name is the model.
  const auto paren = label.find(" (");
  return paren == std::string::npos ? label : label.substr(0, paren);
}

}  // namespace

MachineInfo machine_info(const MachineRoots& roots, const std::vector<energy::Domain>& domains) {
  MachineInfo m;
  const std::string cpu_root = roots.sysfs + "/devices/system/cpu";

  m.kernel = read_trimmed(roots.procfs + "/sys/kernel/osrelease");
  std::string ostype = read_trimmed(roots.procfs + "/sys/kernel/ostype");
  utsname u{};
  const bool have_uname = uname(&u) == 0;
  if (ostype.empty() && have_uname) ostype = u.sysname;
  m.os = ostype.empty() ? "unknown" : ostype;
  if (!m.kernel.empty()) m.os += "-" + m.kernel;
  if (have_uname) m.os += std::string("-") + u.machine;

  const auto cpuinfo = key_values(roots.procfs + "/cpuinfo");
  for (const char* key : {"model name", "Processor", "cpu model"}) {
    m.cpu_model = first_value(cpuinfo, key);
    if (!m.cpu_model.empty()) break;
  }

  std::vector<int> online = parse_cpu_list(read_trimmed(cpu_root + "/online"));
  if (!online.empty()) {
    m.cpu_count = static_cast<int>(online.size());
  } else {
    m.cpu_count = static_cast<int>(std::count_if(
        cpuinfo.begin(), cpuinfo.end(), [](const auto& kv) { return kv.first == "processor"; }));
    if (m.cpu_count == 0) m.cpu_count = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  }

  std::set<std::pair<std::string, std::string>> cores;
  for (int c : online.empty() ? cpu_dirs(cpu_root) : online) {
    const std::string topo = cpu_root + "/cpu" + std::to_string(c) + "/topology/";
    std::string core = read_trimmed(topo + "core_id");
    if (core.empty()) continue;
    cores.emplace(read_trimmed(topo + "physical_package_id"), core);
  }
  if (cores.empty()) {
    std::string package;
    for (const auto& [k, v] : cpuinfo) {
      if (k == "processor") package.clear();
      if (k == "physical id") package = v;
      if (k == "core id") cores.emplace(package, v);
    }
  }
  m.cpu_cores = cores.empty() ? m.cpu_count : static_cast<int>(cores.size());

  std::istringstream mem(first_value(key_values(roots.procfs + "/meminfo"), "MemTotal"));
  double kib = 0;
  if (mem >> kib) m.ram_total_gib = kib / (1024.0 * 1024.0);

  std::set<std::string> governors;
  for (int c : cpu_dirs(cpu_root)) {
    std::string g =
        read_trimmed(cpu_root + "/cpu" + std::to_string(c) + "/cpufreq/scaling_governor");
    if (!g.empty()) governors.insert(std::move(g));
  }
  for (const auto& g : governors) {
    if (!m.frequency_governor.empty()) m.frequency_governor += ",";
    m.frequency_governor += g;
  }
  if (m.frequency_governor.empty()) m.frequency_governor = "none";

  std::map<std::string, int> gpus;
  bool nvidia = false, amdgpu = false;
  for (const auto& d : domains) {
    if (d.kind != energy::DomainKind::kGpu) continue;
    ++m.gpu_count;
    ++gpus[gpu_name(d.label)];
    nvidia = nvidia || d.id.rfind("nvml:", 0) == 0;
    amdgpu = amdgpu || d.id.rfind("hwmon:amdgpu", 0) == 0;
  }
  for (const auto& [name, n] : gpus) {
    if (!m.gpu_model.empty()) m.gpu_model += ", ";
    m.gpu_model += std::to_string(n) + " x " + name;
  }
  const auto add_driver = [&](std::string driver, const std::string& version) {
    if (!version.empty()) driver += " " + version;
    if (!m.gpu_driver.empty()) m.gpu_driver += ", ";
    m.gpu_driver += driver;
  };
  if (nvidia) {
    std::string v = read_trimmed(roots.sysfs + "/module/nvidia/version");
    if (v.empty()) v = nvidia_proc_version(roots.procfs + "/driver/nvidia/version");
    add_driver("nvidia", v);
  }
  if (amdgpu) add_driver("amdgpu", read_trimmed(roots.sysfs + "/module/amdgpu/version"));
  return m;
}

}  // namespace wattserve::record
