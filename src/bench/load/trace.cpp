// Request traces for the load generator (Azure CSV, Mooncake JSONL): see trace.h.
#include "bench/load/trace.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "energy/core/atomic_file.h"

namespace wattserve::bench::load {
namespace {

// Times are kept within +-4e18 ns (about 1843 to 2096 for absolute times) so that differences
// of two of them fit an int64.
constexpr std::int64_t kMaxAbsNs = 4'000'000'000'000'000'000;

// A parsed row: absolute time in integer nanoseconds (exact differences), and the counts.
struct Row {
  std::int64_t ns = 0;
  int input_tokens = 0;
  int output_tokens = 0;
};

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Calls f(line_number, line) for each line (1-based; "\r\n" accepted; a UTF-8 BOM dropped).
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  int number = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    f(++number, line);
  }
}

std::invalid_argument row_error(const std::string& name, int line, const std::string& message) {
  return std::invalid_argument(fmt::format("{}:{}: {}", name, line, message));
}

// A whole unsigned decimal number of exactly `digits` digits at s[pos].
bool fixed_digits(std::string_view s, std::size_t pos, std::size_t digits, int& value) {
  if (pos + digits > s.size()) return false;
  value = 0;
  for (std::size_t i = pos; i < pos + digits; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  return true;
}

// "YYYY-MM-DD HH:MM:SS[.fffffffff][Z]" ('T' for the space accepted) -> ns since the Unix epoch.
bool parse_timestamp(std::string_view s, std::int64_t& ns) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (s.size() < 19 || !fixed_digits(s, 0, 4, y) || s[4] != '-' || !fixed_digits(s, 5, 2, mo) ||
      s[7] != '-' || !fixed_digits(s, 8, 2, d) || (s[10] != ' ' && s[10] != 'T') ||
      !fixed_digits(s, 11, 2, h) || s[13] != ':' || !fixed_digits(s, 14, 2, mi) || s[16] != ':' ||
      !fixed_digits(s, 17, 2, sec)) {
    return false;
  }
  std::size_t pos = 19;
  std::int64_t frac_ns = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::int64_t scale = 100'000'000;
    std::size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (++digits > 9) return false;
      frac_ns += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
  }
  if (pos < s.size() && s[pos] == 'Z') ++pos;
  if (pos != s.size()) return false;
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return false;
  const std::int64_t days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  const std::int64_t secs = ((days * 24 + h) * 60 + mi) * 60 + sec;
  if (secs >= kMaxAbsNs / 1'000'000'000 || secs <= -kMaxAbsNs / 1'000'000'000) return false;
  ns = secs * 1'000'000'000 + frac_ns;
  return true;
}

// A non-negative decimal integer that fits an int, the whole cell.
bool parse_count(std::string_view s, int& value) {
  if (s.empty() || s.front() < '0' || s.front() > '9') return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

std::vector<std::string_view> split_commas(std::string_view line) {
  std::vector<std::string_view> cells;
  while (true) {
    const std::size_t comma = line.find(',');
    cells.push_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return cells;
}

std::vector<Row> parse_azure(std::string_view text, const std::string& name) {
  std::vector<Row> rows;
  bool have_header = false;
  std::size_t columns = 0, ts_col = 0, in_col = 0, out_col = 0;
  for_each_line(text, [&](int number, std::string_view line) {
    if (trim(line).empty()) return;
    const std::vector<std::string_view> cells = split_commas(line);
    if (!have_header) {
      const auto find = [&](std::string_view column) {
        for (std::size_t i = 0; i < cells.size(); ++i) {
          if (lower(cells[i]) == lower(column)) return i;
        }
        throw row_error(name, number,
                        fmt::format("the header has no column \"{}\" (expected TIMESTAMP, "
                                    "ContextTokens, GeneratedTokens)",
                                    column));
      };
      ts_col = find("TIMESTAMP");
      in_col = find("ContextTokens");
      out_col = find("GeneratedTokens");
      columns = cells.size();
      have_header = true;
      return;
    }
    if (cells.size() != columns) {
      throw row_error(name, number,
                      fmt::format("{} columns, the header has {}", cells.size(), columns));
    }
    Row row;
    if (!parse_timestamp(cells[ts_col], row.ns)) {
      throw row_error(
          name, number,
          fmt::format("bad timestamp \"{}\" (expected e.g. 2023-11-16 18:15:46.6805900)",
                      cells[ts_col]));
    }
    if (!parse_count(cells[in_col], row.input_tokens)) {
      throw row_error(
          name, number,
          fmt::format("bad ContextTokens \"{}\" (expected a non-negative integer)", cells[in_col]));
    }
    if (!parse_count(cells[out_col], row.output_tokens)) {
      throw row_error(name, number,
                      fmt::format("bad GeneratedTokens \"{}\" (expected a non-negative integer)",
                                  cells[out_col]));
    }
    rows.push_back(row);
  });
  return rows;
}

int json_count(const nlohmann::json& obj, const char* key, const std::string& name, int line) {
  const auto it = obj.find(key);
  if (it == obj.end()) throw row_error(name, line, fmt::format("missing key \"{}\"", key));
  const nlohmann::json& v = *it;
  const auto bad = [&] {
    return row_error(name, line,
                     fmt::format("\"{}\" is {}, expected a non-negative integer", key, v.dump()));
  };
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) throw bad();
    return static_cast<int>(u);
  }
  if (v.is_number_float()) {  // 12.0 is an integer written as a float
    const double d = v.get<double>();
    if (!(d >= 0) || d != std::floor(d) || d > std::numeric_limits<int>::max()) throw bad();
    return static_cast<int>(d);
  }
  throw bad();  // negative integers, strings, ...
}

std::vector<Row> parse_mooncake(std::string_view text, const std::string& name) {
  std::vector<Row> rows;
  for_each_line(text, [&](int number, std::string_view line) {
    if (trim(line).empty()) return;
    nlohmann::json obj;
    try {
      obj = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {  // syntax, or a number out of range (1e1000)
      throw row_error(name, number, fmt::format("bad JSON: {}", e.what()));
    }
    if (!obj.is_object()) throw row_error(name, number, "expected a JSON object");
    const auto ts = obj.find("timestamp");
    if (ts == obj.end()) throw row_error(name, number, "missing key \"timestamp\"");
    Row row;
    if (ts->is_number_integer()) {  // signed or unsigned
      constexpr std::int64_t kMaxMs = kMaxAbsNs / 1'000'000;
      const bool in_range = ts->is_number_unsigned()
                                ? ts->get<std::uint64_t>() <= std::uint64_t{kMaxMs}
                                : ts->get<std::int64_t>() >= -kMaxMs;  // negative here
      if (!in_range) {
        throw row_error(name, number, fmt::format("timestamp {} out of range", ts->dump()));
      }
      row.ns = ts->get<std::int64_t>() * 1'000'000;
    } else if (ts->is_number_float()) {
      const double ns = ts->get<double>() * 1e6;
      if (!std::isfinite(ns) || std::abs(ns) > static_cast<double>(kMaxAbsNs)) {
        throw row_error(name, number, fmt::format("timestamp {} out of range", ts->dump()));
      }
      row.ns = std::llround(ns);
    } else {
      throw row_error(
          name, number,
          fmt::format("\"timestamp\" is {}, expected milliseconds (a number)", ts->dump()));
    }
    row.input_tokens = json_count(obj, "input_length", name, number);
    row.output_tokens = json_count(obj, "output_length", name, number);
    rows.push_back(row);
  });
  return rows;
}

}  // namespace

std::vector<TraceRequest> parse_trace(std::string_view text, const std::string& name,
                                      TraceFormat format) {
  std::vector<Row> rows =
      format == TraceFormat::kAzureCsv ? parse_azure(text, name) : parse_mooncake(text, name);
  if (rows.empty()) throw std::invalid_argument(name + ": the trace has no requests");
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.ns < b.ns; });
  std::vector<TraceRequest> out;
  out.reserve(rows.size());
  const std::int64_t first = rows.front().ns;
  for (const Row& r : rows) {
    // Split whole seconds from the rest so that no precision is lost to large differences.
    const std::int64_t diff = r.ns - first;
    const double t =
        static_cast<double>(diff / 1'000'000'000) + static_cast<double>(diff % 1'000'000'000) / 1e9;
    out.push_back(TraceRequest{t, r.input_tokens, r.output_tokens});
  }
  return out;
}

TraceFormat trace_format(const std::string& path, std::string_view text) {
  const std::string ext = lower(std::filesystem::path(path).extension().string());
  if (ext == ".csv") return TraceFormat::kAzureCsv;
  if (ext == ".jsonl" || ext == ".json") return TraceFormat::kMooncakeJsonl;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  const std::string_view rest = trim(text);
  return rest.starts_with('{') ? TraceFormat::kMooncakeJsonl : TraceFormat::kAzureCsv;
}

std::vector<TraceRequest> load_trace(const std::string& path) {
  std::string text;
  try {
    text = energy::read_regular_file(path);
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(e.what());
  }
  return parse_trace(text, path, trace_format(path, text));
}

std::vector<TraceRequest> window_trace(const std::vector<TraceRequest>& trace,
                                       const TraceWindow& w) {
  if (!std::isfinite(w.start_s) || w.start_s < 0) {
    throw std::invalid_argument(fmt::format("trace window start {} s: expected >= 0", w.start_s));
  }
  if (!std::isfinite(w.duration_s) || w.duration_s < 0) {
    throw std::invalid_argument(
        fmt::format("trace window duration {} s: expected >= 0 (0 = to the end)", w.duration_s));
  }
  if (!std::isfinite(w.time_scale) || w.time_scale <= 0) {
    throw std::invalid_argument(fmt::format("time scale {}: expected > 0", w.time_scale));
  }
  if (!std::isfinite(w.rate_scale) || w.rate_scale <= 0) {
    throw std::invalid_argument(fmt::format("rate scale {}: expected > 0", w.rate_scale));
  }
  const double end =
      w.duration_s > 0 ? w.start_s + w.duration_s : std::numeric_limits<double>::infinity();
  const double factor = w.time_scale / w.rate_scale;
  std::vector<TraceRequest> out;
  for (const TraceRequest& r : trace) {
    if (r.t_s < w.start_s || r.t_s >= end) continue;
    TraceRequest shifted = r;
    shifted.t_s = (r.t_s - w.start_s) * factor;
    out.push_back(shifted);
  }
  if (out.empty()) {
    const double last = trace.empty() ? 0 : trace.back().t_s;
    throw std::invalid_argument(
        w.duration_s > 0
            ? fmt::format(
                  "the trace window [{}, {}) s holds no request (the trace spans 0 to {} s)",
                  w.start_s, end, last)
            : fmt::format("the trace window from {} s holds no request (the trace spans 0 to {} s)",
                          w.start_s, last));
  }
  return out;
}

TokenMap parse_token_map(std::string_view name) {
  if (name == "clamp") return TokenMap::kClamp;
  if (name == "scale") return TokenMap::kScale;
  throw std::invalid_argument(
      fmt::format("unknown token map \"{}\" (expected clamp or scale)", name));
}

std::size_t fit_tokens(std::vector<TraceRequest>& trace, TokenMap map, const TokenBudget& budget) {
  if (budget.context < 2) {
    throw std::invalid_argument(
        fmt::format("token budget: context {} tokens, expected >= 2", budget.context));
  }
  if (budget.max_output < 1) {
    throw std::invalid_argument(
        fmt::format("token budget: max output {} tokens, expected >= 1", budget.max_output));
  }
  const int context = budget.context;
  int max_output = std::min(budget.max_output, context - 1);
  double s_in = 1, s_out = 1;
  if (map == TokenMap::kScale) {
    int room = context - budget.max_output;
    max_output = budget.max_output;
    if (room < 1) {
      room = context / 2;
      max_output = context - room;
    }
    int max_in = 0, max_out = 0;
    for (const TraceRequest& r : trace) {
      max_in = std::max(max_in, r.input_tokens);
      max_out = std::max(max_out, r.output_tokens);
    }
    if (max_out > 0) s_out = std::min(1.0, static_cast<double>(max_output) / max_out);
    if (max_in > 0) s_in = std::min(1.0, static_cast<double>(room) / max_in);
  }
  const auto scaled = [](int n, double s) {
    return s == 1 ? n : static_cast<int>(std::max(1L, std::lround(n * s)));
  };
  std::size_t changed = 0;
  for (TraceRequest& r : trace) {
    const int out = std::clamp(scaled(r.output_tokens, s_out), 1, max_output);
    const int in = std::clamp(scaled(r.input_tokens, s_in), 1, context - out);
    if (in != r.input_tokens || out != r.output_tokens) ++changed;
    r.input_tokens = in;
    r.output_tokens = out;
  }
  return changed;
}

}  // namespace wattserve::bench::load
