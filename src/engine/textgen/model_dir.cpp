// tokenizer_path(): the model's folder + the name in its metadata, or the override.
#include "engine/textgen/model_dir.h"

#include <filesystem>

#include "engine/engine.h"

namespace wattserve::engine::textgen {

std::string tokenizer_path(const std::string& model_path, const std::string& named,
                           const std::string& override_path) {
  if (!override_path.empty()) return override_path;
  if (named.empty()) {
    throw EngineError(EngineError::Kind::kBadFormat,
                      model_path +
                          " names no tokenizer in its metadata (wattserve.tokenizer): give one "
                          "with --tokenizer / LoadOptions.tokenizer");
  }
  const std::filesystem::path p(named);
  if (p.is_absolute()) return named;
  return (std::filesystem::path(model_path).parent_path() / p).string();
}

}  // namespace wattserve::engine::textgen
