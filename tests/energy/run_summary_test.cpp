#include "energy/exporters/run_summary.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace wattserve::energy {
namespace {

// The rest of a measure run's JSON is the run record (tests/record/run_record_test.cpp).
TEST(ProcessJson, Domains) {
  ProcessReport p;
  p.root_pid = 4242;
  p.domains = {{"estimate:cpu", DomainKind::kCpuPackage, Source::kEstimate, true, true, 25, 100},
               {"nvml:gpu-0", DomainKind::kGpu, Source::kCounter, true, false, 0, 50}};
  p.joules = 25;
  p.domain_joules = 100;
  p.mean_share = 0.25;
  p.tree_cpu_seconds = 1.5;
  p.intervals = 25;
  const nlohmann::json j = to_json(p);
  EXPECT_EQ(j["root_pid"], 4242);
  EXPECT_EQ(j["joules"], 25);
  EXPECT_EQ(j["mean_share"], 0.25);
  EXPECT_EQ(j["tree_cpu_seconds"], 1.5);
  EXPECT_EQ(j["domains"][0]["joules"], 25);
  EXPECT_TRUE(j["domains"][1]["joules"].is_null());
  EXPECT_EQ(j["domains"][1]["attributed"], false);
}

TEST(SummaryUuid, Version4Format) {
  const std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = make_uuid_v4();
    EXPECT_TRUE(std::regex_match(id, re)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace wattserve::energy
