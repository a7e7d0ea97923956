// serve --adapt's flags and setup (serve_adapt.h).
#include "cli/serve_adapt.h"

#include <fmt/format.h>

#include <set>

#include "adapt/cpufreq.h"
#include "adapt/nvml_clocks.h"
#include "adapt/profile.h"
#include "model/model_spec.h"
#include "serve/server.h"

namespace wattserve::cli {

namespace {

// The profile id of a loaded variant, as `plan profile` names it.
std::string profile_id(const model::ModelSpec& spec, const zoo::Resolved& where) {
  const std::string model = where.entry ? where.entry->model : spec.model;
  std::string quant = spec.quant;
  if (quant.empty()) quant = where.entry ? adapt::quant_of_entry(where.entry->name) : "f32";
  return adapt::variant_id(model, quant, where.engine,
                           spec.provider.empty() ? "cpu" : spec.provider, spec.threads,
                           spec.parallel);
}

}  // namespace

void add_adapt_flags(CLI::App* sub, AdaptFlags& f) {
  const char* g = "Adaptation (serve --adapt; docs/adapt.md)";
  sub->add_flag("--adapt", f.enabled,
                "Let the online controller choose, every --adapt-period, which loaded variant of "
                "the served text model (and how many parallel slots) takes new requests: the "
                "least predicted energy per request that keeps the E2E SLO (--slo-e2e) with "
                "headroom at the observed rate; one step faster after a window below the target")
      ->group(g);
  sub->add_option("--adapt-variants", f.variants,
                  "Other variants of the served model to load, QUANT[:THREADS] each (e.g. "
                  "q4_0:1 q8_0:2); the served one is the first")
      ->delimiter(',')
      ->group(g);
  sub->add_option("--adapt-profiles", f.profiles,
                  "Profiles JSON with every variant (wattserve plan profile)")
      ->check(CLI::ExistingFile)
      ->group(g);
  sub->add_option("--adapt-period", f.period_s, "Seconds between the controller's decisions")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 3600.0))
      ->group(g);
  sub->add_option("--adapt-headroom", f.headroom,
                  "Predicted utilisation allowed at the observed rate")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 1.0))
      ->group(g);
  sub->add_option("--adapt-target", f.target, "SLO attainment to keep")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 1.0))
      ->group(g);
  sub->add_option("--adapt-min-quality", f.min_quality,
                  "Never switch to a variant whose profiled quality (accuracy or reference-token "
                  "likelihood) is below this")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group(g);
  sub->add_option("--adapt-parallel-caps", f.caps,
                  "Parallel-slot caps the controller may also use (default: the full slots)")
      ->delimiter(',')
      ->check(CLI::Range(1, 4096))
      ->group(g);
  sub->add_option("--governor", f.governor,
                  "Frequency governor on SLO attainment (after mu-Serve): off, cpufreq (Linux "
                  "scaling_max_freq) or nvml (GPU application clocks); dry run unless "
                  "--allow-actuate")
      ->capture_default_str()
      ->check(CLI::IsMember({"off", "cpufreq", "nvml"}))
      ->group(g);
  sub->add_flag("--allow-actuate", f.allow_actuate,
                "Let the governor write frequency caps (root); without it, decisions are logged "
                "and nothing changes")
      ->group(g);
}

AdaptSetup setup_adapt(const AdaptFlags& f, serve::Server& server, const serve::ModelSpec& served,
                       const zoo::Resolved& where) {
  AdaptSetup out;
  if (f.profiles.empty()) throw std::invalid_argument("--adapt needs --adapt-profiles FILE");
  if (!(served.text.slo.e2e_s > 0)) {
    throw std::invalid_argument("--adapt needs an end-to-end SLO: --slo-e2e SECONDS");
  }
  const auto profiles = adapt::load_profiles(f.profiles);
  struct Variant {
    std::string id, label;
    size_t index = 0;
    int parallel = 1;
  };
  std::vector<Variant> variants;
  variants.push_back({profile_id(served.spec, where), served.name, 0, served.spec.parallel});
  std::set<std::string> seen = {variants.front().id};
  for (const auto& v : f.variants) {
    model::ModelSpec spec = served.spec;
    adapt::VariantSpec vs;
    try {
      vs = adapt::parse_variant_spec(v);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("--adapt-variants: ") + e.what());
    }
    spec.quant = vs.quant;
    if (vs.threads > 0) spec.threads = vs.threads;
    model::validate(spec);
    auto w = model::resolve(spec);
    const std::string id = profile_id(spec, w);
    if (!seen.insert(id).second) continue;
    const std::string label = fmt::format("{}@{}-t{}", served.name, spec.quant, spec.threads);
    auto loaded = model::load_resolved(spec, w).model;
    const size_t index = server.add_text_variant(served.name, label, std::move(loaded));
    variants.push_back({id, label, index, spec.parallel});
    out.notes.push_back(fmt::format("{} -> {} (variant {}, {} thread{})", label, w.path, index,
                                    spec.threads, spec.threads == 1 ? "" : "s"));
  }
  std::vector<serve::AdapterOption> options;
  for (const auto& v : variants) {
    const auto* p = profiles.find(v.id);
    if (!p) {
      std::string have;
      for (const auto& q : profiles.variants) have += "\n  " + q.id;
      throw std::invalid_argument(
          fmt::format("--adapt-profiles {}: no profile for {}; it has:{}", f.profiles, v.id, have));
    }
    if (const auto why = adapt::unusable_for_text(*p); !why.empty()) {
      throw std::invalid_argument(fmt::format("--adapt-profiles {}: {}", f.profiles, why));
    }
    std::set<int> caps(f.caps.begin(), f.caps.end());
    caps.insert(v.parallel);
    for (const int c : caps) {
      if (c > v.parallel) continue;
      serve::AdapterOption o;
      o.option.name = c == v.parallel ? v.label : fmt::format("{}@{}", v.label, c);
      o.option.profile = *p;
      o.option.parallel = c;
      o.variant = v.index;
      options.push_back(std::move(o));
    }
  }
  if (f.governor == "cpufreq") {
    adapt::CpuFreqOptions co;
    co.allow_actuate = f.allow_actuate;
    out.actuator = std::make_unique<adapt::CpuFreq>(adapt::CpuFreq::open(co));
  } else if (f.governor == "nvml") {
    adapt::NvmlClocksOptions no;
    no.allow_actuate = f.allow_actuate;
    out.actuator = std::make_unique<adapt::NvmlClocks>(adapt::NvmlClocks::open(no));
  }
  if (out.actuator) {
    out.notes.push_back(
        fmt::format("governor: {} ({})", out.actuator->name(),
                    f.allow_actuate ? "applies caps" : "dry run: logs, writes nothing"));
  }
  serve::AdapterOptions ao;
  ao.period_s = f.period_s;
  ao.controller.slo_e2e_s = served.text.slo.e2e_s;
  ao.controller.target = f.target;
  ao.controller.headroom = f.headroom;
  ao.controller.min_quality = f.min_quality;
  out.adapter = std::make_unique<serve::Adapter>(server, served.name, std::move(options), ao,
                                                 server.registry(), out.actuator.get());
  return out;
}

}  // namespace wattserve::cli
