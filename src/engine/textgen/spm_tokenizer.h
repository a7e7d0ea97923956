// A SentencePiece tokenizer (the Debian libsentencepiece) behind the TextModel tokenize /
// detokenize contract, for the ONNX Runtime and LibTorch text models. It produces the same ids
// and text as llama.cpp's SPM tokenizer on the same vocabulary embedded in a GGUF file (tested):
// pieces map U+2581 to a space and byte-fallback tokens <0xXX> to their byte; control tokens
// (<s>, </s>) are text only when asked for.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/engine.h"

namespace wattserve::engine::textgen {

class SpmCore;

class SpmTokenizer {
 public:
  // Throws EngineError: kNotFound (no such file), kBadFormat (not a SentencePiece model).
  // add_bos: whether tokenize(add_special=true) starts with BOS.
  SpmTokenizer(const std::string& model_path, bool add_bos);
  ~SpmTokenizer();
  SpmTokenizer(const SpmTokenizer&) = delete;
  SpmTokenizer& operator=(const SpmTokenizer&) = delete;

  int size() const;  // pieces in the vocabulary
  Token bos() const;
  Token eos() const;  // end of generation; -1 if the vocabulary has none
  // parse_special: "<s>" / "</s>" in the text become those control tokens.
  std::vector<Token> tokenize(std::string_view text, bool add_special, bool parse_special) const;
  std::string detokenize(std::span<const Token> tokens, bool remove_special,
                         bool unparse_special) const;
  // The bytes one token contributes to the text (may be a partial UTF-8 sequence); empty for
  // control tokens.
  std::string piece(Token token) const;

 private:
  void check(Token token) const;
  void encode_plain(std::string_view text, std::vector<Token>& out) const;

  std::unique_ptr<SpmCore> sp_;
  bool add_bos_;
  std::vector<std::string> pieces_;  // piece(id) for every id, precomputed
  std::vector<bool> control_;
  std::vector<std::pair<Token, std::string>> control_text_;  // control ids and their text
};

}  // namespace wattserve::engine::textgen
