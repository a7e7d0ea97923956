#include "energy/sensors/ram_power.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace wattserve::energy {

RamPowerEstimate estimate_ram_power(double ram_gib, int sockets) {
  if (!(ram_gib > 0) || !std::isfinite(ram_gib)) {
    throw std::invalid_argument("estimate_ram_power: installed memory must be > 0 GiB");
  }
  if (sockets < 1) throw std::invalid_argument("estimate_ram_power: sockets must be >= 1");
  double guess = std::ceil(ram_gib / kGibPerDimmGuess);
  int modules =
      static_cast<int>(std::clamp(guess, 2.0, static_cast<double>(kMaxDimmsPerSocket * sockets)));
  RamPowerEstimate r;
  r.modules = modules;
  for (int n = 1; n <= modules; ++n) {
    double share = n <= 4 ? 1.0 : n <= 8 ? 0.9 : n <= 16 ? 0.8 : 0.7;
    r.watts += kWattsPerDimm * share;
  }
  r.w_per_gib = r.watts / ram_gib;
  return r;
}

}  // namespace wattserve::energy
