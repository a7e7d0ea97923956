#include "energy/exporters/prometheus_text.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <cmath>
#include <limits>
#include <memory>

namespace wattserve::energy {
namespace {

const std::vector<Domain> kDomains = {
    {"rapl:package-0", DomainKind::kCpuPackage, Source::kCounter, "pkg", true},
    {"nvml:gpu-0", DomainKind::kGpu, Source::kPower, "gpu", true},
};
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(PrometheusText, ExactExposition) {
  EnergyMetrics m;
  const double j1[] = {10, 100};
  const double p1[] = {kNaN, 250};
  m.update(kDomains, j1, p1);
  const double j2[] = {12.5, 90};  // the GPU figure went back: ignored, the counter holds
  const double p2[] = {25, 240};
  m.update(kDomains, j2, p2);
  const double j3[] = {13.5, 95};
  m.update(kDomains, j3, p2);
  m.set_idle_baseline(kDomains, IdleBaseline{{8, 30}, 5});
  EXPECT_EQ(
      m.serialize(),
      "# HELP wattserve_energy_joules_total Energy used per measured domain since the meter "
      "started (joules)\n"
      "# TYPE wattserve_energy_joules_total counter\n"
      "wattserve_energy_joules_total{domain=\"nvml:gpu-0\",kind=\"gpu\",source=\"power\"} 105\n"
      "wattserve_energy_joules_total{domain=\"rapl:package-0\",kind=\"cpu_package\","
      "source=\"counter\"} 13.5\n"
      "# HELP wattserve_power_watts Mean power per measured domain over the last sampling "
      "interval (watts)\n"
      "# TYPE wattserve_power_watts gauge\n"
      "wattserve_power_watts{domain=\"nvml:gpu-0\",kind=\"gpu\",source=\"power\"} 240\n"
      "wattserve_power_watts{domain=\"rapl:package-0\",kind=\"cpu_package\","
      "source=\"counter\"} 25\n"
      "# HELP wattserve_idle_power_watts Idle power baseline per measured domain (watts)\n"
      "# TYPE wattserve_idle_power_watts gauge\n"
      "wattserve_idle_power_watts{domain=\"nvml:gpu-0\"} 30\n"
      "wattserve_idle_power_watts{domain=\"rapl:package-0\"} 8\n");
}

TEST(PrometheusText, PowerGaugeAbsentUntilKnownAndSharedRegistry) {
  EnergyMetrics m;
  const double j[] = {1, 2};
  const double p[] = {kNaN, kNaN};
  m.update(kDomains, j, p);
  const std::string text = m.serialize();
  EXPECT_NE(text.find("wattserve_energy_joules_total{domain=\"nvml:gpu-0\""), std::string::npos);
  EXPECT_EQ(text.find("wattserve_power_watts{"), std::string::npos);
}

TEST(PrometheusText, TheServerAddsItsOwnFamiliesToASharedRegistry) {
  auto registry = std::make_shared<prometheus::Registry>();
  EnergyMetrics m(registry);
  EXPECT_EQ(m.registry(), registry);
  prometheus::BuildCounter()
      .Name("wattserve_requests_total")
      .Help("Requests")
      .Register(*registry)
      .Add({})
      .Increment(3);
  EXPECT_NE(m.serialize().find("wattserve_requests_total 3\n"), std::string::npos);
}

}  // namespace
}  // namespace wattserve::energy
