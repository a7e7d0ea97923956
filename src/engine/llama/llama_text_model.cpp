// LlamaTextModel: llama.cpp's own tokenizer and a sampler chain implementing SamplingParams.
#include "engine/llama/llama_text_model.h"

#include <algorithm>
#include <climits>

namespace wattserve::engine::llama {

namespace {

struct SamplerDeleter {
  void operator()(llama_sampler* s) const { llama_sampler_free(s); }
};
using SamplerPtr = std::unique_ptr<llama_sampler, SamplerDeleter>;

// Greedy when temperature == 0; else top-k -> top-p -> temperature -> seeded draw.
SamplerPtr make_sampler(const SamplingParams& p) {
  auto sp = llama_sampler_chain_default_params();
  sp.no_perf = true;
  SamplerPtr chain(llama_sampler_chain_init(sp));
  if (p.temperature == 0.0f) {
    llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
    return chain;
  }
  if (p.top_k > 0) llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(p.top_k));
  if (p.top_p < 1.0f) llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(p.top_p, 1));
  llama_sampler_chain_add(chain.get(), llama_sampler_init_temp(p.temperature));
  llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(p.seed));
  return chain;
}

// Position of the first stop string in text[from..], or npos.
std::size_t find_stop(const std::string& text, std::size_t from,
                      const std::vector<std::string>& stop) {
  std::size_t best = std::string::npos;
  for (const auto& s : stop) {
    const std::size_t start = from >= s.size() ? from - s.size() + 1 : 0;
    best = std::min(best, text.find(s, start));
  }
  return best;
}

}  // namespace

LlamaTextModel::LlamaTextModel(ModelPtr model, ContextPtr ctx, std::string provider)
    : model_(std::move(model)),
      ctx_(std::move(ctx)),
      vocab_(llama_model_get_vocab(model_.get())),
      provider_(std::move(provider)) {}

int LlamaTextModel::vocab_size() const {
  return llama_vocab_n_tokens(vocab_);
}

void LlamaTextModel::check_tokens(std::span<const Token> tokens) const {
  const int n = vocab_size();
  for (const Token t : tokens) {
    if (t < 0 || t >= n) {
      throw std::invalid_argument("token id " + std::to_string(t) + " out of range [0, " +
                                  std::to_string(n) + ")");
    }
  }
}

std::vector<Token> LlamaTextModel::tokenize(std::string_view text, bool add_special,
                                            bool parse_special) const {
  if (text.size() > static_cast<std::size_t>(INT32_MAX / 2)) {
    throw std::invalid_argument("text too long to tokenize");
  }
  const auto len = static_cast<int32_t>(text.size());
  std::vector<Token> out(text.size() + 2);
  int32_t n = llama_tokenize(vocab_, text.data(), len, out.data(), static_cast<int32_t>(out.size()),
                             add_special, parse_special);
  if (n == INT32_MIN) throw std::invalid_argument("text too long to tokenize");
  if (n < 0) {
    out.resize(static_cast<std::size_t>(-n));
    n = llama_tokenize(vocab_, text.data(), len, out.data(), static_cast<int32_t>(out.size()),
                       add_special, parse_special);
    if (n < 0) throw EngineError(EngineError::Kind::kRuntime, "llama_tokenize failed");
  }
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string LlamaTextModel::detokenize(std::span<const Token> tokens, bool remove_special,
                                       bool unparse_special) const {
  check_tokens(tokens);
  const auto n_tokens = static_cast<int32_t>(tokens.size());
  std::string out(tokens.size() * 4 + 16, '\0');
  int32_t n = llama_detokenize(vocab_, tokens.data(), n_tokens, out.data(),
                               static_cast<int32_t>(out.size()), remove_special, unparse_special);
  if (n < 0) {
    out.resize(static_cast<std::size_t>(-n));
    n = llama_detokenize(vocab_, tokens.data(), n_tokens, out.data(),
                         static_cast<int32_t>(out.size()), remove_special, unparse_special);
    if (n < 0) throw EngineError(EngineError::Kind::kRuntime, "llama_detokenize failed");
  }
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string LlamaTextModel::piece(Token token) const {
  std::string out(32, '\0');
  int32_t n =
      llama_token_to_piece(vocab_, token, out.data(), static_cast<int32_t>(out.size()), 0, false);
  if (n < 0) {
    out.resize(static_cast<std::size_t>(-n));
    n = llama_token_to_piece(vocab_, token, out.data(), static_cast<int32_t>(out.size()), 0, false);
  }
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

int LlamaTextModel::context_length() const {
  return ctx_ ? static_cast<int>(llama_n_ctx(ctx_.get())) : 0;
}

void LlamaTextModel::require_context() const {
  if (!ctx_) {
    throw EngineError(EngineError::Kind::kUnsupported,
                      "model was loaded vocab_only (tokenizer only): it cannot generate");
  }
}

bool LlamaTextModel::decode(Token* tokens, std::size_t n) {
  const int32_t rc = llama_decode(ctx_.get(), llama_batch_get_one(tokens, static_cast<int32_t>(n)));
  if (rc < 0) {
    throw EngineError(EngineError::Kind::kRuntime, "llama_decode failed: " + std::to_string(rc));
  }
  return rc == 0;
}

void LlamaTextModel::decode_prompt(std::span<const Token> prompt) {
  if (prompt.empty()) throw std::invalid_argument("generate needs a non-empty prompt");
  check_tokens(prompt);
  const uint32_t n_ctx = llama_n_ctx(ctx_.get());
  if (prompt.size() >= n_ctx) {
    throw std::invalid_argument("prompt of " + std::to_string(prompt.size()) +
                                " tokens does not fit the context of " + std::to_string(n_ctx));
  }
  llama_memory_clear(llama_get_memory(ctx_.get()), true);
  std::vector<Token> input(prompt.begin(), prompt.end());
  const std::size_t n_batch = llama_n_batch(ctx_.get());
  for (std::size_t i = 0; i < input.size(); i += n_batch) {
    if (!decode(input.data() + i, std::min(n_batch, input.size() - i))) {
      throw EngineError(EngineError::Kind::kRuntime, "prompt does not fit the context");
    }
  }
}

std::vector<float> LlamaTextModel::next_logits(std::span<const Token> prompt) {
  require_context();
  std::lock_guard lock(generate_mu_);
  decode_prompt(prompt);
  const float* logits = llama_get_logits_ith(ctx_.get(), -1);
  if (!logits) throw EngineError(EngineError::Kind::kRuntime, "llama.cpp returned no logits");
  return {logits, logits + vocab_size()};
}

Token LlamaTextModel::greedy_token() {
  const float* logits = llama_get_logits_ith(ctx_.get(), -1);
  if (!logits) throw EngineError(EngineError::Kind::kRuntime, "llama.cpp returned no logits");
  const int n = vocab_size();
  int best = 0;
  for (int i = 1; i < n; ++i) {
    if (logits[i] > logits[best]) best = i;
  }
  return best;
}

GenerateResult LlamaTextModel::generate(std::span<const Token> prompt, const SamplingParams& params,
                                        const TokenCallback& on_token) {
  validate(params);
  require_context();
  std::lock_guard lock(generate_mu_);
  decode_prompt(prompt);
  SamplerPtr sampler = make_sampler(params);
  const uint32_t n_ctx = llama_n_ctx(ctx_.get());

  GenerateResult result;
  std::size_t n_past = prompt.size();
  while (true) {
    if (n_past >= n_ctx) {
      result.reason = StopReason::kContextFull;
      break;
    }
    // Greedy: the argmax of the logits directly (ties to the lowest id, as llama.cpp's greedy
    // sampler), without building the sampler's candidate array of the whole vocabulary.
    Token tok = params.temperature == 0.0f ? greedy_token()
                                           : llama_sampler_sample(sampler.get(), ctx_.get(), -1);
    if (!params.ignore_eos && llama_vocab_is_eog(vocab_, tok)) {
      result.reason = StopReason::kEndOfGeneration;
      break;
    }
    const std::string p = piece(tok);
    const std::size_t before = result.text.size();
    result.tokens.push_back(tok);
    result.text += p;
    if (on_token && !on_token(tok, p)) {
      result.reason = StopReason::kCallback;
      break;
    }
    if (const auto at = find_stop(result.text, before, params.stop); at != std::string::npos) {
      result.text.resize(at);
      result.reason = StopReason::kStopString;
      break;
    }
    if (result.tokens.size() >= static_cast<std::size_t>(params.max_tokens)) {
      result.reason = StopReason::kMaxTokens;
      break;
    }
    if (!decode(&tok, 1)) {
      result.reason = StopReason::kContextFull;
      break;
    }
    ++n_past;
  }
  return result;
}

}  // namespace wattserve::engine::llama
