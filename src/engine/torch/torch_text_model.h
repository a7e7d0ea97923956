// A TorchScript causal LM exported with an explicit KV cache
// (models/text/export_torchscript.py) as a TextModel: forward(input_ids [1,S] int64, past_len []
// int64, past_key_0, past_value_0, ...) -> (logits [1,S,V], present_key_0, present_value_0, ...),
// described by the module's extra file "wattserve.json" (kind "text", tokenizer, n_layers,
// n_heads, head_dim, vocab, ctx). Internal to the torch plug-in.
#pragma once

#include <torch/script.h>

#include <memory>
#include <string>

#include "engine/engine.h"

namespace wattserve::engine::libtorch {

// `config` is the text of the module's wattserve.json. Throws EngineError(kBadFormat) when it
// does not describe a KV-cache text model or the tokenizer does not fit.
std::unique_ptr<Model> make_text_model(torch::jit::Module module, const std::string& config,
                                       c10::Device device, const std::string& path,
                                       const LoadOptions& options);

}  // namespace wattserve::engine::libtorch
