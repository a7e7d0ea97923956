// find_stop(): a stop string is found where it ends in the newly added text, also when it
// straddles the previous pieces, and never when it ended before them.
#include <gtest/gtest.h>

#include "engine/textgen/kv_text_model.h"

namespace wattserve::engine::textgen {
namespace {

TEST(FindStop, FindsStopStraddlingPieces) {
  const std::string text = "def f():\n    return 1\n\n";
  // The last piece added "\n\n" at offset 21; "1\n\n" straddles it.
  EXPECT_EQ(find_stop(text, 21, {"1\n\n"}), 20u);
  EXPECT_EQ(find_stop(text, 21, {"zzz"}), std::string::npos);
  // The earliest of several stop strings wins.
  EXPECT_EQ(find_stop(text, 21, {"\n\n", "1\n"}), 20u);
}

}  // namespace
}  // namespace wattserve::engine::textgen
