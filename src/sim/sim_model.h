// A simulated text model for the simulator (docs/adapt.md "Simulator"): an engine::TextModel
// whose continuous-batching decoder takes each step's time and power from a VariantProfile and
// spends them in virtual time through the Coordinator, so serve's real TextWorker schedules it.
// Tokens are words: a prompt of n space-separated words is n tokens (sim::prompt_of(n) builds
// one). Generated tokens are never end-of-generation: a request's length is its
// exact_output_tokens (the trace's), as bench's length control does.
#pragma once

#include <memory>

#include "adapt/profile.h"
#include "engine/engine.h"
#include "sim/coordinator.h"

namespace wattserve::sim {

// A prompt of n tokens.
std::string prompt_of(int tokens);

// Time scale of a step: frequency caps slow steps down by max/cap and change power (see
// docs/adapt.md); 1 = the profile as measured.
struct StepScale {
  double time = 1, busy_power = 1;
};

std::unique_ptr<engine::Model> make_sim_model(const adapt::VariantProfile& profile,
                                              Coordinator& coordinator, size_t lane,
                                              std::shared_ptr<const StepScale> scale = nullptr);

}  // namespace wattserve::sim
