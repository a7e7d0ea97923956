#include "cli/carbon_options.h"

#include <cstdlib>
#include <filesystem>
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

void add_carbon_flags(CLI::App* app, CarbonFlags& f, bool series) {
  app->add_option("--country", f.country,
                  "Grid carbon intensity of this country: ISO 3166 alpha-3 code or name")
      ->check(non_blank())
      ->group("Carbon");
  app->add_option("--cloud", f.cloud, "Cloud PROVIDER:REGION, e.g. gcp:europe-west1")
      ->check(non_blank())
      ->group("Carbon");
  // A number is the override; with `series`, anything else is an intensity CSV.
  const auto number = [](const std::string& v, double* out) {
    char* end = nullptr;
    *out = std::strtod(v.c_str(), &end);
    return !v.empty() && end != nullptr && *end == '\0';
  };
  app->add_option("--carbon-intensity")
      ->description(series ? "Override: grid intensity in gCO2e/kWh; or an intensity series (CSV: "
                             "a time and a gCO2e/kWh column, as Electricity Maps exports) to "
                             "start the study at the cleanest time before --deadline"
                           : "Override: grid intensity in gCO2e/kWh")
      ->check(CLI::Validator(
          [number, series](std::string& v) -> std::string {
            double x = 0;
            if (number(v, &x)) {
              return x >= 0 && x <= 5000 ? "" : "a grid intensity is in [0, 5000] gCO2e/kWh";
            }
            if (!series) return "give gCO2e/kWh, a number in [0, 5000]";
            return std::filesystem::is_regular_file(v)
                       ? ""
                       : "give gCO2e/kWh (a number) or an intensity CSV file (no such file)";
          },
          series ? "NUMBER|CSV" : "NUMBER"))
      ->each([&f, number](const std::string& v) {
        double x = 0;
        if (number(v, &x)) {
          f.intensity = x;
          f.intensity_series.clear();
        } else {
          f.intensity = -1;
          f.intensity_series = v;
        }
      })
      ->group("Carbon");
  app->add_option("--pue", f.pue, "Power usage effectiveness of the facility")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 5.0))
      ->group("Carbon");
}

}  // namespace wattserve::cli
