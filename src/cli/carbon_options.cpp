#include "cli/carbon_options.h"

#include <stdexcept>

#include "cli/sensor_options.h"

namespace wattserve::cli {

energy::CarbonSettings CarbonFlags::settings() const {
  energy::CarbonSettings c;
  if (intensity >= 0) c.g_per_kwh = intensity;
  c.country = country;
  if (!cloud.empty()) {
    auto colon = cloud.find(':');
    if (colon == std::string::npos) {
      throw std::invalid_argument("--cloud takes PROVIDER:REGION, e.g. gcp:europe-west1");
    }
    c.cloud_provider = cloud.substr(0, colon);
    c.cloud_region = cloud.substr(colon + 1);
  }
  c.pue = pue;
  return c;
}

void add_carbon_flags(CLI::App* app, CarbonFlags& f) {
  app->add_option("--country", f.country,
                  "Grid carbon intensity of this country: ISO 3166 alpha-3 code or name")
      ->check(non_blank())
      ->group("Carbon");
  app->add_option("--cloud", f.cloud, "Cloud PROVIDER:REGION, e.g. gcp:europe-west1")
      ->check(non_blank())
      ->group("Carbon");
  app->add_option("--carbon-intensity", f.intensity, "Override: grid intensity in gCO2e/kWh")
      ->check(CLI::Range(0.0, 5000.0))
      ->group("Carbon");
  app->add_option("--pue", f.pue, "Power usage effectiveness of the facility")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 5.0))
      ->group("Carbon");
}

}  // namespace wattserve::cli
