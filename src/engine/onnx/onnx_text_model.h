// An ONNX causal LM exported with an explicit KV cache (models/text/export_onnx.py) as a
// TextModel: inputs input_ids [1,S] int64, past_len [] int64, past_key_i / past_value_i
// [1,H,P,Dh] f32; outputs logits [1,S,V] and present_key_i / present_value_i [1,H,P+S,Dh]. The
// presents of one step are fed back as the next step's past, so each new token costs one
// single-token pass, as in llama.cpp. Internal to the onnx plug-in.
#pragma once

#include <onnxruntime_cxx_api.h>

#include <memory>
#include <string>

#include "engine/engine.h"

namespace wattserve::engine::onnx {

// Takes the opened session. Throws EngineError(kBadFormat) when its inputs/outputs or metadata
// do not describe a KV-cache LM, or the tokenizer does not fit.
std::unique_ptr<Model> make_text_model(Ort::Session session, const std::string& path,
                                       const LoadOptions& options);

}  // namespace wattserve::engine::onnx
