#include "cli/text_output.h"

#include <cmath>

namespace wattserve::cli {

std::string format_joules(double j) {
  if (std::isnan(j)) return "n/a";
  if (j >= 3.6e6) return fmt::format("{:.3f} kWh", j / 3.6e6);
  if (j >= 1e3) return fmt::format("{:.2f} kJ", j / 1e3);
  if (j >= 0.1 || j == 0) return fmt::format("{:.3f} J", j);
  return fmt::format("{:.3f} mJ", j * 1e3);
}

std::string format_mass(double kg) {
  if (kg >= 1) return fmt::format("{:.3f} kg", kg);
  if (kg >= 1e-3) return fmt::format("{:.3f} g", kg * 1e3);
  return fmt::format("{:.3f} mg", kg * 1e6);
}

std::string format_seconds(double s) {
  if (std::isnan(s)) return "n/a";
  if (s < 1e-3) return fmt::format("{:.0f} us", s * 1e6);
  if (s < 1) return fmt::format("{:.2f} ms", s * 1e3);
  return fmt::format("{:.3f} s", s);
}

}  // namespace wattserve::cli
