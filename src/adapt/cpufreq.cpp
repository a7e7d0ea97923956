// Linux cpufreq caps (cpufreq.h).
#include "adapt/cpufreq.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace wattserve::adapt {

namespace fs = std::filesystem;

namespace {

bool read_line(const fs::path& p, std::string* out) {
  std::ifstream in(p);
  if (!in) return false;
  std::getline(in, *out);
  return true;
}

uint64_t read_khz(const fs::path& p) {
  std::string s;
  if (!read_line(p, &s)) throw std::runtime_error(fmt::format("cannot read {}", p.string()));
  try {
    size_t used = 0;
    const auto v = std::stoull(s, &used);
    if (s.find_first_not_of(" \t\r", used) != std::string::npos) throw std::invalid_argument(s);
    return v;
  } catch (const std::exception&) {
    throw std::runtime_error(fmt::format("{}: not a frequency in kHz: '{}'", p.string(), s));
  }
}

void write_khz(const fs::path& p, uint64_t khz) {
  std::ofstream out(p);
  if (out) out << khz << "\n";
  out.flush();
  if (!out) {
    throw std::runtime_error(fmt::format("cannot write {}: {}", p.string(), std::strerror(errno)));
  }
}

}  // namespace

CpuFreq CpuFreq::open(const CpuFreqOptions& options) {
  CpuFreq c;
  c.options_ = options;
  std::error_code ec;
  std::vector<fs::path> dirs;
  if (fs::is_directory(options.root, ec)) {
    for (const auto& e : fs::directory_iterator(options.root, ec)) {
      if (e.path().filename().string().starts_with("policy")) dirs.push_back(e.path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    if (!fs::exists(d / "scaling_max_freq", ec)) continue;
    CpuFreqPolicy p;
    p.name = d.filename().string();
    p.min_khz = read_khz(d / "cpuinfo_min_freq");
    p.max_khz = read_khz(d / "cpuinfo_max_freq");
    p.cap_khz = read_khz(d / "scaling_max_freq");
    if (p.min_khz == 0 || p.min_khz > p.max_khz) {
      throw std::runtime_error(fmt::format("{}: cpuinfo_min_freq {} above cpuinfo_max_freq {}",
                                           d.string(), p.min_khz, p.max_khz));
    }
    std::string list;
    if (read_line(d / "scaling_available_frequencies", &list)) {
      std::istringstream in(list);
      uint64_t f = 0;
      while (in >> f) p.available_khz.push_back(f);
    }
    c.policies_.push_back(std::move(p));
  }
  if (c.policies_.empty()) {
    throw std::runtime_error(
        fmt::format("{}: no cpufreq policy (no frequency scaling driver here, as in most VMs and "
                    "containers): the frequency governor has nothing to act on",
                    options.root));
  }
  return c;
}

std::vector<uint64_t> CpuFreq::caps_khz(size_t steps) const {
  std::set<uint64_t> common;
  bool listed = true;
  for (size_t i = 0; i < policies_.size(); ++i) {
    const auto& a = policies_[i].available_khz;
    if (a.empty()) {
      listed = false;
      break;
    }
    std::set<uint64_t> s(a.begin(), a.end());
    if (i == 0) {
      common = s;
    } else {
      std::set<uint64_t> both;
      std::set_intersection(common.begin(), common.end(), s.begin(), s.end(),
                            std::inserter(both, both.begin()));
      common = both;
    }
  }
  if (listed && !common.empty()) return {common.begin(), common.end()};
  uint64_t lo = 0, hi = UINT64_MAX;
  for (const auto& p : policies_) {
    lo = std::max(lo, p.min_khz);
    hi = std::min(hi, p.max_khz);
  }
  if (hi <= lo || steps < 2) return {hi};
  std::vector<uint64_t> out;
  for (size_t i = 0; i < steps; ++i) {
    out.push_back(lo + (hi - lo) * i / (steps - 1));
  }
  return out;
}

CapAction CpuFreq::set_cap(uint64_t khz) {
  CapAction a;
  a.requested_khz = khz;
  a.applied = options_.allow_actuate;
  for (auto& p : policies_) {
    const uint64_t v = std::clamp(khz, p.min_khz, p.max_khz);
    const auto file = fs::path(options_.root) / p.name / "scaling_max_freq";
    if (options_.allow_actuate) write_khz(file, v);
    a.lines.push_back(fmt::format("{}: scaling_max_freq {} kHz{}", p.name, v,
                                  options_.allow_actuate ? "" : " (dry run: not written)"));
  }
  return a;
}

void CpuFreq::restore() {
  if (!options_.allow_actuate) return;
  for (const auto& p : policies_) {
    write_khz(fs::path(options_.root) / p.name / "scaling_max_freq", p.cap_khz);
  }
}

}  // namespace wattserve::adapt
