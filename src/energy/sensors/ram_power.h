// The estimator's RAM power rule: installed memory -> a guessed number of memory modules ->
// watts (5 W per module, less per module on large systems, after CodeCarbon v3). Constant in
// time: no load dependence. Rationale: docs/measurement.md.
#pragma once

namespace wattserve::energy {

struct RamPowerEstimate {
  double watts = 0;
  int modules = 0;       // guessed DIMM count
  double w_per_gib = 0;  // watts / installed GiB, for summaries
};

inline constexpr double kWattsPerDimm = 5.0;
inline constexpr double kGibPerDimmGuess = 8.0;  // modules assumed >= 8 GiB up to the slot cap
inline constexpr int kMaxDimmsPerSocket = 8;

// ram_gib > 0, sockets >= 1 (std::invalid_argument otherwise).
// modules = clamp(ceil(ram_gib / 8), 2, 8 * sockets); module n (1-based) costs 5 W for n <= 4,
// 4.5 W for 5..8, 4 W for 9..16, 3.5 W beyond.
RamPowerEstimate estimate_ram_power(double ram_gib, int sockets = 1);

}  // namespace wattserve::energy
