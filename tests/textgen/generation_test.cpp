// Generation (engine/generation.h), the stop rules every engine and the batching server share:
// stop strings found where they straddle pieces, and each stop reason in its order.
#include "engine/generation.h"

#include <gtest/gtest.h>

namespace wattserve::engine {
namespace {

TEST(FindStop, FindsStopStraddlingPieces) {
  const std::string text = "def f():\n    return 1\n\n";
  // The last piece added "\n\n" at offset 21; "1\n\n" straddles it.
  EXPECT_EQ(find_stop(text, 21, {"1\n\n"}), 20u);
  EXPECT_EQ(find_stop(text, 21, {"zzz"}), std::string::npos);
  // The earliest of several stop strings wins.
  EXPECT_EQ(find_stop(text, 21, {"\n\n", "1\n"}), 20u);
}

TEST(Generation, StopsAtMaxTokens) {
  SamplingParams p;
  p.max_tokens = 2;
  Generation g(p);
  EXPECT_TRUE(g.accept(5, false, "a"));
  EXPECT_FALSE(g.accept(6, false, "b"));
  EXPECT_EQ(g.result().reason, StopReason::kMaxTokens);
  EXPECT_EQ(g.result().text, "ab");
  EXPECT_EQ(g.result().tokens, (std::vector<Token>{5, 6}));
}

TEST(Generation, EndOfGenerationIsNotPartOfTheOutputUnlessIgnored) {
  SamplingParams p;
  Generation g(p);
  EXPECT_TRUE(g.accept(5, false, "a"));
  EXPECT_FALSE(g.accept(2, true, "</s>"));
  EXPECT_EQ(g.result().reason, StopReason::kEndOfGeneration);
  EXPECT_EQ(g.result().tokens.size(), 1u);

  p.ignore_eos = true;
  Generation kept(p);
  EXPECT_TRUE(kept.accept(2, true, "</s>"));
  EXPECT_EQ(kept.result().text, "</s>");
}

TEST(Generation, StopStringCutsTheTextAcrossPieces) {
  SamplingParams p;
  p.stop = {"\n\n"};
  Generation g(p);
  EXPECT_TRUE(g.accept(1, false, "x = 1\n"));
  EXPECT_FALSE(g.accept(2, false, "\ny"));
  EXPECT_EQ(g.result().reason, StopReason::kStopString);
  EXPECT_EQ(g.result().text, "x = 1");
  EXPECT_EQ(g.result().tokens.size(), 2u);  // the tokens stay as generated
}

TEST(Generation, CallbackSeesEachPieceAndCanStop) {
  SamplingParams p;
  Generation g(p);
  std::string seen;
  const TokenCallback cb = [&](Token, std::string_view piece) {
    seen += piece;
    return seen.size() < 2;
  };
  EXPECT_TRUE(g.accept(1, false, "a", cb));
  EXPECT_FALSE(g.accept(2, false, "b", cb));
  EXPECT_EQ(seen, "ab");
  EXPECT_EQ(g.result().reason, StopReason::kCallback);
}

TEST(Generation, EndRecordsAnOutsideReason) {
  SamplingParams p;
  Generation g(p);
  g.end(StopReason::kContextFull);
  EXPECT_EQ(g.take().reason, StopReason::kContextFull);
}

}  // namespace
}  // namespace wattserve::engine
