#include "energy/sensors/cpu_tdp.h"

#include <gtest/gtest.h>

#include "energy/core/embedded_csv.h"

namespace wattserve::energy {
namespace {

TEST(CpuTdpCsv, QuotesBomAndCrlf) {
  auto rows =
      parse_csv("\xEF\xBB\xBFName,TDP\r\n\"Intel EP80579, 600 MHz\",11.0\r\n\n\"a \"\"b\"\"\",2\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0], "Name");
  EXPECT_EQ(rows[1][0], "Intel EP80579, 600 MHz");
  EXPECT_EQ(rows[1][1], "11.0");
  EXPECT_EQ(rows[2][0], "a \"b\"");
}

TEST(CpuTdpTable, IsEmbeddedAndParsed) {
  const auto& t = cpu_tdp_table();
  EXPECT_GT(t.size(), 4000u);
  bool quoted_row = false;
  for (const auto& e : t) quoted_row |= e.name == "Intel EP80579 Integrated, 600 MHz";
  EXPECT_TRUE(quoted_row);
}

TEST(CpuTdpNormalise, DropsMarksFrequencyCoresAndVendor) {
  EXPECT_EQ(normalize_cpu_name("Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz"), "xeon e5-2620 v3");
  EXPECT_EQ(normalize_cpu_name("AMD Ryzen 9 5950X 16-Core Processor"), "ryzen 9 5950x");
  EXPECT_EQ(normalize_cpu_name("AMD Ryzen 7 5800H with Radeon Graphics"), "ryzen 7 5800h");
  EXPECT_EQ(normalize_cpu_name("11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz"), "core i7-1165g7");
  EXPECT_EQ(normalize_cpu_name("Intel(R) Xeon(R) CPU E5-2690 0 @ 2.90GHz"), "xeon e5-2690");
  EXPECT_EQ(normalize_cpu_name("Intel(R) Core(TM)2 Duo CPU     E8400  @ 3.00GHz"),
            "core 2 duo e8400");
}

struct Case {
  const char* cpuinfo_name;
  const char* row;
  double tdp;
};

TEST(CpuTdpMatch, RealCpuinfoNames) {
  const Case cases[] = {
      {"AMD Ryzen 9 5950X 16-Core Processor", "AMD Ryzen 9 5950X", 105},
      {"Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz", "Intel Xeon E5-2620 v3", 85},
      {"Intel(R) Core(TM) i7-8550U CPU @ 1.80GHz", "Intel Core i7-8550U", 15},
      {"AMD EPYC 7763 64-Core Processor", "AMD EPYC 7763", 280},
      {"AMD EPYC 8024P 8-Core Processor", "AMD EPYC 8024P", 90},
      {"Intel(R) Xeon(R) CPU E3-1240 V2 @ 3.40GHz", "Intel Xeon E3-1240 v2", 69},
      {"AMD Ryzen Threadripper 1950X 16-Core Processor", "AMD Ryzen Threadripper 1950X", 180},
      {"Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz", "Intel Xeon Platinum 8380", 270},
      {"13th Gen Intel(R) Core(TM) i9-13900K", "Intel Core i9-13900K", 125},
      {"AMD Ryzen 7 7840U w/ Radeon 780M Graphics", "AMD Ryzen 7 7840U", 28},
  };
  for (const auto& c : cases) {
    auto m = match_cpu_tdp(c.cpuinfo_name);
    ASSERT_TRUE(m.has_value()) << c.cpuinfo_name;
    EXPECT_EQ(m->name, c.row) << c.cpuinfo_name;
    EXPECT_DOUBLE_EQ(m->tdp_w, c.tdp) << c.cpuinfo_name;
    EXPECT_GE(m->score, kDefaultCpuMatchThreshold);
  }
}

TEST(CpuTdpMatch, NeverCrossesGenerations) {
  // With only E5-2620 (v1, 95 W) and E5-2620 v2 (80 W) in a table, a v3 must not match either:
  // the caller's fallback applies instead of another generation's TDP.
  std::vector<CpuTdpEntry> table = {{"Intel Xeon E5-2620", 95}, {"Intel Xeon E5-2620 v2", 80}};
  EXPECT_FALSE(match_cpu_tdp("Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz", table).has_value());
  EXPECT_EQ(cpu_name_similarity("xeon e5-2620 v3", "xeon e5-2620 v2"), 0);
  EXPECT_LT(cpu_name_similarity("xeon e5-2620 v3", "xeon e5-2620"), kDefaultCpuMatchThreshold);
  EXPECT_EQ(cpu_name_similarity("core i7-8550u", "core i7-8550"), 0);
}

TEST(CpuTdpMatch, FuzzyToleratesExtraWords) {
  std::vector<CpuTdpEntry> table = {{"Intel Pentium Gold G4560", 54}, {"Intel Pentium G4600", 51}};
  auto m = match_cpu_tdp("Intel(R) Pentium(R) CPU G4560 @ 3.50GHz", table);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->name, "Intel Pentium Gold G4560");
  EXPECT_FALSE(m->exact);
  EXPECT_NEAR(m->score, 6.0 / 7.0, 1e-12);  // Dice: 2 * (1 + 2) / (3 + 4)
}

TEST(CpuTdpMatch, UnknownNamesDoNotMatch) {
  EXPECT_FALSE(match_cpu_tdp("QEMU Virtual CPU version 2.5+").has_value());
  EXPECT_FALSE(match_cpu_tdp("").has_value());
  EXPECT_FALSE(match_cpu_tdp("Intel(R) Xeon(R) Platinum 9999ZZ CPU @ 2.30GHz").has_value());
}

}  // namespace
}  // namespace wattserve::energy
