// The CPU thermal design power (TDP) table compiled into the library (CodeCarbon's
// cpu_power.csv, MIT) and the fuzzy matching of a CPU model name, as /proc/cpuinfo writes it
// ("Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz"), to one of its rows. The estimator uses the TDP
// to scale its load -> power model; when nothing matches, the caller applies its fallback.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wattserve::energy {

struct CpuTdpEntry {
  std::string name;  // as in the table, e.g. "Intel Xeon E5-2620 v2"
  double tdp_w = 0;
};

struct CpuTdpMatch {
  std::string name;    // the table row's name
  double tdp_w = 0;    // its TDP per socket (W)
  double score = 0;    // 1 for an exact match of the normalised names, else the similarity
  bool exact = false;  // normalised names are equal
};

// The embedded table (parsed once, thread-safe).
const std::vector<CpuTdpEntry>& cpu_tdp_table();

// Lower-case, vendor-neutral form of a CPU name: drops (R), (TM), "CPU", "Processor", "Intel",
// "AMD", "@ 2.40GHz", "16-Core", "11th Gen", "with Radeon Graphics", parenthesised remarks and
// a lone "0"; collapses spaces. "AMD Ryzen 9 5950X 16-Core Processor" -> "ryzen 9 5950x".
std::string normalize_cpu_name(std::string_view name);

// Token similarity of two normalised names in [0, 1]: a weighted Dice coefficient over
// whitespace tokens, tokens with a digit (model numbers) weighing 2, others 1. It is 0 unless
// every model-number token of `candidate` is in `query` and the query's main model number (its
// longest token with a digit) is in `candidate`, so E5-2620 v3 never matches E5-2620 v2.
double cpu_name_similarity(std::string_view query, std::string_view candidate);

inline constexpr double kDefaultCpuMatchThreshold = 0.8;

// Exact match of the normalised names first, then the most similar row scoring at least
// min_score (ties: the shorter name). std::nullopt when nothing qualifies.
std::optional<CpuTdpMatch> match_cpu_tdp(std::string_view cpu_model,
                                         double min_score = kDefaultCpuMatchThreshold);
std::optional<CpuTdpMatch> match_cpu_tdp(std::string_view cpu_model,
                                         const std::vector<CpuTdpEntry>& table,
                                         double min_score = kDefaultCpuMatchThreshold);

}  // namespace wattserve::energy
