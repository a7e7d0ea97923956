// `wattserve sensors`: which energy sensors work on this machine, their domains and sources,
// and why each missing sensor is missing.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/sensor_options.h"

namespace wattserve::cli {

namespace {
struct Flags {
  SensorFlags sensors;
  bool json = false;
};

int run_sensors(const Flags& f) {
  energy::Discovery d;
  try {
    auto sel = f.sensors.selection();
    sel.external_required = false;  // list a meter that cannot be read instead of failing
    d = energy::discover_sensors(sel);
  } catch (const std::exception& e) {
    fmt::print(stderr, "wattserve sensors: {}\n", e.what());
    return 2;
  }
  if (f.json) {
    nlohmann::json used = nlohmann::json::array(), unavailable = nlohmann::json::array();
    for (const auto& s : d.sensors) {
      for (const auto& dom : s->domains()) {
        used.push_back({{"sensor", s->name()},
                        {"domain", dom.id},
                        {"kind", energy::to_string(dom.kind)},
                        {"source", energy::to_string(dom.source)},
                        {"counted", dom.counted},
                        {"label", dom.label}});
      }
    }
    for (const auto& n : d.notes) {
      unavailable.push_back({{"sensor", n.sensor}, {"reason", n.reason}, {"hint", n.hint}});
    }
    fmt::print("{}\n", nlohmann::json{{"used", used}, {"unavailable", unavailable}}.dump(2));
    return 0;
  }
  fmt::print("In use:\n");
  for (const auto& s : d.sensors) {
    for (const auto& dom : s->domains()) {
      fmt::print("  {:<14} {:<28} {:<9} {}{}\n", s->name(), dom.id, energy::to_string(dom.source),
                 dom.label, dom.counted ? "" : "  (not added to totals)");
    }
  }
  fmt::print("Not in use:\n");
  for (const auto& n : d.notes) {
    fmt::print("  {:<14} {}\n", n.sensor, n.reason);
    if (!n.hint.empty()) fmt::print("  {:<14} hint: {}\n", "", n.hint);
  }
  return 0;
}
}  // namespace

Command add_sensors(CLI::App& app) {
  auto f = std::make_shared<Flags>();
  auto* sub = app.add_subcommand(
      "sensors", "List the energy sensors available here, and why each missing one is missing");
  add_sensor_flags(sub, f->sensors);
  sub->add_flag("--json", f->json, "Print JSON");
  return {sub, [f] { return run_sensors(*f); }};
}

}  // namespace wattserve::cli
