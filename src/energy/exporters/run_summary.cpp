#include "energy/exporters/run_summary.h"

#include <fmt/format.h>

#include <random>

namespace wattserve::energy {
namespace {

constexpr double kJoulesPerKwh = 3.6e6;

}  // namespace

std::string make_uuid_v4() {
  static thread_local std::mt19937_64 gen([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }());
  uint64_t hi = gen(), lo = gen();
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 10xx
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF,
                     hi & 0xFFFF, lo >> 48, lo & 0xFFFFFFFFFFFFull);
}

nlohmann::json to_json(const ProcessReport& r) {
  nlohmann::json domains = nlohmann::json::array();
  for (const auto& d : r.domains) {
    nlohmann::json j = {{"id", d.id},
                        {"kind", std::string(to_string(d.kind))},
                        {"source", std::string(to_string(d.source))},
                        {"counted", d.counted},
                        {"attributed", d.attributed},
                        {"domain_joules", d.domain_joules}};
    if (d.attributed) {
      j["joules"] = d.joules;
    } else {
      j["joules"] = nullptr;
      j["note"] = "share not applicable: CPU time says nothing about this domain's use";
    }
    domains.push_back(std::move(j));
  }
  return {{"root_pid", r.root_pid},
          {"method", "cpu-time share of CPU-side domains"},
          {"joules", r.joules},
          {"kwh", r.joules / kJoulesPerKwh},
          {"domain_joules", r.domain_joules},
          {"mean_share", r.mean_share},
          {"tree_cpu_seconds", r.tree_cpu_seconds},
          {"system_busy_cpu_seconds", r.system_busy_seconds},
          {"intervals", r.intervals},
          {"domains", std::move(domains)}};
}

}  // namespace wattserve::energy
