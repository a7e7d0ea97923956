#include "energy/sensors/meter_setup.h"

#include <fmt/format.h>

#include <sstream>
#include <stdexcept>

namespace wattserve::energy {

SensorSelection sensor_selection(const MeterSpec& spec) {
  SensorSelection out = spec.sel;
  std::stringstream ss(spec.sensors);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.only.push_back(item);
  }
  if (!out.external.command.empty() && !out.external.url.empty()) {
    throw std::invalid_argument(
        "an external meter is either a command or a URL: give one of them, not both");
  }
  if (!(spec.external_interval_ms >= 10)) {
    throw std::invalid_argument(fmt::format(
        "the external meter's interval must be >= 10 ms, not {}", spec.external_interval_ms));
  }
  out.external.interval_ns = static_cast<int64_t>(spec.external_interval_ms * 1e6);
  return out;
}

std::unique_ptr<Meter> make_meter(const MeterSpec& spec) {
  if (!(spec.interval_ms >= 1)) {
    throw std::invalid_argument(
        fmt::format("the meter's sampling interval must be >= 1 ms, not {}", spec.interval_ms));
  }
  MeterOptions mo;
  mo.interval_ns = static_cast<std::int64_t>(spec.interval_ms * 1e6);
  auto found = discover_sensors(sensor_selection(spec));
  return std::make_unique<Meter>(std::move(found.sensors), mo);
}

}  // namespace wattserve::energy
