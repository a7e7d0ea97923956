// `serve --adapt`'s flags and setup (docs/adapt.md "Online adaptation"): loads the other
// variants of the served text model (--adapt-variants), matches every variant with its profile
// (--adapt-profiles), opens the governor's actuator (dry-run unless --allow-actuate) and builds
// the serve::Adapter. The loop itself is in src/serve/adapter.h.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "adapt/actuator.h"
#include "serve/adapter.h"
#include "serve/serve_config.h"
#include "zoo/zoo.h"

namespace wattserve::cli {

struct AdaptFlags {
  bool enabled = false;
  std::vector<std::string> variants;  // "QUANT[:THREADS]"
  std::string profiles;
  double period_s = 2;
  double headroom = 0.7;
  double target = 0.99;
  double min_quality = 0;
  std::vector<int> caps;
  std::string governor = "off";  // off, cpufreq, nvml
  bool allow_actuate = false;
  // Whether any of these was set away from its default (they all need --adapt).
  bool any_given() const {
    const AdaptFlags d;
    return !variants.empty() || !profiles.empty() || period_s != d.period_s ||
           headroom != d.headroom || target != d.target || min_quality != d.min_quality ||
           !caps.empty() || governor != d.governor || allow_actuate;
  }
};

void add_adapt_flags(CLI::App* sub, AdaptFlags& f);

struct AdaptSetup {
  std::unique_ptr<adapt::FrequencyActuator> actuator;
  std::unique_ptr<serve::Adapter> adapter;
  std::vector<std::string> notes;  // lines to print at start
};

// After the served models were added: loads the variants into `server`, builds the adapter (not
// started). Throws std::invalid_argument (bad flags, no profile for a variant) or
// engine::EngineError (a variant that does not load).
AdaptSetup setup_adapt(const AdaptFlags& f, serve::Server& server, const serve::ModelSpec& served,
                       const zoo::Resolved& where);

}  // namespace wattserve::cli
