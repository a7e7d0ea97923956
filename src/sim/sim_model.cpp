// The simulated text model (sim_model.h).
#include "sim/sim_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace wattserve::sim {

namespace {

int64_t to_ns(double s) {
  return static_cast<int64_t>(std::llround(std::max(0.0, s) * 1e9));
}

struct Costs {
  const adapt::VariantProfile& p;
  std::shared_ptr<const StepScale> scale;
  // Prompt tokens cost the step model's c_tok, or, for profiles fitted from direct runs (whose
  // step model saw no prompt: c_tok = 0), the prefill model's per-token time.
  int64_t step_ns(double sequences, double prompt_tokens) const {
    const double per_token =
        p.step.per_prompt_token_s > 0 ? p.step.per_prompt_token_s : p.prefill.per_token_s;
    const double s = p.step.seconds(sequences, 0) + per_token * prompt_tokens;
    return to_ns(s * (scale ? scale->time : 1.0));
  }
  double watts(double sequences) const {
    const double busy = p.power.busy_w + p.power.per_sequence_w * sequences;
    return std::max(0.0, busy) * (scale ? scale->busy_power : 1.0);
  }
};

class SimDecoder final : public engine::BatchDecoder {
 public:
  SimDecoder(int capacity, int context, Costs costs, Coordinator& c, size_t lane)
      : slots_(static_cast<size_t>(capacity)),
        context_(context),
        costs_(costs),
        c_(c),
        lane_(lane) {}
  int capacity() const override { return static_cast<int>(slots_.size()); }
  int context_length() const override { return context_; }
  int batch_tokens() const override { return 512; }
  int add(std::span<const engine::Token> prompt, const engine::SamplingParams&) override {
    if (prompt.empty()) throw std::invalid_argument("empty prompt");
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i].live) {
        slots_[i] = {true, static_cast<int>(prompt.size()), static_cast<int>(prompt.size())};
        return static_cast<int>(i);
      }
    }
    throw std::logic_error("no free slot");
  }
  void remove(int slot) override {
    if (slot >= 0 && static_cast<size_t>(slot) < slots_.size()) {
      slots_[static_cast<size_t>(slot)].live = false;
    }
  }
  int pending_prompt(int slot) const override {
    return slots_.at(static_cast<size_t>(slot)).pending;
  }
  std::vector<Sampled> step() override {
    int b = 0, k = 0, room = batch_tokens();
    std::vector<int> chunk(slots_.size(), 0);
    for (size_t i = 0; i < slots_.size(); ++i) {
      auto& s = slots_[i];
      if (!s.live) continue;
      ++b;
      if (s.pending > 0) {
        chunk[i] = std::max(1, std::min(s.pending, room));
        room = std::max(0, room - chunk[i]);
        k += chunk[i];
      }
    }
    c_.step(lane_, costs_.step_ns(b, k), costs_.watts(b));
    std::vector<Sampled> out;
    for (size_t i = 0; i < slots_.size(); ++i) {
      auto& s = slots_[i];
      if (!s.live) continue;
      if (s.pending > 0) {
        s.pending -= chunk[i];
        if (s.pending > 0) continue;
      }
      Sampled t;
      t.slot = static_cast<int>(i);
      if (s.length >= context_) {
        t.context_full = true;
      } else {
        t.token = 1;
        t.piece = " x";
        ++s.length;
      }
      out.push_back(std::move(t));
    }
    return out;
  }

 private:
  struct Slot {
    bool live = false;
    int pending = 0;
    int length = 0;
  };
  std::vector<Slot> slots_;
  int context_;
  Costs costs_;
  Coordinator& c_;
  size_t lane_;
};

class SimModel final : public engine::TextModel {
 public:
  SimModel(adapt::VariantProfile p, Coordinator& c, size_t lane,
           std::shared_ptr<const StepScale> scale)
      : p_(std::move(p)), c_(c), lane_(lane), scale_(std::move(scale)) {}
  std::string provider() const override { return p_.provider; }
  std::vector<engine::Token> tokenize(std::string_view text, bool, bool) const override {
    std::vector<engine::Token> out;
    bool in_word = false;
    for (const char ch : text) {
      const bool space = ch == ' ' || ch == '\n' || ch == '\t';
      if (!space && !in_word) out.push_back(1);
      in_word = !space;
    }
    return out;
  }
  std::string detokenize(std::span<const engine::Token> tokens, bool, bool) const override {
    std::string s;
    for (size_t i = 0; i < tokens.size(); ++i) s += " x";
    return s;
  }
  int vocab_size() const override { return 2; }
  int context_length() const override { return p_.context > 0 ? p_.context : 4096; }
  std::vector<float> next_logits(std::span<const engine::Token>) override { return {0.f, 1.f}; }
  engine::GenerateResult generate(std::span<const engine::Token> prompt,
                                  const engine::SamplingParams& params,
                                  const engine::TokenCallback& on_token) override {
    const Costs costs{p_, scale_};
    engine::GenerateResult r;
    int length = static_cast<int>(prompt.size());
    // The prompt's step samples the first token; then one step per token.
    c_.step(lane_, costs.step_ns(1, static_cast<double>(prompt.size())), costs.watts(1));
    for (int n = 0; n < params.max_tokens; ++n) {
      if (n > 0) c_.step(lane_, costs.step_ns(1, 0), costs.watts(1));
      if (length >= context_length()) {
        r.reason = engine::StopReason::kContextFull;
        return r;
      }
      ++length;
      r.tokens.push_back(1);
      r.text += " x";
      if (on_token && !on_token(1, " x")) {
        r.reason = engine::StopReason::kCallback;
        return r;
      }
    }
    r.reason = engine::StopReason::kMaxTokens;
    return r;
  }
  std::unique_ptr<engine::BatchDecoder> batch_decoder(int sequences) override {
    return std::make_unique<SimDecoder>(sequences, context_length(), Costs{p_, scale_}, c_, lane_);
  }

 private:
  adapt::VariantProfile p_;
  Coordinator& c_;
  size_t lane_;
  std::shared_ptr<const StepScale> scale_;
};

}  // namespace

std::string prompt_of(int tokens) {
  std::string s;
  s.reserve(static_cast<size_t>(std::max(0, tokens)) * 2);
  for (int i = 0; i < tokens; ++i) s += i ? " w" : "w";
  return s;
}

std::unique_ptr<engine::Model> make_sim_model(const adapt::VariantProfile& profile,
                                              Coordinator& coordinator, size_t lane,
                                              std::shared_ptr<const StepScale> scale) {
  return std::make_unique<SimModel>(profile, coordinator, lane, std::move(scale));
}

}  // namespace wattserve::sim
