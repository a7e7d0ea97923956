#include "energy/core/carbon.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>

namespace wattserve::energy {
namespace {

double json_intensity(const std::string& code) {
  std::ifstream in(std::string(WATTSERVE_SOURCE_DIR) + "/data/codecarbon/global_energy_mix.json");
  auto j = nlohmann::json::parse(in);
  return j.at(code).at("carbon_intensity").get<double>();
}

CarbonSettings settings(std::string country, std::string provider = {}, std::string region = {}) {
  CarbonSettings s;
  s.country = std::move(country);
  s.cloud_provider = std::move(provider);
  s.cloud_region = std::move(region);
  return s;
}

CarbonIntensity intensity(double g) {
  CarbonIntensity ci;
  ci.g_per_kwh = g;
  return ci;
}

std::string error_of(const CarbonSettings& s) {
  try {
    resolve_carbon(s);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(Carbon, CountryByCodeAndName) {
  double fra = json_intensity("FRA");
  for (const char* q : {"FRA", "fra", "France", "FRANCE", " france "}) {
    auto ci = resolve_carbon(settings(q));
    EXPECT_DOUBLE_EQ(ci.g_per_kwh, fra) << q;
    EXPECT_EQ(ci.country_iso_code, "FRA");
    EXPECT_EQ(ci.country_name, "France");
    EXPECT_EQ(ci.source.rfind("country:FRA", 0), 0u);
  }
  EXPECT_DOUBLE_EQ(resolve_carbon(settings("DEU")).g_per_kwh, json_intensity("DEU"));
  EXPECT_GT(country_intensities().size(), 200u);
}

TEST(Carbon, CloudRegion) {
  auto ci = resolve_carbon(settings("", "gcp", "europe-west1"));
  EXPECT_DOUBLE_EQ(ci.g_per_kwh, 122);
  EXPECT_EQ(ci.cloud_provider, "gcp");
  EXPECT_EQ(ci.cloud_region, "europe-west1");
  EXPECT_EQ(ci.country_iso_code, "BEL");
  auto iowa = resolve_carbon(settings("", "GCP", "us-central1"));
  EXPECT_DOUBLE_EQ(iowa.g_per_kwh, 430);
  EXPECT_EQ(iowa.region, "Iowa");
  // Cloud wins over country when both are given.
  EXPECT_DOUBLE_EQ(resolve_carbon(settings("FRA", "gcp", "europe-west1")).g_per_kwh, 122);
}

TEST(Carbon, OverrideAndWorldDefault) {
  CarbonSettings with_override = settings("", "gcp", "europe-west1");
  with_override.g_per_kwh = 100.0;
  auto user = resolve_carbon(with_override);
  EXPECT_DOUBLE_EQ(user.g_per_kwh, 100);
  EXPECT_EQ(user.source, "user");
  auto world = resolve_carbon({});
  EXPECT_DOUBLE_EQ(world.g_per_kwh, kWorldAverageGPerKwh);
  EXPECT_EQ(world.source.rfind("world average", 0), 0u);
}

TEST(Carbon, EmissionsArithmetic) {
  CarbonIntensity ci = intensity(100);
  EXPECT_DOUBLE_EQ(emissions_kg(3.6e6, ci), 0.1);        // 1 kWh at 100 g
  EXPECT_DOUBLE_EQ(emissions_kg(3.6e6, ci, 1.5), 0.15);  // with PUE 1.5
  EXPECT_DOUBLE_EQ(emissions_kg(7.2e6, intensity(475), 1.2), 2 * 1.2 * 0.475);
  EXPECT_EQ(emissions_kg(0, ci, 1.0), 0);
  EXPECT_THROW(emissions_kg(1, ci, 0.9), std::invalid_argument);
  EXPECT_THROW(emissions_kg(-1, ci, 1.0), std::invalid_argument);
}

TEST(Carbon, HelpfulErrors) {
  CarbonSettings bad_pue = settings("FRA"), bad_override;
  bad_pue.pue = 0.5;
  bad_override.g_per_kwh = -3.0;
  EXPECT_NE(error_of(settings("FR")).find("alpha-3"), std::string::npos);
  EXPECT_NE(error_of(settings("Frnace")).find("France"), std::string::npos);
  EXPECT_NE(error_of(settings("Atlantis")).find("unknown country"), std::string::npos);
  EXPECT_NE(error_of(settings("", "gcp", "europe-west99")).find("europe-west"), std::string::npos);
  EXPECT_NE(error_of(settings("", "aws", "us-east-1")).find("known providers: gcp"),
            std::string::npos);
  EXPECT_NE(error_of(settings("", "", "us-east1")).find("without a cloud provider"),
            std::string::npos);
  EXPECT_NE(error_of(bad_pue).find("PUE"), std::string::npos);
  EXPECT_NE(error_of(bad_override).find("override"), std::string::npos);
}

}  // namespace
}  // namespace wattserve::energy
