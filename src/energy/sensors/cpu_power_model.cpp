#include "energy/sensors/cpu_power_model.h"

#include <cctype>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "energy/sensors/cpu_tdp.h"

namespace wattserve::energy {
namespace {

bool contains_word(const std::vector<std::string>& tokens, std::string_view w) {
  for (const auto& t : tokens) {
    if (t == w) return true;
  }
  return false;
}

// True when an Intel/AMD model number ends in a mobile suffix, e.g. i7-8550u, 1165g7, 5800h,
// 7840hs, 12800hx, 4750u, 155h.
bool mobile_suffix(std::string_view token) {
  size_t last_digit = token.find_last_of("0123456789");
  if (last_digit == std::string_view::npos) return false;
  std::string_view suffix = token.substr(last_digit + 1);
  // Ice/Tiger Lake "1165g7": the suffix is "g" followed by a digit.
  if (size_t g = token.find_last_of('g'); g != std::string_view::npos && g > 0 &&
                                          g + 2 == token.size() &&
                                          std::isdigit(static_cast<unsigned char>(token[g - 1])) &&
                                          std::isdigit(static_cast<unsigned char>(token[g + 1]))) {
    return true;
  }
  for (std::string_view s :
       {"u", "y", "h", "hq", "hk", "hs", "hx", "m", "mq", "mx", "p", "qm", "xm"}) {
    if (suffix == s) return true;
  }
  return false;
}

std::vector<std::string> tokens_of(std::string_view normalised) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : normalised) {
    if (c == ' ') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace

std::string_view to_string(CpuClass c) {
  switch (c) {
    case CpuClass::kServerIntel:
      return "server-intel";
    case CpuClass::kServerAmd:
      return "server-amd";
    case CpuClass::kDesktopIntel:
      return "desktop-intel";
    case CpuClass::kDesktopAmd:
      return "desktop-amd";
    case CpuClass::kMobile:
      return "mobile";
    case CpuClass::kUnknown:
      break;
  }
  return "unknown";
}

CpuClass classify_cpu(std::string_view cpu_model) {
  std::string lower;
  for (char c : cpu_model) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto tokens = tokens_of(normalize_cpu_name(cpu_model));
  bool amd = lower.find("amd") != std::string::npos || contains_word(tokens, "ryzen") ||
             contains_word(tokens, "epyc") || contains_word(tokens, "opteron") ||
             contains_word(tokens, "athlon") || contains_word(tokens, "threadripper");
  bool intel = lower.find("intel") != std::string::npos || contains_word(tokens, "xeon") ||
               contains_word(tokens, "core") || contains_word(tokens, "pentium") ||
               contains_word(tokens, "celeron");
  if (contains_word(tokens, "xeon")) return CpuClass::kServerIntel;
  if (contains_word(tokens, "epyc") || contains_word(tokens, "opteron"))
    return CpuClass::kServerAmd;
  if (lower.starts_with("apple m") || contains_word(tokens, "mobile") ||
      contains_word(tokens, "ultra") ||
      (contains_word(tokens, "ryzen") && contains_word(tokens, "ai"))) {
    return CpuClass::kMobile;
  }
  for (const auto& t : tokens) {
    if (mobile_suffix(t) && (intel || amd)) return CpuClass::kMobile;
  }
  if (amd) return CpuClass::kDesktopAmd;
  if (intel) return CpuClass::kDesktopIntel;
  return CpuClass::kUnknown;
}

CpuClassParams class_params(CpuClass c) {
  // See docs/measurement.md, "Parameters", for the sources of each figure.
  constexpr double kR = 1.4;  // Fan, Weber, Barroso 2007
  switch (c) {
    case CpuClass::kServerIntel:
      return {0.12, 0.70, kR};
    case CpuClass::kServerAmd:
      return {0.25, 0.80, kR};
    case CpuClass::kDesktopIntel:
      return {0.05, 1.00, kR};
    case CpuClass::kDesktopAmd:
      return {0.15, 1.00, kR};
    case CpuClass::kMobile:
      return {0.10, 1.00, kR};
    case CpuClass::kUnknown:
      break;
  }
  return {0.12, 0.80, kR};
}

double load_curve(double load, double r) {
  return 2 * load - std::pow(load, r);
}

CpuPowerEstimate estimate_cpu_power(std::string_view cpu_model, double load,
                                    const CpuModelOptions& opts) {
  if (!(load >= 0 && load <= 1)) {
    throw std::invalid_argument("estimate_cpu_power: load must be a fraction in [0, 1] (got " +
                                std::to_string(load) + "); divide a percentage by 100");
  }
  if (!(opts.tdp_w >= 0) || !std::isfinite(opts.tdp_w)) {
    throw std::invalid_argument("estimate_cpu_power: tdp_w must be >= 0 W (0 = from the table)");
  }
  if (opts.sockets < 1) {
    throw std::invalid_argument("estimate_cpu_power: sockets must be >= 1 (got " +
                                std::to_string(opts.sockets) + ")");
  }
  CpuPowerEstimate e;
  CpuClass cls = classify_cpu(cpu_model);
  e.cpu_class = std::string(to_string(cls));
  e.sockets = opts.sockets;
  auto match = match_cpu_tdp(cpu_model);
  if (match) {
    e.matched_model = match->name;
    e.match_score = match->score;
  }
  if (opts.tdp_w > 0) {
    e.tdp_w = opts.tdp_w;
  } else if (match) {
    e.tdp_w = match->tdp_w;
    e.tdp_from_table = true;
  } else {
    e.tdp_w = kFallbackTdpW;
    e.tdp_fallback = true;
  }
  CpuClassParams p = class_params(cls);
  double scale = e.tdp_w * opts.sockets;
  e.idle_w = scale * p.idle_share;
  e.full_w = scale * p.full_share;
  e.total_w = e.idle_w + (e.full_w - e.idle_w) * load_curve(load, p.curve_r);
  e.dynamic_w = e.total_w - e.idle_w;
  return e;
}

}  // namespace wattserve::energy
