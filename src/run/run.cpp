#include "run/run.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace wattserve::run {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds_since(const energy::Clock& clock, std::int64_t t0) {
  return energy::ns_to_s(clock.now_ns() - t0);
}

}  // namespace

TextRun run_text(engine::TextModel& model, const std::string& prompt,
                 const engine::SamplingParams& params, energy::Meter& meter,
                 const engine::TokenCallback& on_token) {
  engine::validate(params);
  const auto ids = model.tokenize(prompt);
  if (ids.empty()) throw std::invalid_argument("the prompt gives no tokens: pass a non-empty one");
  TextRun run;
  run.prompt_tokens = static_cast<int>(ids.size());
  const energy::Clock& clock = *meter.options().clock;
  const auto window = meter.begin("run");
  const std::int64_t t0 = clock.now_ns();
  bool first = true;
  try {
    run.result = model.generate(ids, params, [&](engine::Token t, std::string_view piece) {
      if (first) {
        run.ttft_s = seconds_since(clock, t0);
        first = false;
      }
      return on_token ? on_token(t, piece) : true;
    });
  } catch (...) {
    meter.end(window);
    throw;
  }
  run.total_s = seconds_since(clock, t0);
  run.energy = meter.end(window);
  if (first) run.ttft_s = run.total_s;
  return run;
}

TextStats text_stats(const TextRun& run) {
  TextStats s;
  const int n = static_cast<int>(run.result.tokens.size());
  s.output_tokens = n;
  const double decode_s = run.total_s - run.ttft_s;
  s.tpot_s = n >= 2 ? decode_s / (n - 1) : kNaN;
  s.decode_tokens_per_s = n >= 2 && decode_s > 0 ? (n - 1) / decode_s : kNaN;
  s.tokens_per_s = run.total_s > 0 ? n / run.total_s : kNaN;
  s.joules_per_token = n > 0 ? run.energy.joules / n : kNaN;
  s.dynamic_joules_per_token = n > 0 ? run.energy.dynamic_joules / n : kNaN;
  return s;
}

engine::Tensor slice_rows(const engine::Tensor& t, std::int64_t begin, std::int64_t end) {
  if (t.shape.empty() || begin < 0 || end > t.shape[0] || begin > end) {
    throw std::invalid_argument("slice_rows: rows out of range");
  }
  engine::Tensor out;
  out.dtype = t.dtype;
  out.shape = t.shape;
  out.shape[0] = end - begin;
  const std::size_t row = t.shape[0] == 0 ? 0 : t.element_count() / t.shape[0];
  if (t.dtype == engine::DType::kFloat32) {
    out.f32.assign(t.f32.begin() + begin * row, t.f32.begin() + end * row);
  } else {
    out.i64.assign(t.i64.begin() + begin * row, t.i64.begin() + end * row);
  }
  return out;
}

namespace {

void append_rows(engine::Tensor& into, const engine::Tensor& rows) {
  if (into.shape.empty()) {
    into = rows;
    return;
  }
  into.shape[0] += rows.shape.at(0);
  into.f32.insert(into.f32.end(), rows.f32.begin(), rows.f32.end());
  into.i64.insert(into.i64.end(), rows.i64.begin(), rows.i64.end());
}

}  // namespace

TensorRun run_tensor(engine::TensorModel& model, const engine::NamedTensors& inputs, int batch_size,
                     int repeats, energy::Meter& meter) {
  if (batch_size < 1) throw std::invalid_argument("the batch size must be at least 1");
  if (repeats < 1) throw std::invalid_argument("repeats must be at least 1");
  if (inputs.empty()) throw std::invalid_argument("no inputs");
  std::int64_t n = -1;
  for (const auto& [name, t] : inputs) {
    t.validate();
    if (t.shape.empty()) throw std::invalid_argument(fmt::format("input '{}' is a scalar", name));
    if (n >= 0 && t.shape[0] != n) {
      throw std::invalid_argument(fmt::format(
          "input '{}' has {} rows, the others {}: all inputs need the same first dimension", name,
          t.shape[0], n));
    }
    n = t.shape[0];
  }
  if (n == 0) throw std::invalid_argument("the inputs have no rows");
  TensorRun run;
  run.items = static_cast<std::size_t>(n);
  run.batch_size = batch_size;
  run.repeats = repeats;
  const energy::Clock& clock = *meter.options().clock;
  const auto window = meter.begin("run");
  const std::int64_t t0 = clock.now_ns();
  try {
    for (int r = 0; r < repeats; ++r) {
      for (std::int64_t b = 0; b < n; b += batch_size) {
        engine::NamedTensors batch;
        for (const auto& [name, t] : inputs) {
          batch.emplace(name, slice_rows(t, b, std::min<std::int64_t>(n, b + batch_size)));
        }
        auto out = model.run(batch);
        if (run.batches++ == 0) run.first_batch_s = seconds_since(clock, t0);
        if (r == 0) {
          for (auto& [name, t] : out) append_rows(run.outputs[name], t);
        }
      }
    }
  } catch (...) {
    meter.end(window);
    throw;
  }
  run.total_s = seconds_since(clock, t0);
  run.energy = meter.end(window);
  return run;
}

TensorStats tensor_stats(const TensorRun& run) {
  TensorStats s;
  s.items = run.items * static_cast<std::size_t>(run.repeats);
  const double n = static_cast<double>(s.items);
  s.items_per_s = run.total_s > 0 ? n / run.total_s : kNaN;
  s.joules_per_item = n > 0 ? run.energy.joules / n : kNaN;
  s.dynamic_joules_per_item = n > 0 ? run.energy.dynamic_joules / n : kNaN;
  return s;
}

double argmax_accuracy(const engine::Tensor& scores, const engine::Tensor& labels) {
  if (scores.dtype != engine::DType::kFloat32 || scores.shape.size() != 2 ||
      labels.dtype != engine::DType::kInt64 || labels.shape.size() != 1 ||
      labels.shape[0] != scores.shape[0] || scores.shape[1] < 1 || scores.shape[0] < 1) {
    throw std::invalid_argument(
        "accuracy needs float scores [N, C] and int64 labels [N] with the same N");
  }
  const auto rows = scores.shape[0], cols = scores.shape[1];
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < rows; ++i) {
    const auto* row = scores.f32.data() + i * cols;
    const auto best = std::max_element(row, row + cols) - row;
    correct += best == labels.i64[i];
  }
  return static_cast<double>(correct) / static_cast<double>(rows);
}

}  // namespace wattserve::run
