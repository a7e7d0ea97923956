#include "energy/exporters/timeline_csv.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_tmpdir.h"

namespace wattserve::energy {
namespace {

const std::vector<Domain> kDomains = {
    {"rapl:package-0", DomainKind::kCpuPackage, Source::kCounter, "pkg", true},
    {"estimate:ram", DomainKind::kDram, Source::kEstimate, "ram", true},
};

// Wall 2023-11-14T22:13:20.000Z = 1'700'000'000 s.
constexpr int64_t kWall0 = 1'700'000'000'000'000'000;

TEST(TimelineCsv, OneRowPerDomainPerInterval) {
  const std::vector<Sample> samples = {
      {5'000'000'000, kWall0, {1000, 50}},
      {5'100'000'000, kWall0 + 100'000'000, {1004, 50.5}},
      {5'350'000'000, kWall0 + 350'250'000, {1019, 51.75}},
  };
  EXPECT_EQ(timeline_csv(samples, kDomains),
            "time_s,wall_time,domain,source,watts,joules,cumulative_joules\n"
            "0.1,2023-11-14T22:13:20.100Z,rapl:package-0,counter,40,4,4\n"
            "0.1,2023-11-14T22:13:20.100Z,estimate:ram,estimate,5,0.5,0.5\n"
            "0.35,2023-11-14T22:13:20.350Z,rapl:package-0,counter,60,15,19\n"
            "0.35,2023-11-14T22:13:20.350Z,estimate:ram,estimate,5,1.25,1.75\n");
}

TEST(TimelineCsv, FewerThanTwoSamplesGiveTheHeaderOnly) {
  const std::string header = "time_s,wall_time,domain,source,watts,joules,cumulative_joules\n";
  EXPECT_EQ(timeline_csv({}, kDomains), header);
  EXPECT_EQ(timeline_csv({{0, kWall0, {1, 2}}}, kDomains), header);
}

TEST(TimelineCsv, ZeroLengthIntervalHasNoPowerAndIdsAreQuoted) {
  const std::vector<Domain> d = {{"ext:pdu,1", DomainKind::kSystem, Source::kPower, "", true}};
  const std::vector<Sample> samples = {{0, kWall0, {0}}, {0, kWall0, {2}}};
  EXPECT_EQ(timeline_csv(samples, d),
            "time_s,wall_time,domain,source,watts,joules,cumulative_joules\n"
            "0,2023-11-14T22:13:20.000Z,\"ext:pdu,1\",power,,2,2\n");
}

TEST(TimelineCsv, WritesTheFile) {
  testing::TempDir dir;
  const std::vector<Sample> samples = {{0, kWall0, {0, 0}}, {1'000'000'000, kWall0, {3, 1}}};
  write_timeline_csv(dir.file("t.csv"), samples, kDomains);
  EXPECT_EQ(testing::slurp(dir.file("t.csv")), timeline_csv(samples, kDomains));
}

TEST(TimelineCsvStream, StreamsTheSameRowsAsTheSampleWriter) {
  testing::TempDir dir;
  const std::vector<Sample> samples = {
      {5'000'000'000, kWall0, {1000, 50}},
      {5'100'000'000, kWall0 + 100'000'000, {1004, 50.5}},
      {5'350'000'000, kWall0 + 350'250'000, {1019, 51.75}},
  };
  {
    TimelineCsvStream stream(dir.file("s.csv"), kDomains);
    for (size_t i = 1; i < samples.size(); ++i) {
      const double d[] = {samples[i].joules[0] - samples[i - 1].joules[0],
                          samples[i].joules[1] - samples[i - 1].joules[1]};
      stream.add(samples[i - 1].t_ns, samples[i].t_ns, samples[i].wall_ns, d);
    }
    stream.commit();
  }
  EXPECT_EQ(testing::slurp(dir.file("s.csv")), timeline_csv(samples, kDomains));
}

TEST(TimelineCsvStream, NothingIsLeftWithoutCommit) {
  testing::TempDir dir;
  {
    TimelineCsvStream stream(dir.file("s.csv"), kDomains);
    const double d[] = {1, 2};
    stream.add(0, 1'000'000'000, kWall0, d);
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  EXPECT_THROW(TimelineCsvStream(dir.file("no/such/dir/s.csv"), kDomains), std::runtime_error);
}

}  // namespace
}  // namespace wattserve::energy
