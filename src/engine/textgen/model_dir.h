// Resolves the tokenizer a text model names in its metadata: a path relative to the model file,
// unless LoadOptions.tokenizer overrides it.
#pragma once

#include <string>

namespace wattserve::engine::textgen {

// `override_path` if non-empty; else `named` resolved against the model file's folder; throws
// EngineError(kBadFormat) when both are empty.
std::string tokenizer_path(const std::string& model_path, const std::string& named,
                           const std::string& override_path);

}  // namespace wattserve::engine::textgen
