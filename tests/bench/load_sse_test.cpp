// The load generator's Server-Sent Events parser (src/bench/load/sse.h): realistic OpenAI
// streams give the same events however the bytes are split (at every position, one byte at a
// time, inside UTF-8 characters, between '\r' and '\n'), and the WHATWG field rules hold.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "bench/load/sse.h"

namespace wattserve::bench::load {
namespace {

std::string chunk(const std::string& text) {
  return R"({"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"m",)"
         R"("choices":[{"index":0,"text":")" +
         text + R"(","logprobs":null,"finish_reason":null}]})";
}

// An OpenAI /v1/completions stream as vLLM sends it, with multi-byte UTF-8 in the text, plus a
// keep-alive comment and a multi-line error event (so that a line end split between '\r' and
// '\n' taken for a blank line would change the events).
std::string openai_stream(const std::string& eol) {
  std::string s = ": keep-alive" + eol;
  for (const std::string text : {"Hello", " caf\xC3\xA9", " 5\xE2\x82\xAC", " \xF0\x9F\x98\x80!"}) {
    s += "data: " + chunk(text) + eol + eol;
  }
  s += "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":4}}" + eol + eol;
  s += "event: error" + eol + "data: {\"error\":" + eol + "data: \"overloaded\"}" + eol + eol;
  s += "data: [DONE]" + eol + eol;
  return s;
}

std::vector<SseEvent> parse_whole(const std::string& s) {
  SseParser p;
  std::vector<SseEvent> events = p.feed(s);
  EXPECT_FALSE(p.incomplete());
  return events;
}

void append(std::vector<SseEvent>& to, std::vector<SseEvent> from) {
  to.insert(to.end(), from.begin(), from.end());
}

std::vector<SseEvent> expected_events() {
  std::vector<SseEvent> e;
  for (const std::string text : {"Hello", " caf\xC3\xA9", " 5\xE2\x82\xAC", " \xF0\x9F\x98\x80!"}) {
    e.push_back({"", chunk(text)});
  }
  e.push_back({"", "{\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":4}}"});
  e.push_back({"error", "{\"error\":\n\"overloaded\"}"});
  e.push_back({"", "[DONE]"});
  return e;
}

TEST(LoadSse, WholeStreamGivesEveryEvent) {
  for (const std::string eol : {"\n", "\r\n", "\r"}) {
    SCOPED_TRACE(testing::PrintToString(eol));
    EXPECT_EQ(parse_whole(openai_stream(eol)), expected_events());
  }
}

TEST(LoadSseSplit, EveryTwoWaySplitGivesTheSameEvents) {
  for (const std::string eol : {"\n", "\r\n", "\r"}) {
    const std::string s = openai_stream(eol);
    const std::vector<SseEvent> whole = parse_whole(s);
    ASSERT_EQ(whole.size(), 7u);
    for (std::size_t cut = 0; cut <= s.size(); ++cut) {
      SseParser p;
      std::vector<SseEvent> got = p.feed(std::string_view(s).substr(0, cut));
      append(got, p.feed(std::string_view(s).substr(cut)));
      ASSERT_EQ(got, whole) << "eol " << testing::PrintToString(eol) << ", split at " << cut;
      EXPECT_FALSE(p.incomplete());
    }
  }
}

TEST(LoadSseSplit, EveryThreeWaySplitGivesTheSameEvents) {
  const std::string s = openai_stream("\r\n");
  const std::vector<SseEvent> whole = parse_whole(s);
  for (std::size_t a = 0; a <= s.size(); a += 29) {
    for (std::size_t b = a; b <= s.size(); ++b) {
      SseParser p;
      const std::string_view v(s);
      std::vector<SseEvent> got = p.feed(v.substr(0, a));
      append(got, p.feed(v.substr(a, b - a)));
      append(got, p.feed(v.substr(b)));
      ASSERT_EQ(got, whole) << "splits at " << a << " and " << b;
    }
  }
}

TEST(LoadSseSplit, OneByteAtATimeGivesTheSameEvents) {
  for (const std::string eol : {"\n", "\r\n", "\r"}) {
    const std::string s = openai_stream(eol);
    SseParser p;
    std::vector<SseEvent> got;
    for (const char c : s) append(got, p.feed(std::string_view(&c, 1)));
    EXPECT_EQ(got, expected_events()) << testing::PrintToString(eol);
    EXPECT_FALSE(p.incomplete());
  }
}

TEST(LoadSseSplit, SplitsInsideUtf8CharactersKeepThemWhole) {
  const std::string s = "data: 5\xE2\x82\xAC \xF0\x9F\x98\x80\n\n";
  for (std::size_t cut = 7; cut < 14; ++cut) {  // inside the euro sign and the emoji
    SseParser p;
    EXPECT_TRUE(p.feed(s.substr(0, cut)).empty());
    EXPECT_TRUE(p.incomplete());
    const std::vector<SseEvent> got = p.feed(s.substr(cut));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].data, "5\xE2\x82\xAC \xF0\x9F\x98\x80");
  }
}

TEST(LoadSseSplit, CrAtTheEndOfAChunkThenLf) {
  SseParser p;
  EXPECT_TRUE(p.feed("data: a\r").empty());
  EXPECT_TRUE(p.feed("\n").empty());  // completes "\r\n": not a blank line
  EXPECT_TRUE(p.incomplete());
  EXPECT_EQ(p.feed("\r"), (std::vector<SseEvent>{{"", "a"}}));  // a blank line ended by lone CR
  EXPECT_TRUE(p.feed("\n").empty());                            // ...and this '\n' belongs to it
  EXPECT_FALSE(p.incomplete());
  EXPECT_TRUE(p.feed("\n").empty());  // a real blank line, with nothing to dispatch
}

TEST(LoadSse, ErrorEventWithData) {
  const std::vector<SseEvent> got =
      parse_whole("event: error\ndata: {\"error\":{\"message\":\"overloaded\"}}\n\ndata: x\n\n");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].event, "error");
  EXPECT_EQ(got[0].data, "{\"error\":{\"message\":\"overloaded\"}}");
  EXPECT_EQ(got[1].event, "");  // the type resets after a dispatch
  EXPECT_EQ(got[1].data, "x");
}

TEST(LoadSse, MultiLineDataJoinsWithNewlines) {
  const std::vector<SseEvent> got = parse_whole("data: first\ndata:second\ndata\ndata:  two\n\n");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, "first\nsecond\n\n two");  // one leading space dropped, not two
}

TEST(LoadSse, CommentsIdsRetriesAndUnknownFieldsAreIgnored) {
  const std::vector<SseEvent> got = parse_whole(
      ": keep-alive\n\n:another comment\nid: 7\nretry: 1000\nfoo: bar\ndata: x\n\n"
      "id: 8\n\n");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (SseEvent{"", "x"}));
}

TEST(LoadSse, BlankLineWithoutDataDispatchesNothingAndResetsTheType) {
  const std::vector<SseEvent> got = parse_whole("event: ping\n\ndata: y\n\n");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (SseEvent{"", "y"}));
}

TEST(LoadSse, EmptyDataLineIsAnEventWithEmptyData) {
  const std::vector<SseEvent> got = parse_whole("data:\n\n");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, "");
}

TEST(LoadSse, LeadingBomIsDropped) {
  const std::vector<SseEvent> got = parse_whole(
      "\xEF\xBB\xBF"
      "data: x\n\n");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, "x");
}

TEST(LoadSseIncomplete, FinalEventWithoutBlankLine) {
  SseParser p;
  EXPECT_EQ(p.feed("data: a\n\ndata: [DONE]\n").size(), 1u);
  EXPECT_TRUE(p.incomplete());
}

TEST(LoadSseIncomplete, CutInsideALine) {
  SseParser p;
  EXPECT_TRUE(p.feed("data: {\"choi").empty());
  EXPECT_TRUE(p.incomplete());
}

TEST(LoadSseIncomplete, NothingPendingAfterAFullEventOrAComment) {
  SseParser p;
  EXPECT_FALSE(p.incomplete());
  p.feed("data: a\n\n: comment\n");
  EXPECT_FALSE(p.incomplete());
}

TEST(LoadSse, OverlongLineThrows) {
  SseParser p(16);
  EXPECT_EQ(p.feed("data: 0123456789\n\n").size(), 1u);  // exactly 16 bytes: fine
  SseParser q(16);
  q.feed("data: 01234");
  try {
    q.feed("567890");  // 17 bytes, across two feeds
    FAIL() << "expected a throw";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "SSE line longer than 16 bytes");
  }
}

}  // namespace
}  // namespace wattserve::bench::load
