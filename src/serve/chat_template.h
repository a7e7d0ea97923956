// Chat templates: how /v1/chat/completions turns messages into the prompt a served model
// continues. "plain" (default; the demo models are not chat-tuned) writes "Role: content"
// lines and ends with "Assistant:"; "chatml" is the <|im_start|>role ... <|im_end|> format of
// Qwen-family models. Also the default stop strings each template implies.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "serve/openai_api.h"

namespace wattserve::serve {

// Throws std::invalid_argument for an unknown template name.
std::string render_chat(const std::string& template_name, std::span<const ChatMessage> messages);
std::vector<std::string> chat_stop_strings(const std::string& template_name);
bool is_chat_template(const std::string& name);

}  // namespace wattserve::serve
