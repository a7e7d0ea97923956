// The estimator's load -> CPU package power model, used when no sensor can be read.
//   P(u) = S * TDP * (i_c + (k_c - i_c) * (2u - u^r)),   u = utilisation of all logical CPUs
// with i_c (idle share of TDP) and k_c (full-load share of TDP) chosen by CPU class (server
// Intel/AMD, desktop Intel/AMD, mobile) and r = 1.4 (Fan et al. 2007). Formulas, parameters
// and their sources: docs/measurement.md.
#pragma once

#include <string>
#include <string_view>

namespace wattserve::energy {

enum class CpuClass { kServerIntel, kServerAmd, kDesktopIntel, kDesktopAmd, kMobile, kUnknown };
std::string_view to_string(CpuClass c);  // "server-intel", ..., "unknown"

// Class from the model name alone: Xeon/EPYC/Opteron -> server; Core/Pentium/Celeron/Ryzen/
// Threadripper/Athlon/FX -> desktop, unless the model number carries a mobile suffix (Intel
// U/Y/H/HQ/HK/HS/HX/M/G1-G7/P, Core Ultra, AMD U/H/HS/HX, Ryzen AI) or the name says "Mobile";
// Apple M*
// -> mobile.
CpuClass classify_cpu(std::string_view cpu_model);

struct CpuClassParams {
  double idle_share;  // i_c: package power at 0 % load / TDP
  double full_share;  // k_c: package power at 100 % load / TDP
  double curve_r;     // r in 2u - u^r (1 = linear; larger = more concave)
};
CpuClassParams class_params(CpuClass c);

// Fan et al.'s shape: 0 at u = 0, 1 at u = 1, concave (slope 2 at 0, 2 - r at 1).
double load_curve(double load, double r);

// TDP per socket (W) used when the model is not in the table and none is given (as CodeCarbon).
inline constexpr double kFallbackTdpW = 85.0;

struct CpuModelOptions {
  double tdp_w = 0;  // TDP per socket; 0 = from the table, else kFallbackTdpW
  int sockets = 1;   // physical packages (>= 1)
};

struct CpuPowerEstimate {
  double total_w = 0;    // package power of all sockets at this load
  double idle_w = 0;     // at load 0
  double dynamic_w = 0;  // total_w - idle_w
  double full_w = 0;     // at load 1
  double tdp_w = 0;      // per socket, as used
  int sockets = 1;
  std::string cpu_class;      // to_string(CpuClass)
  std::string matched_model;  // table row, empty when not matched
  double match_score = 0;     // 1 exact, < 1 fuzzy, 0 none
  bool tdp_from_table = false;
  bool tdp_fallback = false;  // kFallbackTdpW was used
};

// load in [0, 1] (throws std::invalid_argument otherwise, and for NaN, tdp_w < 0, sockets < 1).
CpuPowerEstimate estimate_cpu_power(std::string_view cpu_model, double load,
                                    const CpuModelOptions& opts = {});

}  // namespace wattserve::energy
