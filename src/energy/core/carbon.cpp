#include "energy/core/carbon.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "energy/core/embedded_csv.h"

extern const char* const wattserve_energy_mix_json_data;
extern const std::size_t wattserve_energy_mix_json_size;
extern const char* const wattserve_cloud_impact_csv_data;
extern const std::size_t wattserve_cloud_impact_csv_size;

namespace wattserve::energy {
namespace {

std::string lower(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1));
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Up to 5 candidates close to `query` (edit distance or substring), best first.
std::string close_matches(std::string_view query, const std::vector<std::string>& candidates) {
  std::string q = lower(query);
  std::vector<std::pair<size_t, std::string>> scored;
  for (const auto& c : candidates) {
    std::string lc = lower(c);
    size_t d = edit_distance(q, lc);
    if (q.size() >= 3 && lc.find(q) != std::string::npos) d = std::min<size_t>(d, 1);
    if (d <= std::max<size_t>(2, q.size() / 3)) scored.emplace_back(d, c);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (size_t i = 0; i < scored.size() && i < 5; ++i) out += (i ? ", " : "") + scored[i].second;
  return out;
}

std::string format_g(double g) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", g);
  return buf;
}

CarbonIntensity from_country(std::string_view query) {
  std::string q = trim(query);
  const auto& table = country_intensities();
  bool letters = !q.empty() && std::all_of(q.begin(), q.end(), [](char c) {
    return std::isalpha(static_cast<unsigned char>(c));
  });
  if (letters && q.size() == 2) {
    throw std::invalid_argument(
        "country \"" + q +
        "\" looks like an ISO 3166-1 alpha-2 code; give the alpha-3 code "
        "(e.g. FR -> FRA, US -> USA, DE -> DEU, GB -> GBR) or the English country name. Codes: "
        "https://en.wikipedia.org/wiki/ISO_3166-1_alpha-3");
  }
  std::string lq = lower(q);
  for (const auto& c : table) {
    if (lower(c.iso_code) == lq || lower(c.name) == lq) {
      CarbonIntensity ci;
      ci.g_per_kwh = c.g_per_kwh;
      ci.country_name = c.name;
      ci.country_iso_code = c.iso_code;
      ci.source = "country:" + c.iso_code + " (Our World in Data " + std::to_string(c.year) +
                  ", via CodeCarbon)";
      return ci;
    }
  }
  std::vector<std::string> names;
  for (const auto& c : table) {
    names.push_back(c.iso_code);
    names.push_back(c.name);
  }
  std::string close = close_matches(q, names);
  throw std::invalid_argument("unknown country \"" + q +
                              "\": give an ISO 3166-1 alpha-3 code or an English name" +
                              (close.empty() ? std::string(".") : "; close matches: " + close));
}

CarbonIntensity from_cloud(std::string_view provider_in, std::string_view region_in) {
  std::string provider = lower(trim(provider_in)), region = lower(trim(region_in));
  if (provider == "google" || provider == "gce" || provider == "google cloud") provider = "gcp";
  const auto& table = cloud_region_intensities();
  std::vector<std::string> providers, regions;
  for (const auto& r : table) {
    if (std::find(providers.begin(), providers.end(), r.provider) == providers.end())
      providers.push_back(r.provider);
    if (r.provider == provider) regions.push_back(r.region);
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
    return s;
  };
  if (regions.empty()) {
    throw std::invalid_argument("no carbon data for cloud provider \"" + std::string(provider_in) +
                                "\"; known providers: " + join(providers) +
                                ". Give the region's country instead (alpha-3 code or name).");
  }
  if (region.empty()) {
    throw std::invalid_argument("cloud provider \"" + provider +
                                "\" needs a region, one of: " + join(regions));
  }
  for (const auto& r : table) {
    if (r.provider == provider && lower(r.region) == region) {
      CarbonIntensity ci;
      ci.g_per_kwh = r.g_per_kwh;
      ci.cloud_provider = r.provider;
      ci.cloud_region = r.region;
      ci.country_name = r.country_name;
      ci.country_iso_code = r.country_iso_code;
      ci.region = !r.state.empty() ? r.state : r.city;
      ci.source = "cloud:" + r.provider + "/" + r.region + " (CodeCarbon cloud_impact.csv)";
      return ci;
    }
  }
  std::string close = close_matches(region, regions);
  throw std::invalid_argument(
      "unknown " + provider + " region \"" + std::string(region_in) + "\"" +
      (close.empty() ? "; known regions: " + join(regions) : "; close matches: " + close));
}

}  // namespace

const std::vector<CountryIntensity>& country_intensities() {
  static const std::vector<CountryIntensity> table = [] {
    std::vector<CountryIntensity> out;
    auto j = nlohmann::json::parse(
        std::string_view(wattserve_energy_mix_json_data, wattserve_energy_mix_json_size));
    for (const auto& [code, v] : j.items()) {
      if (!v.is_object() || !v.contains("carbon_intensity") || !v["carbon_intensity"].is_number())
        continue;
      CountryIntensity c;
      c.iso_code = code;
      c.name = v.value("country_name", code);
      c.g_per_kwh = v["carbon_intensity"].get<double>();
      c.year = v.value("year", 0);
      out.push_back(std::move(c));
    }
    return out;
  }();
  return table;
}

const std::vector<CloudRegionIntensity>& cloud_region_intensities() {
  static const std::vector<CloudRegionIntensity> table = [] {
    std::vector<CloudRegionIntensity> out;
    auto rows = parse_csv(
        std::string_view(wattserve_cloud_impact_csv_data, wattserve_cloud_impact_csv_size));
    if (rows.empty()) return out;
    const CsvRow& h = rows[0];
    auto col = [&](std::string_view name) -> size_t {
      auto it = std::find(h.begin(), h.end(), name);
      return it == h.end() ? h.size() : static_cast<size_t>(it - h.begin());
    };
    size_t provider = col("provider"), region = col("region"), country = col("country_name"),
           iso = col("countryIsoCode"), state = col("state"), city = col("city"),
           impact = col("impact");
    for (size_t i = 1; i < rows.size(); ++i) {
      const CsvRow& r = rows[i];
      auto at = [&](size_t c) { return c < r.size() ? r[c] : std::string(); };
      std::string imp = at(impact);
      char* end = nullptr;
      double g = std::strtod(imp.c_str(), &end);
      if (imp.empty() || end == imp.c_str() || at(provider).empty() || at(region).empty()) continue;
      out.push_back(
          {lower(at(provider)), at(region), at(country), at(iso), at(state), at(city), g});
    }
    return out;
  }();
  return table;
}

CarbonIntensity resolve_carbon(const CarbonSettings& s) {
  if (!(s.pue >= 1.0) || !std::isfinite(s.pue)) {
    throw std::invalid_argument("PUE must be a number >= 1 (1.0 = no facility overhead), got " +
                                format_g(s.pue));
  }
  if (s.g_per_kwh) {
    if (!(*s.g_per_kwh >= 0) || !std::isfinite(*s.g_per_kwh)) {
      throw std::invalid_argument("carbon intensity override must be >= 0 gCO2e/kWh");
    }
    CarbonIntensity ci;
    ci.g_per_kwh = *s.g_per_kwh;
    ci.source = "user";
    return ci;
  }
  if (!s.cloud_provider.empty() || !s.cloud_region.empty()) {
    if (s.cloud_provider.empty()) {
      throw std::invalid_argument("cloud region \"" + s.cloud_region +
                                  "\" given without a cloud provider (e.g. gcp)");
    }
    return from_cloud(s.cloud_provider, s.cloud_region);
  }
  if (!trim(s.country).empty()) return from_country(s.country);
  CarbonIntensity ci;
  ci.g_per_kwh = kWorldAverageGPerKwh;
  ci.source =
      "world average 475 gCO2e/kWh (IEA 2019, as CodeCarbon); set a country or cloud region";
  return ci;
}

double emissions_kg(double joules, const CarbonIntensity& intensity, double pue) {
  if (!(pue >= 1.0) || !std::isfinite(pue)) throw std::invalid_argument("PUE must be >= 1");
  if (!(joules >= 0) || !std::isfinite(joules))
    throw std::invalid_argument("energy must be >= 0 J");
  return joules / 3.6e6 * pue * intensity.g_per_kwh / 1000.0;
}

}  // namespace wattserve::energy
