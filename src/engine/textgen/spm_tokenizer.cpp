// SpmTokenizer over libsentencepiece.
#include "engine/textgen/spm_tokenizer.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>

#include "engine/textgen/spm_core.h"

namespace wattserve::engine::textgen {

namespace {

// "<0x0A>" -> '\n'; false if `p` is not a byte piece.
bool byte_piece(const std::string& p, char& out) {
  if (p.size() != 6 || p.compare(0, 3, "<0x") != 0 || p[5] != '>') return false;
  char* end = nullptr;
  const std::string hex = p.substr(3, 2);
  const long v = std::strtol(hex.c_str(), &end, 16);
  if (end != hex.c_str() + 2) return false;
  out = static_cast<char>(static_cast<unsigned char>(v));
  return true;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

using OpenFn = SpmCore* (*)(const char*, std::string*);

// wattserve_spm_open from libwattserve_spm.so in the folder of the shared object this code is
// linked into (an engine plug-in), loaded once and never unloaded.
OpenFn spm_open() {
  static const OpenFn fn = [] {
    Dl_info info{};
    if (!dladdr(reinterpret_cast<void*>(&spm_open), &info) || !info.dli_fname) {
      throw EngineError(EngineError::Kind::kPlugin, "cannot locate the engine plug-in folder");
    }
    const auto path =
        (std::filesystem::path(info.dli_fname).parent_path() / "libwattserve_spm.so").string();
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* err = dlerror();
      throw EngineError(EngineError::Kind::kPlugin,
                        "cannot load the SentencePiece module: " + std::string(err ? err : path));
    }
    auto* f = reinterpret_cast<OpenFn>(dlsym(h, "wattserve_spm_open"));
    if (!f) throw EngineError(EngineError::Kind::kPlugin, path + " lacks wattserve_spm_open");
    return f;
  }();
  return fn;
}

}  // namespace

SpmTokenizer::SpmTokenizer(const std::string& model_path, bool add_bos) : add_bos_(add_bos) {
  check_model_file(model_path);
  std::string error;
  sp_.reset(spm_open()(model_path.c_str(), &error));
  if (!sp_) {
    throw EngineError(EngineError::Kind::kBadFormat,
                      "not a SentencePiece model: " + model_path + " (" + error + ")");
  }
  const int n = sp_->size();
  pieces_.resize(static_cast<std::size_t>(n));
  control_.resize(static_cast<std::size_t>(n));
  for (int id = 0; id < n; ++id) {
    const auto i = static_cast<std::size_t>(id);
    const std::string p = sp_->id_to_piece(id);
    char byte = 0;
    if (sp_->is_control(id)) {
      control_[i] = true;
      control_text_.push_back({id, p});
    } else if (sp_->is_byte(id) && byte_piece(p, byte)) {
      pieces_[i] = std::string(1, byte);
    } else if (sp_->is_unknown(id)) {
      pieces_[i] = " \xE2\x81\x87 ";  // " ⁇ ", as SentencePiece and llama.cpp render <unk>
    } else {
      pieces_[i] = replace_all(p, "\xE2\x96\x81", " ");  // U+2581 -> space
    }
  }
}

SpmTokenizer::~SpmTokenizer() = default;

int SpmTokenizer::size() const {
  return static_cast<int>(pieces_.size());
}
Token SpmTokenizer::bos() const {
  return sp_->bos();
}
Token SpmTokenizer::eos() const {
  return sp_->eos();
}

void SpmTokenizer::check(Token token) const {
  if (token < 0 || token >= size()) {
    throw std::invalid_argument("token id " + std::to_string(token) + " out of range [0, " +
                                std::to_string(size()) + ")");
  }
}

void SpmTokenizer::encode_plain(std::string_view text, std::vector<Token>& out) const {
  if (text.empty()) return;
  std::vector<int> ids;
  std::string error;
  if (!sp_->encode(std::string(text), &ids, &error)) {
    throw EngineError(EngineError::Kind::kRuntime, "SentencePiece: " + error);
  }
  out.insert(out.end(), ids.begin(), ids.end());
}

std::vector<Token> SpmTokenizer::tokenize(std::string_view text, bool add_special,
                                          bool parse_special) const {
  std::vector<Token> out;
  if (add_special && add_bos_ && bos() >= 0) out.push_back(bos());
  if (!parse_special) {
    encode_plain(text, out);
    return out;
  }
  // Split at the earliest control-token text, longest first on a tie.
  while (!text.empty()) {
    std::size_t best_at = std::string_view::npos;
    int best_id = -1;
    std::size_t best_len = 0;
    for (const auto& [id, p] : control_text_) {
      const std::size_t at = text.find(p);
      if (at != std::string_view::npos &&
          (at < best_at || (at == best_at && p.size() > best_len))) {
        best_at = at;
        best_id = id;
        best_len = p.size();
      }
    }
    if (best_id < 0) break;
    encode_plain(text.substr(0, best_at), out);
    out.push_back(best_id);
    text.remove_prefix(best_at + best_len);
  }
  encode_plain(text, out);
  return out;
}

std::string SpmTokenizer::piece(Token token) const {
  check(token);
  return pieces_[static_cast<std::size_t>(token)];
}

std::string SpmTokenizer::detokenize(std::span<const Token> tokens, bool remove_special,
                                     bool unparse_special) const {
  std::string out;
  for (const Token t : tokens) {
    check(t);
    const auto i = static_cast<std::size_t>(t);
    if (control_[i]) {
      if (remove_special && (t == bos() || t == eos())) continue;
      if (unparse_special) out += sp_->id_to_piece(t);
      continue;
    }
    out += pieces_[i];
  }
  return out;
}

}  // namespace wattserve::engine::textgen
