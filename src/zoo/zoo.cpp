#include "zoo/zoo.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

namespace wattserve::zoo {

namespace fs = std::filesystem;

std::string default_zoo_dir() {
  const char* env = std::getenv("WATTSERVE_ZOO");
  return env && *env ? env : WATTSERVE_ZOO_DIR;
}

namespace {

ZooEntry parse_entry(const nlohmann::json& j, const fs::path& dir) {
  ZooEntry e;
  e.name = j.at("name").get<std::string>();
  e.model = j.at("model").get<std::string>();
  e.family = j.at("family").get<std::string>();
  e.kind = j.at("kind").get<std::string>();
  e.size = j.value("size", "");
  e.format = j.at("format").get<std::string>();
  e.engines = j.at("engines").get<std::vector<std::string>>();
  e.path = (dir / j.at("file").get<std::string>()).string();
  e.parameters = j.value("parameters", std::int64_t{0});
  e.file_bytes = j.value("file_bytes", std::int64_t{0});
  if (const auto q = j.find("quality"); q != j.end() && q->is_object()) {
    if (q->contains("metric") && q->at("metric").is_string()) e.quality_metric = q->at("metric");
    if (q->contains("value") && q->at("value").is_number()) e.quality_value = q->at("value");
  }
  if (const auto s = j.find("sample"); s != j.end() && s->is_object()) {
    e.sample_input = (dir / s->at("input").get<std::string>()).string();
    e.sample_labels = (dir / s->at("labels").get<std::string>()).string();
  }
  return e;
}

std::string join_models(const std::vector<ZooEntry>& entries) {
  std::set<std::string> names;
  for (const auto& e : entries) names.insert(e.model);
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

std::vector<ZooEntry> read_manifest(const std::string& zoo_dir) {
  const fs::path file = fs::path(zoo_dir) / "manifest.json";
  std::ifstream in(file);
  if (!in) {
    throw std::runtime_error(
        fmt::format("no model zoo at {} (missing {}): build it with scripts/build_zoo.sh or point "
                    "WATTSERVE_ZOO / --zoo at one",
                    zoo_dir, file.string()));
  }
  try {
    const auto j = nlohmann::json::parse(in);
    std::vector<ZooEntry> out;
    for (const auto& e : j.at("entries")) out.push_back(parse_entry(e, zoo_dir));
    return out;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(fmt::format("malformed zoo manifest {}: {}", file.string(), e.what()));
  }
}

std::string engine_for_path(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".gguf") return "llama";
  if (ext == ".onnx") return "onnx";
  if (ext == ".pt" || ext == ".ts" || ext == ".torchscript") return "torch";
  return {};
}

Resolved resolve(const std::string& model, const std::string& engine, const std::string& quant,
                 const std::string& zoo_dir) {
  if (model.empty()) throw std::invalid_argument("--model is empty");
  if (model.find('/') != std::string::npos || fs::is_regular_file(model)) {
    Resolved r{model, engine.empty() ? engine_for_path(model) : engine, std::nullopt};
    if (r.engine.empty()) {
      throw std::invalid_argument(fmt::format(
          "cannot tell the engine of {} from its extension: pass --engine llama|onnx|torch",
          model));
    }
    return r;
  }
  const auto all = read_manifest(zoo_dir);
  std::vector<ZooEntry> files;
  for (const auto& e : all) {
    if (e.model == model || e.name == model) files.push_back(e);
  }
  if (files.empty()) {
    throw std::invalid_argument(fmt::format("no model '{}' in the zoo at {}; it has: {}", model,
                                            zoo_dir, join_models(all)));
  }
  const auto has_engine = [&](const std::string& name) {
    return std::any_of(files.begin(), files.end(), [&](const ZooEntry& e) {
      return std::find(e.engines.begin(), e.engines.end(), name) != e.engines.end();
    });
  };
  std::string chosen = engine;
  if (chosen.empty()) {
    for (const char* name : {"llama", "onnx", "torch"}) {
      if (has_engine(name)) {
        chosen = name;
        break;
      }
    }
  }
  std::set<std::string> engines;
  for (const auto& e : files) engines.insert(e.engines.begin(), e.engines.end());
  if (!has_engine(chosen)) {
    throw std::invalid_argument(
        fmt::format("zoo model '{}' has no file for engine '{}'; it runs on: {}", model, chosen,
                    fmt::join(engines, ", ")));
  }
  std::vector<ZooEntry> usable;
  std::set<std::string> formats;
  for (const auto& e : files) {
    if (std::find(e.engines.begin(), e.engines.end(), chosen) == e.engines.end()) continue;
    formats.insert(e.format);
    // A GGUF family has one file per quantisation; an exact file name needs no --quant.
    const bool gguf = e.format.rfind("gguf-", 0) == 0;
    if (gguf && e.name != model && !quant.empty() && e.format != "gguf-" + quant) continue;
    usable.push_back(e);
  }
  if (quant.empty()) {  // no --quant: f32 when there is one (exact), else the first listed
    std::stable_partition(usable.begin(), usable.end(),
                          [](const ZooEntry& e) { return e.format == "gguf-f32"; });
  }
  if (usable.empty()) {
    throw std::invalid_argument(
        fmt::format("zoo model '{}' has no {} file with --quant {}; it has: {}", model, chosen,
                    quant, fmt::join(formats, ", ")));
  }
  if (!fs::is_regular_file(usable.front().path)) {
    throw std::invalid_argument(
        fmt::format("the zoo lists {} but the file is missing: rebuild it "
                    "with scripts/build_zoo.sh",
                    usable.front().path));
  }
  return {usable.front().path, chosen, usable.front()};
}

}  // namespace wattserve::zoo
