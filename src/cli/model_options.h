// Command-line flags bound to the fields of the one model specification and of the sampling
// parameters (model/model_spec.h): the help, the check and the default shown in --help come
// from the field's table entry, so `run`, `serve`, `ocr` (and study and config files, through
// model::set_field) accept the same values with the same messages.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

#include "model/model_spec.h"

namespace wattserve::cli {

// Binds `flags` (e.g. "-e,--engine") to `value`, a member of a ModelSpec or SamplingParams, as
// the field named `field` (model_spec_fields() or sampling_fields()). `help` replaces the
// field's own help when not empty. The default is shown when it is not empty.
CLI::Option* add_field_flag(CLI::App* app, const std::string& flags, std::string& value,
                            std::string_view field, const std::string& help = "");
CLI::Option* add_field_flag(CLI::App* app, const std::string& flags, int& value,
                            std::string_view field, const std::string& help = "");
CLI::Option* add_field_flag(CLI::App* app, const std::string& flags, float& value,
                            std::string_view field, const std::string& help = "");

}  // namespace wattserve::cli
