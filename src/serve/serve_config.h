// What `wattserve serve` serves and how, from its flags or a TOML config file (--config): the
// server's settings and one ModelSpec per served model. File format and keys: docs/serve.md
// "Configuration file"; an example is examples/serve.toml.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "serve/server.h"
#include "serve/tensor_worker.h"

namespace wattserve::serve {

struct ModelSpec {
  std::string model;  // a zoo name or a model file
  std::string name;   // served under this name; empty: the zoo model's name, or `model`
  std::string engine, provider = "cpu", quant;
  int threads = 0;
  int context = 0;               // text: tokens per sequence; 0: the model's, at most 4096
  std::string kv_cache = "f16";  // llama: f16 (llama.cpp's default) or f32
  TextModelSettings text;        // chat template, queue, parallel, policy, SLO
  TensorWorkerOptions tensor;
};

struct ServeConfig {
  ServerOptions server;
  std::vector<ModelSpec> models;
  double idle_s = 0;
  double interval_ms = 100;
};

// Reads the TOML file at `path` into `config`: the [server] table's keys replace the settings
// except those `given_on_cli(key)` says were given as flags (flags win); each [[model]] table
// becomes a ModelSpec that starts from `defaults` (the flags' values). Unknown keys, wrong
// types and out-of-range values throw std::invalid_argument naming the file, line and key.
void load_serve_config(const std::string& path, ServeConfig& config, const ModelSpec& defaults,
                       const std::function<bool(std::string_view key)>& given_on_cli);

}  // namespace wattserve::serve
