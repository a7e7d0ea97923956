#include "energy/core/types.h"

namespace wattserve::energy {

std::string_view to_string(Source s) {
  switch (s) {
    case Source::kCounter:
      return "counter";
    case Source::kPower:
      return "power";
    case Source::kEstimate:
      return "estimate";
  }
  return "unknown";
}

Source weakest(Source a, Source b) {
  return static_cast<int>(a) > static_cast<int>(b) ? a : b;
}

std::string_view to_string(DomainKind k) {
  switch (k) {
    case DomainKind::kCpuPackage:
      return "cpu_package";
    case DomainKind::kCpuCore:
      return "cpu_core";
    case DomainKind::kCpuUncore:
      return "cpu_uncore";
    case DomainKind::kDram:
      return "dram";
    case DomainKind::kPsys:
      return "psys";
    case DomainKind::kGpu:
      return "gpu";
    case DomainKind::kSystem:
      return "system";
  }
  return "unknown";
}

}  // namespace wattserve::energy
