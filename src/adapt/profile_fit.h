// Fitting profiles (profile.h) from bench datasets: `wattserve plan profile DIR...`. Runs are
// grouped by variant (model, quant, engine, provider, threads, parallel); direct engine runs
// (bench `run` targets) give prefill (time to first token against prompt tokens) and one-sequence
// step times (time per output token); served runs (`serve` targets with per-request CSVs) give
// step times with several sequences, from each request's overlap with the others, scaled to the
// total step time the server's own counters (steps, sequence-steps, prompt tokens) imply; every run
// gives power against the share of its time the engine was busy. Each model is fitted by least
// squares on 4 of every 5 runs and its error measured on the fifth (docs/adapt.md "Profiles").
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "adapt/profile.h"

namespace wattserve::adapt {

struct ProfileFitOptions {
  int holdout_every = 5;  // every n-th run (by run id order) is held out for the error
};

// A bench record's string / number at a JSON pointer ("/config/model/model"): "" / NaN when
// missing or of another type.
std::string record_string(const nlohmann::json& record, const char* pointer);
double record_number(const nlohmann::json& record, const char* pointer);

// The variant a bench run record measured (identity fields and id set, no fit), or nothing for a
// run profiles do not cover (an external server such as llama-server, no model).
std::optional<VariantProfile> variant_of_record(const nlohmann::json& record);

// Whether a group's i-th run (in dataset order) is held out of the fit.
bool held_out(size_t index, size_t runs_in_group, int holdout_every);

// Throws std::invalid_argument for a folder that is not a dataset or holds no usable run.
Profiles fit_profiles(const std::vector<std::string>& dataset_dirs,
                      const ProfileFitOptions& options = {});

}  // namespace wattserve::adapt
