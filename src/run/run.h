// One measured inference run, the core of `wattserve run`: text generation (TTFT, time per
// output token, tokens/s) or batched tensor inference (items/s), each inside a meter window so
// that its energy, and the energy per token or item, come with the timings. Formulas:
// docs/run.md.
#pragma once

#include <cstddef>
#include <string>

#include "energy/core/meter.h"
#include "engine/engine.h"

namespace wattserve::run {

struct TextRun {
  int prompt_tokens = 0;
  engine::GenerateResult result;
  double ttft_s = 0;   // generate() called -> first generated token
  double total_s = 0;  // generate() called -> it returned
  energy::WindowReport energy;
};

// Tokenizes `prompt` (std::invalid_argument when it gives no tokens) and generates under a
// meter window labelled "run". on_token sees every token as it comes (for streaming output).
TextRun run_text(engine::TextModel& model, const std::string& prompt,
                 const engine::SamplingParams& params, energy::Meter& meter,
                 const engine::TokenCallback& on_token = {});

struct TextStats {
  int output_tokens = 0;
  double tpot_s = 0;               // (total - ttft) / (n - 1); NaN when n < 2
  double tokens_per_s = 0;         // n / total
  double decode_tokens_per_s = 0;  // (n - 1) / (total - ttft); NaN when n < 2
  double joules_per_token = 0;     // E / n (NaN when n == 0)
  double dynamic_joules_per_token = 0;
};
TextStats text_stats(const TextRun& run);

struct TensorRun {
  std::size_t items = 0;  // first-dimension rows of the inputs
  int batch_size = 0;
  int repeats = 0;
  std::size_t batches = 0;       // run() calls
  engine::NamedTensors outputs;  // of the first repeat, batches concatenated along dim 0
  double first_batch_s = 0;
  double total_s = 0;
  energy::WindowReport energy;
};

// Runs `inputs` (all with the same first dimension N) in batches of `batch_size` rows (the last
// may be smaller), `repeats` times, under one meter window. std::invalid_argument for
// mismatched first dimensions, batch_size < 1 or repeats < 1.
TensorRun run_tensor(engine::TensorModel& model, const engine::NamedTensors& inputs, int batch_size,
                     int repeats, energy::Meter& meter);

struct TensorStats {
  std::size_t items = 0;       // items * repeats
  double items_per_s = 0;      // items / total
  double joules_per_item = 0;  // E / items
  double dynamic_joules_per_item = 0;
};
TensorStats tensor_stats(const TensorRun& run);

// Share of rows of a [N, C] float output whose argmax equals the label (int64 [N]);
// std::invalid_argument when the shapes do not fit.
double argmax_accuracy(const engine::Tensor& scores, const engine::Tensor& labels);

// Rows [begin, end) of a tensor along its first dimension.
engine::Tensor slice_rows(const engine::Tensor& t, std::int64_t begin, std::int64_t end);

}  // namespace wattserve::run
