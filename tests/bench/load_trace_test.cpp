// Request traces for the load generator (src/bench/load/trace.h): the Azure LLM inference trace
// CSV and Mooncake JSONL parse to exact relative times, bad rows name FILE:LINE, windows and
// scales shift time as documented, and both token maps fit a trace to a model's budget.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>

#include "bench/load/trace.h"

namespace wattserve::bench::load {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The first five rows of data/traces/AzureLLMInferenceTrace_conv.csv (CC BY 4.0).
constexpr const char* kAzure =
    "TIMESTAMP,ContextTokens,GeneratedTokens\n"
    "2023-11-16 18:15:46.6805900,374,44\n"
    "2023-11-16 18:15:50.9951690,396,109\n"
    "2023-11-16 18:15:51.2224670,879,55\n"
    "2023-11-16 18:15:51.3910170,91,16\n"
    "2023-11-16 18:15:52.5732450,91,16\n";

// Mooncake's trace format (FAST'25 artifact): milliseconds, lengths, KV-cache block hashes.
constexpr const char* kMooncake =
    R"({"timestamp": 0, "input_length": 6955, "output_length": 52, "hash_ids": [0, 1, 2]})"
    "\n"
    R"({"timestamp": 0, "input_length": 6472, "output_length": 26, "hash_ids": [0, 3]})"
    "\n\n"
    R"({"timestamp": 3052, "input_length": 8,"output_length": 1, "hash_ids": []})"
    "\n";

// The message of the std::invalid_argument that f throws ("" when it does not throw).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

std::string azure_error(const std::string& text) {
  return error_of([&] { parse_trace(text, "t.csv", TraceFormat::kAzureCsv); });
}

std::string mooncake_error(const std::string& text) {
  return error_of([&] { parse_trace(text, "t.jsonl", TraceFormat::kMooncakeJsonl); });
}

std::string temp_file(const std::string& name, const std::string& content) {
  const fs::path p = fs::temp_directory_path() / ("wattserve_load_trace_" + name);
  std::ofstream(p, std::ios::binary) << content;
  return p.string();
}

TEST(LoadTraceAzure, ParsesTheRealFormat) {
  const auto t = parse_trace(kAzure, "conv.csv", TraceFormat::kAzureCsv);
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].t_s, 0.0);
  EXPECT_NEAR(t[1].t_s, 4.3145790, 1e-9);
  EXPECT_NEAR(t[2].t_s, 4.5418770, 1e-9);
  EXPECT_NEAR(t[3].t_s, 4.7104270, 1e-9);
  EXPECT_NEAR(t[4].t_s, 5.8926550, 1e-9);
  EXPECT_EQ(t[0].input_tokens, 374);
  EXPECT_EQ(t[0].output_tokens, 44);
  EXPECT_EQ(t[2].input_tokens, 879);
  EXPECT_EQ(t[2].output_tokens, 55);
}

TEST(LoadTraceAzure, ColumnsByNameCrlfIsoTimesAndFractionDigits) {
  const auto t = parse_trace(
      "Extra, GeneratedTokens ,TIMESTAMP,ContextTokens\r\n"
      "x,7,2023-11-16T18:15:46Z,100\r\n"
      "\r\n"
      "y,8,2023-11-16 18:15:47.5,200\r\n"
      "z,9,2023-11-17 00:00:00.000000001,300\r\n",
      "t.csv", TraceFormat::kAzureCsv);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].output_tokens, 7);
  EXPECT_EQ(t[0].input_tokens, 100);
  EXPECT_NEAR(t[1].t_s, 1.5, 1e-12);
  EXPECT_NEAR(t[2].t_s, 5 * 3600 + 44 * 60 + 14 + 1e-9, 1e-9);  // across midnight
  EXPECT_EQ(t[2].input_tokens, 300);
}

TEST(LoadTraceAzure, UnsortedRowsAreSortedStably) {
  const auto t = parse_trace(
      "TIMESTAMP,ContextTokens,GeneratedTokens\n"
      "2023-11-16 18:00:02,1,1\n"
      "2023-11-16 18:00:00,2,2\n"
      "2023-11-16 18:00:02,3,3\n"
      "2023-11-16 18:00:01,4,4\n",
      "t.csv", TraceFormat::kAzureCsv);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0], (TraceRequest{0, 2, 2}));  // relative to the earliest request
  EXPECT_EQ(t[1], (TraceRequest{1, 4, 4}));
  EXPECT_EQ(t[2], (TraceRequest{2, 1, 1}));  // ties keep the file's order
  EXPECT_EQ(t[3], (TraceRequest{2, 3, 3}));
}

TEST(LoadTraceAzure, BadRowsNameFileAndLine) {
  const std::string header = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  const std::string ok = "2023-11-16 18:15:46.6805900,374,44\n";
  EXPECT_THAT(azure_error(header + ok + "2023-11-16 18:15:47,1\n"), StartsWith("t.csv:3: "));
  EXPECT_THAT(azure_error(header + ok + "2023-11-16 18:15:47,1\n"), HasSubstr("2 columns"));
  for (const std::string row :
       {"2023-11-16 18:15:47,1,2,3", "2023-11-16 25:00:00,1,1", "2023-02-30 18:00:00,1,1",
        "16/11/2023 18:15:47,1,1", "2023-11-16 18:15:47.1234567890,1,1", "2023-11-16 18:15:47x,1,1",
        "1700000000,1,1", ",1,1"}) {
    EXPECT_THAT(azure_error(header + ok + row + "\n"), StartsWith("t.csv:3: ")) << row;
  }
  EXPECT_THAT(azure_error(header + ok + "2023-11-16 18:15:47,-1,1\n"),
              AllOf(StartsWith("t.csv:3: "), HasSubstr("ContextTokens")));
  EXPECT_THAT(azure_error(header + ok + "2023-11-16 18:15:47,1,2.5\n"),
              AllOf(StartsWith("t.csv:3: "), HasSubstr("GeneratedTokens")));
  for (const std::string count : {"", "1e3", "abc", "99999999999", "+1"}) {
    EXPECT_THAT(azure_error(header + ok + "2023-11-16 18:15:47," + count + ",1\n"),
                StartsWith("t.csv:3: "))
        << count;
  }
  EXPECT_THAT(azure_error("TIMESTAMP,Context,GeneratedTokens\n" + ok),
              AllOf(StartsWith("t.csv:1: "), HasSubstr("ContextTokens")));
}

TEST(LoadTraceAzure, EmptyTrace) {
  EXPECT_EQ(azure_error("TIMESTAMP,ContextTokens,GeneratedTokens\n"),
            "t.csv: the trace has no requests");
  EXPECT_EQ(azure_error("TIMESTAMP,ContextTokens,GeneratedTokens\n\n\n"),
            "t.csv: the trace has no requests");
  EXPECT_EQ(azure_error(""), "t.csv: the trace has no requests");
}

TEST(LoadTraceMooncake, Parses) {
  const auto t = parse_trace(kMooncake, "m.jsonl", TraceFormat::kMooncakeJsonl);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0], (TraceRequest{0, 6955, 52}));
  EXPECT_EQ(t[1], (TraceRequest{0, 6472, 26}));
  EXPECT_DOUBLE_EQ(t[2].t_s, 3.052);
  EXPECT_EQ(t[2].input_tokens, 8);
}

TEST(LoadTraceMooncake, FractionalMillisecondsAndUnsortedRows) {
  const auto t = parse_trace(
      "{\"timestamp\": 1500.5, \"input_length\": 1, \"output_length\": 1}\n"
      "{\"timestamp\": 1000, \"input_length\": 2, \"output_length\": 2.0}\n",
      "m.jsonl", TraceFormat::kMooncakeJsonl);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0], (TraceRequest{0, 2, 2}));
  EXPECT_NEAR(t[1].t_s, 0.5005, 1e-12);
}

TEST(LoadTraceMooncake, BadRowsNameFileAndLine) {
  const std::string ok = "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1}\n";
  EXPECT_THAT(mooncake_error(ok + "{\"timestamp\": 1, \"input_length\": 1\n"),
              AllOf(StartsWith("t.jsonl:2: "), HasSubstr("bad JSON")));
  EXPECT_THAT(mooncake_error(ok + "\n{\"timestamp\": 1, \"input_length\": 1}\n"),
              AllOf(StartsWith("t.jsonl:3: "), HasSubstr("\"output_length\"")));
  EXPECT_THAT(mooncake_error(ok + "{\"input_length\": 1, \"output_length\": 1}\n"),
              AllOf(StartsWith("t.jsonl:2: "), HasSubstr("\"timestamp\"")));
  for (const std::string row : {
           R"({"timestamp": "0", "input_length": 1, "output_length": 1})",
           R"({"timestamp": 0, "input_length": -1, "output_length": 1})",
           R"({"timestamp": 0, "input_length": 1.5, "output_length": 1})",
           R"({"timestamp": 0, "input_length": "1", "output_length": 1})",
           R"({"timestamp": 0, "input_length": 1, "output_length": 3000000000})",
           R"({"timestamp": 1e300, "input_length": 1, "output_length": 1})",
           R"({"timestamp": 1e1000, "input_length": 1, "output_length": 1})",  // (fuzz)
           R"([0, 1, 1])",
       }) {
    EXPECT_THAT(mooncake_error(ok + row + "\n"), StartsWith("t.jsonl:2: ")) << row;
  }
  EXPECT_EQ(mooncake_error("\n\n"), "t.jsonl: the trace has no requests");
}

TEST(LoadTraceFile, FormatByExtensionOrContent) {
  EXPECT_EQ(load_trace(temp_file("a.csv", kAzure)).size(), 5u);
  EXPECT_EQ(load_trace(temp_file("m.jsonl", kMooncake)).size(), 3u);
  EXPECT_EQ(load_trace(temp_file("m.JSON", kMooncake)).size(), 3u);
  EXPECT_EQ(load_trace(temp_file("a.txt", kAzure)).size(), 5u);
  EXPECT_EQ(load_trace(temp_file("m.trace", std::string("\n  ") + kMooncake)).size(), 3u);
  EXPECT_EQ(trace_format("x.csv", "{"), TraceFormat::kAzureCsv);
  EXPECT_EQ(trace_format("x", "{\"timestamp\": 0}"), TraceFormat::kMooncakeJsonl);
  EXPECT_EQ(trace_format("x", ""), TraceFormat::kAzureCsv);
}

TEST(LoadTraceFile, ErrorsNameThePath) {
  const std::string bad = temp_file("bad.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\nx,1,1\n");
  EXPECT_THAT(error_of([&] { load_trace(bad); }), StartsWith(bad + ":2: "));
  const std::string empty = temp_file("empty.jsonl", "");
  EXPECT_EQ(error_of([&] { load_trace(empty); }), empty + ": the trace has no requests");
  const std::string missing =
      (fs::temp_directory_path() / "wattserve_load_trace_nope.csv").string();
  fs::remove(missing);
  EXPECT_THAT(error_of([&] { load_trace(missing); }), StartsWith(missing + ": cannot read"));
  const std::string dir = fs::temp_directory_path().string();
  EXPECT_THAT(error_of([&] { load_trace(dir); }), StartsWith(dir + ": cannot read"));
}

std::vector<TraceRequest> evenly(int n) {  // requests at 0, 1, ..., n-1 s
  std::vector<TraceRequest> t;
  for (int i = 0; i < n; ++i) t.push_back({static_cast<double>(i), 10 + i, 1 + i});
  return t;
}

TEST(LoadTraceWindow, WholeTraceByDefault) {
  EXPECT_EQ(window_trace(evenly(5), {}), evenly(5));
}

TEST(LoadTraceWindow, StartAndDurationAreHalfOpenAndShiftToZero) {
  const auto w = window_trace(evenly(10), {.start_s = 2.5, .duration_s = 4.5});
  ASSERT_EQ(w.size(), 4u);          // 3, 4, 5, 6 (7 is the end, excluded)
  EXPECT_DOUBLE_EQ(w[0].t_s, 0.5);  // t - start, not relative to the first kept request
  EXPECT_DOUBLE_EQ(w[3].t_s, 3.5);
  EXPECT_EQ(w[0].input_tokens, 13);
  const auto tail = window_trace(evenly(10), {.start_s = 7});
  ASSERT_EQ(tail.size(), 3u);
  EXPECT_DOUBLE_EQ(tail[0].t_s, 0);
  EXPECT_DOUBLE_EQ(tail[2].t_s, 2);
}

TEST(LoadTraceWindow, Scales) {
  const auto w =
      window_trace(evenly(10), {.start_s = 2, .duration_s = 3, .time_scale = 3, .rate_scale = 2});
  ASSERT_EQ(w.size(), 3u);
  EXPECT_DOUBLE_EQ(w[1].t_s, 1.5);  // (3 - 2) * 3 / 2
  EXPECT_DOUBLE_EQ(w[2].t_s, 3.0);
  const auto fast = window_trace(evenly(5), {.rate_scale = 4});
  EXPECT_DOUBLE_EQ(fast[4].t_s, 1.0);
  const auto slow = window_trace(evenly(5), {.time_scale = 2});
  EXPECT_DOUBLE_EQ(slow[4].t_s, 8.0);
}

TEST(LoadTraceWindow, Errors) {
  EXPECT_THAT(error_of([] { window_trace(evenly(5), {.start_s = 5}); }), HasSubstr("no request"));
  EXPECT_THAT(error_of([] { window_trace(evenly(5), {.start_s = 1.2, .duration_s = 0.5}); }),
              HasSubstr("no request"));
  EXPECT_THAT(error_of([] { window_trace({}, {}); }), HasSubstr("no request"));
  EXPECT_THAT(error_of([] { window_trace(evenly(5), {.time_scale = 0}); }),
              HasSubstr("time scale"));
  EXPECT_THAT(error_of([] { window_trace(evenly(5), {.rate_scale = -1}); }),
              HasSubstr("rate scale"));
  EXPECT_NE(error_of([] { window_trace(evenly(5), {.start_s = -1}); }), "");
  EXPECT_NE(error_of([] { window_trace(evenly(5), {.duration_s = -1}); }), "");
  EXPECT_NE(error_of([] {
              window_trace(evenly(5), {.rate_scale = std::numeric_limits<double>::infinity()});
            }),
            "");
}

TEST(LoadTraceTokens, ParseTokenMap) {
  EXPECT_EQ(parse_token_map("clamp"), TokenMap::kClamp);
  EXPECT_EQ(parse_token_map("scale"), TokenMap::kScale);
  EXPECT_THAT(error_of([] { parse_token_map("Clamp"); }), HasSubstr("clamp or scale"));
}

std::vector<TraceRequest> counts(std::initializer_list<std::pair<int, int>> in_out) {
  std::vector<TraceRequest> t;
  for (const auto& [in, out] : in_out) t.push_back({0, in, out});
  return t;
}

TEST(LoadTraceTokens, ClampPerRequest) {
  auto t = counts({{100, 10}, {5000, 10}, {100, 900}, {0, 0}, {3000, 3000}, {1000, 24}});
  EXPECT_EQ(fit_tokens(t, TokenMap::kClamp, {.context = 1024, .max_output = 256}), 4u);
  EXPECT_EQ(t, counts({{100, 10}, {1014, 10}, {100, 256}, {1, 1}, {768, 256}, {1000, 24}}));
}

TEST(LoadTraceTokens, ClampKeepsOneInputTokenWhenMaxOutputIsTheWholeContext) {
  auto t = counts({{50, 50}});
  EXPECT_EQ(fit_tokens(t, TokenMap::kClamp, {.context = 8, .max_output = 100}), 1u);
  EXPECT_EQ(t, counts({{1, 7}}));
}

TEST(LoadTraceTokens, ScaleKeepsTheShape) {
  // context 1000, max output 200: inputs get 800 of room. max(in) = 4000 -> s_i = 0.2;
  // max(out) = 400 -> s_o = 0.5.
  auto t = counts({{4000, 400}, {2000, 100}, {1002, 3}, {1, 1}, {3, 1}});
  EXPECT_EQ(fit_tokens(t, TokenMap::kScale, {.context = 1000, .max_output = 200}), 4u);
  EXPECT_EQ(t, counts({{800, 200}, {400, 50}, {200, 2}, {1, 1}, {1, 1}}));
  for (const auto& r : t) EXPECT_LE(r.input_tokens + r.output_tokens, 1000);
}

TEST(LoadTraceTokens, ScaleChangesNothingWhenTheTraceFits) {
  auto t = counts({{100, 10}, {700, 200}});
  const auto before = t;
  EXPECT_EQ(fit_tokens(t, TokenMap::kScale, {.context = 1000, .max_output = 200}), 0u);
  EXPECT_EQ(t, before);
  EXPECT_EQ(fit_tokens(t, TokenMap::kClamp, {.context = 1000, .max_output = 200}), 0u);
}

TEST(LoadTraceTokens, ScaleWhenMaxOutputFillsTheContext) {
  // context 10, max output 10: inputs get 10 / 2 = 5, outputs 10 - 5 = 5.
  auto t = counts({{100, 100}, {50, 20}, {0, 0}});
  EXPECT_EQ(fit_tokens(t, TokenMap::kScale, {.context = 10, .max_output = 10}), 3u);
  EXPECT_EQ(t, counts({{5, 5}, {3, 1}, {1, 1}}));  // 2.5 rounds away from zero; 1 at least
}

TEST(LoadTraceTokens, ScaleOnlyOneSide) {
  auto t = counts({{10, 1000}, {20, 500}});
  EXPECT_EQ(fit_tokens(t, TokenMap::kScale, {.context = 4096, .max_output = 100}), 2u);
  EXPECT_EQ(t, counts({{10, 100}, {20, 50}}));
}

TEST(LoadTraceTokens, BadBudget) {
  auto t = counts({{1, 1}});
  EXPECT_THAT(error_of([&] { fit_tokens(t, TokenMap::kClamp, {.context = 1, .max_output = 1}); }),
              HasSubstr("context"));
  EXPECT_THAT(error_of([&] { fit_tokens(t, TokenMap::kScale, {.context = 8, .max_output = 0}); }),
              HasSubstr("max output"));
  std::vector<TraceRequest> none;
  EXPECT_EQ(fit_tokens(none, TokenMap::kScale, {.context = 8, .max_output = 4}), 0u);
}

}  // namespace
}  // namespace wattserve::bench::load
