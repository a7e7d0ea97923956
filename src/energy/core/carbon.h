// Grid carbon intensity (gCO2e/kWh) and emissions. Intensity comes from, in order: a user
// override, a cloud provider region (CodeCarbon's cloud_impact.csv, compiled in), a country
// (ISO 3166-1 alpha-3 code or English name, CodeCarbon's global_energy_mix.json from Our World
// in Data), else the world average. Emissions = kWh * PUE * intensity.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wattserve::energy {

// World average used when nothing is given: 475 gCO2e/kWh (IEA Global Energy & CO2 Status
// Report 2019, CodeCarbon's default). The generation-weighted mean of the embedded country
// table (2021-2023 data) is 481, within 1.5 %.
inline constexpr double kWorldAverageGPerKwh = 475.0;

struct CarbonSettings {
  std::optional<double> g_per_kwh;  // user override (>= 0); wins over everything
  std::string cloud_provider;       // "gcp" (the only provider in the table); needs cloud_region
  std::string cloud_region;         // e.g. "europe-west1"
  std::string country;              // "FRA" or "France" (case-insensitive); alpha-2 is rejected
  double pue = 1.0;                 // power usage effectiveness of the facility (>= 1)
};

struct CarbonIntensity {
  double g_per_kwh = 0;
  std::string source;  // "user", "cloud:gcp/europe-west1 (...)", "country:FRA (Our World in Data
                       // 2022)", "world average ..."
  std::string country_name, country_iso_code;
  std::string region;  // state or city of a cloud region, when known
  std::string cloud_provider, cloud_region;
};

// Throws std::invalid_argument with a helpful message (close matches, how to find codes).
CarbonIntensity resolve_carbon(const CarbonSettings& settings);

// joules / 3.6e6 kWh * pue * g_per_kwh / 1000. Throws std::invalid_argument for pue < 1,
// negative or non-finite joules.
double emissions_kg(double joules, const CarbonIntensity& intensity, double pue = 1.0);

struct CountryIntensity {
  std::string iso_code;  // alpha-3
  std::string name;
  double g_per_kwh = 0;
  int year = 0;
};
const std::vector<CountryIntensity>& country_intensities();  // embedded table, parsed once

struct CloudRegionIntensity {
  std::string provider, region, country_name, country_iso_code, state, city;
  double g_per_kwh = 0;
};
const std::vector<CloudRegionIntensity>& cloud_region_intensities();

}  // namespace wattserve::energy
