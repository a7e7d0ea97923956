// Core vocabulary of the energy library: where a figure comes from (Source), what a
// measured domain is (Domain), and the error type sensors raise when they cannot start.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace wattserve::energy {

// How an energy figure was obtained, from most to least trustworthy.
enum class Source {
  kCounter,   // a hardware energy counter (RAPL energy_uj, NVML total energy, hwmon energy)
  kPower,     // power readings integrated over time (NVML power, hwmon power, external meter)
  kEstimate,  // a model (CPU utilisation x TDP, installed RAM); no sensor was read
};
std::string_view to_string(Source s);
// The weaker of two sources (estimate < power < counter): a sum is only as good as its worst part.
Source weakest(Source a, Source b);

enum class DomainKind {
  kCpuPackage,  // a CPU socket's package (includes cores, uncore, integrated GPU)
  kCpuCore,     // RAPL pp0 / core: inside the package, never added to totals
  kCpuUncore,   // RAPL pp1 / uncore: inside the package, never added to totals
  kDram,        // memory attached to a socket (RAPL dram) or estimated RAM power
  kPsys,        // RAPL platform (psys): the whole SoC platform, includes package + dram
  kGpu,         // a GPU board (NVML, amdgpu hwmon)
  kSystem,      // a whole machine or PDU outlet (external meter)
};
std::string_view to_string(DomainKind k);

// One thing whose energy is measured, e.g. RAPL package-0 or GPU 1.
struct Domain {
  std::string id;  // unique and stable, e.g. "rapl:package-0", "nvml:gpu-0", "estimate:cpu"
  DomainKind kind = DomainKind::kCpuPackage;
  Source source = Source::kEstimate;
  std::string label;    // for people, e.g. "Intel RAPL package-0 (socket 0)"
  bool counted = true;  // added to totals; false for domains contained in another (core, uncore)
};

// Raised when a sensor cannot be created or read at all; what() says why, for `wattserve sensors`.
class SensorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace wattserve::energy
