#include "serve/chat_template.h"

#include <stdexcept>

namespace wattserve::serve {

bool is_chat_template(const std::string& name) {
  return name == "plain" || name == "chatml";
}

std::string render_chat(const std::string& name, std::span<const ChatMessage> messages) {
  std::string out;
  if (name == "plain") {
    for (const auto& m : messages) {
      std::string role = m.role == "developer" ? "system" : m.role;
      role[0] = static_cast<char>(role[0] - 'a' + 'A');
      out += role + ": " + m.content + "\n";
    }
    return out + "Assistant:";
  }
  if (name == "chatml") {
    for (const auto& m : messages) {
      out += "<|im_start|>" + (m.role == "developer" ? std::string("system") : m.role) + "\n" +
             m.content + "<|im_end|>\n";
    }
    return out + "<|im_start|>assistant\n";
  }
  throw std::invalid_argument("unknown chat template '" + name + "' (plain, chatml)");
}

std::vector<std::string> chat_stop_strings(const std::string& name) {
  if (name == "plain") return {"\nUser:", "\nSystem:"};
  if (name == "chatml") return {"<|im_end|>"};
  throw std::invalid_argument("unknown chat template '" + name + "' (plain, chatml)");
}

}  // namespace wattserve::serve
