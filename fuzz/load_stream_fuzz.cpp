// Fuzzes what the load generator reads from servers and files: the SSE parser (the events of a
// byte stream are the same however it is split: whole, at a fuzzed point, one byte at a time;
// a line over the bound throws std::runtime_error, nothing else) and the trace parsers (Azure
// CSV and Mooncake JSONL: a trace, or std::invalid_argument).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "bench/load/sse.h"
#include "bench/load/trace.h"

namespace {

using wattserve::bench::load::SseEvent;
using wattserve::bench::load::SseParser;

// The events of `chunks` fed in order; false when the parser threw (a line too long).
bool events(const std::vector<std::string_view>& chunks, std::vector<SseEvent>& out) {
  SseParser p(256);
  try {
    for (auto c : chunks) {
      auto e = p.feed(c);
      out.insert(out.end(), e.begin(), e.end());
    }
  } catch (const std::runtime_error&) {
    return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<SseEvent> whole, split, bytes;
  const bool ok = events({in}, whole);
  const std::size_t cut = size ? data[0] % (size + 1) : 0;
  const bool ok2 = events({in.substr(0, cut), in.substr(cut)}, split);
  std::vector<std::string_view> each;
  for (std::size_t i = 0; i < in.size(); ++i) each.push_back(in.substr(i, 1));
  const bool ok3 = events(each, bytes);
  if (ok != ok2 || ok != ok3) __builtin_trap();
  if (ok && (whole != split || whole != bytes)) __builtin_trap();

  for (const auto f : {wattserve::bench::load::TraceFormat::kAzureCsv,
                       wattserve::bench::load::TraceFormat::kMooncakeJsonl}) {
    try {
      const auto t = wattserve::bench::load::parse_trace(in, "fuzz", f);
      for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i].t_s < 0 || t[i].input_tokens < 0 || t[i].output_tokens < 0) __builtin_trap();
        if (i && t[i].t_s < t[i - 1].t_s) __builtin_trap();
      }
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
