// Human-readable figures shared by the subcommands' text output: energy with a unit that fits
// (J, kJ, kWh), CO2e mass (mg, g, kg), and stderr printing that never throws.
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <string>

namespace wattserve::cli {

std::string format_joules(double joules);
std::string format_mass(double kg);
// Seconds as "850 us", "12.34 ms" or "3.210 s"; "n/a" for NaN.
std::string format_seconds(double s);

// Writes to stderr and never throws: a closed or full stderr must not lose the results.
template <typename... Args>
void eprint(fmt::format_string<Args...> format, Args&&... args) {
  const std::string text = fmt::format(format, std::forward<Args>(args)...);
  std::fputs(text.c_str(), stderr);
}

}  // namespace wattserve::cli
