// A window's joules split by device (device_parts.h).
#include "energy/core/device_parts.h"

#include <string_view>
#include <utility>

namespace wattserve::energy {

std::vector<DevicePart> device_parts(const WindowReport& w) {
  static constexpr const char* kOrder[] = {"gpu", "cpu", "system"};
  const auto device_of = [](DomainKind k) -> const char* {
    switch (k) {
      case DomainKind::kGpu:
        return "gpu";
      case DomainKind::kSystem:
        return "system";
      default:
        return "cpu";
    }
  };
  std::vector<DevicePart> out;
  for (const char* device : kOrder) {
    DevicePart part;
    bool any = false;
    Source source = Source::kCounter;
    for (const auto& d : w.domains) {
      if (!d.counted || std::string_view(device_of(d.kind)) != device) continue;
      part.joules += d.attributed_joules;
      source = any ? weakest(source, d.source) : d.source;
      any = true;
    }
    if (!any) continue;
    part.device = device;
    part.source = std::string(to_string(source));
    out.push_back(std::move(part));
  }
  return out;
}

}  // namespace wattserve::energy
