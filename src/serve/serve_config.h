// What `wattserve serve` serves and how, from its flags or a TOML config file (--config): the
// server's settings and one ModelSpec per served model. File format and keys: docs/serve.md
// "Configuration file"; an example is examples/serve.toml.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "energy/sensors/meter_setup.h"
#include "model/model_spec.h"
#include "serve/server.h"
#include "serve/tensor_worker.h"

namespace wattserve::serve {

// What to load, model::default_model_spec() but for parallel: a server decodes up to
// TextWorkerOptions{}.parallel (4) sequences together by default (docs/serve.md).
model::ModelSpec default_served_model();

// One served model: what to load (the one model specification, whose fields are the [[model]]
// keys of the same names) plus the serving-only settings.
struct ModelSpec {
  model::ModelSpec spec = default_served_model();
  std::string name;        // served under this name; empty: the zoo model's name, or spec.model
  TextModelSettings text;  // chat template, queue, policy, SLO (parallel: spec.parallel)
  TensorWorkerOptions tensor;
};

// m.text with its worker's parallel taken from m.spec.parallel.
TextModelSettings text_settings(const ModelSpec& m);

struct ServeConfig {
  ServerOptions server;
  std::vector<ModelSpec> models;
  double idle_s = 0;
  double interval_ms = energy::kDefaultMeterIntervalMs;
};

// Reads the TOML file at `path` into `config`: the [server] table's keys replace the settings
// except those `given_on_cli(key)` says were given as flags (flags win); each [[model]] table
// becomes a ModelSpec that starts from `defaults` (the flags' values); its model keys are read
// with model::set_field. Unknown keys, wrong types and out-of-range values throw
// std::invalid_argument naming the file, line and key.
void load_serve_config(const std::string& path, ServeConfig& config, const ModelSpec& defaults,
                       const std::function<bool(std::string_view key)>& given_on_cli);

}  // namespace wattserve::serve
