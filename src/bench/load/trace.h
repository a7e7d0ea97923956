// Request traces for `wattserve bench`'s load generator: read a production trace (the Azure LLM
// inference trace CSV, or Mooncake's JSONL), cut a time window out of it, speed it up or slow it
// down, and fit its token counts to the model being served.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wattserve::bench::load {

// One request of a trace.
struct TraceRequest {
  double t_s = 0;         // send time, seconds after the trace's first (earliest) request
  int input_tokens = 0;   // prompt length
  int output_tokens = 0;  // tokens to generate
  bool operator==(const TraceRequest&) const = default;
};

enum class TraceFormat {
  // Azure LLM inference trace CSV (AzurePublicDataset, 2023/2024): a header naming the columns
  // TIMESTAMP, ContextTokens and GeneratedTokens (found by name, in any order; other columns
  // allowed), then one row per request: TIMESTAMP "2023-11-16 18:15:46.6805900" (0 to 9
  // fractional digits; 'T' instead of the space and a trailing 'Z' accepted), token counts
  // non-negative integers. Blank lines are skipped; "\r\n" line ends accepted.
  kAzureCsv,
  // Mooncake JSONL: one object per line with "timestamp" (milliseconds, a number),
  // "input_length" and "output_length" (non-negative integers); other keys (hash_ids...) are
  // ignored, blank lines skipped.
  kMooncakeJsonl,
};

// Parses a trace held in memory; `name` (the file name) prefixes the errors. t_s is relative to
// the earliest request (so the first request of the result is at 0, also for unsorted input);
// the result is sorted by time (stable: ties keep the file's order). Times are computed in
// integer nanoseconds, so differences are exact to the trace's precision.
// Throws std::invalid_argument: "NAME:LINE: message" for a bad row (wrong column count, bad
// timestamp, negative or non-integer token count, bad JSON, missing key) or header (missing
// column), "NAME: the trace has no requests" when it holds no row.
std::vector<TraceRequest> parse_trace(std::string_view text, const std::string& name,
                                      TraceFormat format);

// The format of a trace file by its extension: .csv -> kAzureCsv, .jsonl/.json -> kMooncakeJsonl
// (case-insensitive); otherwise by its content: a first non-blank line starting with '{' ->
// kMooncakeJsonl, else kAzureCsv.
TraceFormat trace_format(const std::string& path, std::string_view text);

// Reads and parses a trace file (format by trace_format). Errors as parse_trace, with the path as
// the name; "PATH: cannot read: REASON" when the file cannot be read.
std::vector<TraceRequest> load_trace(const std::string& path);

// A time window of a trace and how to replay it.
struct TraceWindow {
  double start_s = 0;     // skip requests before this (relative to the trace's first request)
  double duration_s = 0;  // keep [start_s, start_s + duration_s); 0 = to the end
  double time_scale = 1;  // > 0: stretches time (2 = the same requests over twice the time)
  double rate_scale = 1;  // > 0: multiplies the arrival rate (2 = twice as fast)
};

// The requests of a (sorted) trace in the window, in order, shifted so the window starts at 0:
//   t' = (t_s - start_s) * time_scale / rate_scale     for start_s <= t_s < start_s + duration_s
// Throws std::invalid_argument when a scale is <= 0, a value is not finite, start_s or duration_s
// is negative, or the window holds no request.
std::vector<TraceRequest> window_trace(const std::vector<TraceRequest>& trace,
                                       const TraceWindow& w);

// How fit_tokens makes a trace's token counts fit the served model.
enum class TokenMap { kClamp, kScale };

// "clamp" -> kClamp, "scale" -> kScale; std::invalid_argument otherwise.
TokenMap parse_token_map(std::string_view name);

// What the served model allows per request: input + output <= context, output <= max_output.
struct TokenBudget {
  int context = 0;     // >= 2
  int max_output = 0;  // >= 1
};

// Fits each request's counts (in, out) to the budget (C = context, M = max_output) and returns
// how many requests were changed (either count). Throws std::invalid_argument when C < 2 or
// M < 1.
//
// kClamp, per request, with M' = min(M, C - 1) (so every request keeps at least one input token):
//   out' = clamp(out, 1, M')
//   in'  = clamp(in, 1, C - out')
//
// kScale, one factor per trace for each count, which keeps the shape of the distributions:
//   room for inputs R = C - M, output limit M' = M;  if R < 1: R = floor(C / 2), M' = C - R
//   s_o = min(1, M' / max(out)),   s_i = min(1, R / max(in))    (a factor is 1 when max is 0)
//   out' = max(1, round(out * s_o)),   in' = max(1, round(in * s_i))
// then the clamp rule with M' as a final guarantee (it changes nothing unless rounding
// overshoots): every request then has out' <= M', in' + out' <= C.
std::size_t fit_tokens(std::vector<TraceRequest>& trace, TokenMap map, const TokenBudget& budget);

}  // namespace wattserve::bench::load
