// analyse() on synthetic datasets whose answers are known: loading rules, per-factor tests,
// the deadline query, run-against-run comparison, the sampling regression and proportionality.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>

#include "report/analysis.h"
#include "report/report_outputs.h"
#include "report_fixture.h"

namespace wattserve::report {
namespace {

using ::testing::HasSubstr;
using testing::TempDataset;

ReportOptions fast() {
  ReportOptions o;
  o.resamples = 999;
  o.front_resamples = 200;
  return o;
}

TEST(ReportLoad, KeepsMeasuredOkRunsAndGroupsThemByFactorLevels) {
  TempDataset d("study");
  d.add({{"engine", "a"}}, {{"joules_per_output_token", 1.0}});
  d.add({{"engine", "a"}}, {{"joules_per_output_token", 1.1}});
  d.add({{"engine", "b"}}, {{"joules_per_output_token", 2.0}});
  d.add({{"engine", "b"}}, {{"joules_per_output_token", 9.0}}, "ok", /*warmup=*/true);
  d.add({{"engine", "b"}}, {{"joules_per_output_token", 9.0}}, "failed");
  d.write_raw("runs/broken.json", "{ not json");
  // A FIFO where a record should be is skipped, not read (it would block for ever).
  ASSERT_EQ(::mkfifo((d.dir() + "/runs/fifo.json").c_str(), 0600), 0);
  const auto data = load_dataset(d.dir());
  EXPECT_EQ(data.runs.size(), 3u);
  ASSERT_EQ(data.configs.size(), 2u);
  EXPECT_EQ(data.configs[0].label, "engine=a");
  EXPECT_EQ(data.configs[0].runs.size(), 2u);
  EXPECT_EQ(data.warmups, 1u);
  EXPECT_EQ(data.failed, 1u);
  EXPECT_EQ(data.unreadable, 2u);
  EXPECT_EQ(data.factors, std::vector<std::string>{"engine"});
  EXPECT_EQ(data.energy_sources, std::vector<std::string>{"estimate"});
}

TEST(ReportLoad, RefusesWhatIsNotADatasetWithAClearMessage) {
  EXPECT_THAT([] { load_dataset("/nonexistent/wattserve"); },
              ::testing::ThrowsMessage<std::runtime_error>(HasSubstr("no such folder")));
  TempDataset d("empty");
  EXPECT_THAT([&] { load_dataset(d.dir()); },
              ::testing::ThrowsMessage<std::runtime_error>(HasSubstr("no finished measured run")));
  d.write_raw("study.json", "[]");
  EXPECT_THAT([&] { load_dataset(d.dir()); },
              ::testing::ThrowsMessage<std::runtime_error>(HasSubstr("not a bench dataset")));
}

TEST(ReportAnalysis, ComparesEngineLevelsWithinEachModel) {
  TempDataset d("engines");
  for (int i = 0; i < 8; ++i) {
    for (const char* model : {"tiny", "small"}) {
      const double scale = std::string(model) == "tiny" ? 1.0 : 3.0;
      d.add({{"engine", "fast"}, {"model", model}},
            {{"joules_per_output_token", scale * (1.0 + 0.01 * i)}});
      d.add({{"engine", "slow"}, {"model", model}},
            {{"joules_per_output_token", scale * (2.0 + 0.01 * i)}});
    }
  }
  const auto a = analyse_dataset(load_dataset(d.dir()), fast());
  EXPECT_EQ(a.energy_metric, "joules_per_output_token");
  const FactorTest* t = nullptr;
  for (const auto& f : a.factor_tests) {
    if (f.factor == "engine" && f.metric == "joules_per_output_token" &&
        f.stratum == "model=tiny") {
      t = &f;
    }
  }
  ASSERT_NE(t, nullptr);
  EXPECT_LT(t->kruskal.p, 0.001);
  ASSERT_EQ(t->pairs.size(), 1u);
  EXPECT_EQ(t->pairs[0].a, "fast");
  EXPECT_NEAR(t->pairs[0].ratio, 2.035 / 1.035, 1e-9);
  EXPECT_DOUBLE_EQ(t->pairs[0].cliffs_delta, 1.0);  // every slow run above every fast run
  EXPECT_EQ(t->pairs[0].magnitude, "large");
  EXPECT_DOUBLE_EQ(t->pairs[0].a12, 1.0);
  EXPECT_LT(t->pairs[0].p_holm, 0.001);
  // The words name the better engine and the size of the difference.
  bool said = false;
  for (const auto& s : a.findings) {
    said = said ||
           (s.find("With model=tiny, J per output token differs across the levels of engine") !=
                std::string::npos &&
            s.find("engine=fast has the least") != std::string::npos &&
            s.find("49.1% less than slow") != std::string::npos);
  }
  EXPECT_TRUE(said) << ::testing::PrintToString(a.findings);
  // Summaries: the median's interval holds the median.
  const auto* m = a.configs[0].find("joules_per_output_token");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->summary.n, 8u);
  EXPECT_TRUE(m->median_ci.valid);
  EXPECT_LE(m->median_ci.low, m->summary.median);
  EXPECT_GE(m->median_ci.high, m->summary.median);
}

TEST(ReportAnalysis, DeadlineQueryPicksTheLeastEnergyConfigurationThatMeetsIt) {
  TempDataset d("query");
  for (int i = 0; i < 5; ++i) {
    const double j = 0.001 * i;
    d.add({{"variant", "big"}}, {{"joules_per_output_token", 1.0 + j}, {"e2e_p99", 5.0 + j}});
    d.add({{"variant", "mid"}}, {{"joules_per_output_token", 2.0 + j}, {"e2e_p99", 1.0 + j}});
    d.add({{"variant", "small"}}, {{"joules_per_output_token", 3.0 + j}, {"e2e_p99", 0.5 + j}});
  }
  auto o = fast();
  o.deadline_s = 2.0;
  auto a = analyse_dataset(load_dataset(d.dir()), o);
  ASSERT_TRUE(a.pareto.query.found);
  EXPECT_EQ(a.data.configs[a.pareto.query.config].label, "variant=mid");
  EXPECT_EQ(a.pareto.query.feasible, 2u);
  EXPECT_EQ(a.pareto.query.runner_up, "variant=small");
  EXPECT_DOUBLE_EQ(a.pareto.query.probability_best, 1.0);
  // All three trade energy for latency: all on the front.
  ASSERT_EQ(a.pareto.fronts.size(), 1u);
  EXPECT_EQ(a.pareto.fronts[0].front.size(), 3u);
  o.deadline_s = 0.1;
  a = analyse_dataset(load_dataset(d.dir()), o);
  EXPECT_FALSE(a.pareto.query.found);
  EXPECT_THAT(a.pareto.query.note, HasSubstr("no configuration meets"));
  // A deadline on a metric the runs lack says so, and asking does not change the fronts.
  o.deadline_s = 2.0;
  o.deadline_metric = "ttft_p99";
  a = analyse_dataset(load_dataset(d.dir()), o);
  EXPECT_FALSE(a.pareto.query.found);
  EXPECT_THAT(a.pareto.query.note, HasSubstr("the runs record no TTFT p99"));
  EXPECT_EQ(a.pareto.objectives.size(), 2u);
  ASSERT_EQ(a.pareto.fronts.size(), 1u);
  EXPECT_EQ(a.pareto.fronts[0].front.size(), 3u);
}

TEST(ReportAnalysis, QualityIsWhatTheRunsWithThePrimaryEnergyMetricHave) {
  // Text runs (J per output token, perplexity) beside classifier runs (J per item, accuracy):
  // the Pareto plane and the query use the text runs' perplexity, not the classifiers' accuracy.
  TempDataset d("mixed");
  for (int i = 0; i < 3; ++i) {
    d.add({{"model", "text"}},
          {{"joules_per_output_token", 1.0 + 0.1 * i}, {"reference_perplexity", 40.0}});
    d.add({{"model", "cnn"}}, {{"joules_per_item", 0.1}, {"accuracy", 0.9}});
  }
  const auto a = analyse_dataset(load_dataset(d.dir()), fast());
  EXPECT_EQ(a.energy_metric, "joules_per_output_token");
  EXPECT_EQ(a.quality_metric, "reference_perplexity");
}

TEST(ReportAnalysis, ComparesTwoDatasetsConfigurationByConfiguration) {
  TempDataset before("before", "h1"), after("after", "h2");
  for (int i = 0; i < 10; ++i) {
    before.add({{"engine", "x"}}, {{"joules_per_output_token", 1.0 + 0.01 * i}});
    after.add({{"engine", "x"}}, {{"joules_per_output_token", 0.5 + 0.005 * i}});
    before.add({{"engine", "only-before"}}, {{"joules_per_output_token", 1.0}});
  }
  const auto r = analyse({before.dir(), after.dir()}, fast());
  ASSERT_EQ(r.comparisons.size(), 1u);
  const auto& c = r.comparisons[0];
  ASSERT_FALSE(c.rows.empty());
  EXPECT_EQ(c.rows[0].config, "engine=x");
  EXPECT_NEAR(c.rows[0].ratio.estimate, 0.5, 1e-9);
  ASSERT_TRUE(c.rows[0].ratio.valid);
  EXPECT_LT(c.rows[0].ratio.high, 1.0);
  EXPECT_LT(c.rows[0].mann_whitney.p, 0.001);
  EXPECT_THAT(c.unmatched, ::testing::ElementsAre(HasSubstr("only-before")));
  ASSERT_FALSE(c.findings.empty());
  EXPECT_THAT(c.findings[0], HasSubstr("50.0% less, a real change"));
}

TEST(ReportAnalysis, SamplingRegressionFindsTheFactorThatMovesEnergy) {
  TempDataset d("lhs");
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 40; ++i) {
    const double tokens = 8 + 248 * u(rng), temp = 1.5 * u(rng);
    // Energy per request proportional to tokens; temperature does nothing (small noise).
    const double e = 0.02 * tokens * (1 + 0.02 * (u(rng) - 0.5));
    // Two repeats of each setting, as a Latin hypercube study with repeats has.
    d.add({{"max_tokens", tokens}, {"temperature", temp}}, {{"joules_per_request", e}});
    d.add({{"max_tokens", tokens}, {"temperature", temp}}, {{"joules_per_request", e * 1.01}});
  }
  const auto a = analyse_dataset(load_dataset(d.dir()), fast());
  ASSERT_EQ(a.sampling.size(), 1u);
  const auto& s = a.sampling[0];
  EXPECT_EQ(s.metric, "joules_per_request");
  EXPECT_EQ(s.strongest, "max_tokens");
  ASSERT_TRUE(s.regression.valid);
  EXPECT_GT(s.regression.r2, 0.8);
  EXPECT_GT(s.correlations[0].spearman.statistic, 0.99);  // max_tokens
  EXPECT_GT(s.correlations[1].spearman.p, 0.01);          // temperature
  ASSERT_EQ(s.partial_dependence.size(), 2u);
  EXPECT_LT(s.partial_dependence[0].y.front(), s.partial_dependence[0].y.back());
  // 40 levels of each factor, each level's other factors unique: sampled, not tested by level.
  EXPECT_TRUE(a.factor_tests.empty());
}

TEST(ReportAnalysis, SetFactorBesideSampledOnesIsTestedAndInTheRegression) {
  // engine a/b x 20 random temperatures x 3 repeats: engine b doubles the energy. The sampled
  // temperature neither hides engine in one-configuration strata nor leaves it out of the model.
  TempDataset d("mixed-design");
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 20; ++i) {
    const double temp = 1.5 * u(rng);
    for (const char* engine : {"a", "b"}) {
      for (int rep = 0; rep < 3; ++rep) {
        const double e = (std::string(engine) == "b" ? 2.0 : 1.0) * (1 + 0.05 * u(rng));
        d.add({{"engine", engine}, {"temperature", temp}}, {{"joules_per_request", e}});
      }
    }
  }
  const auto a = analyse_dataset(load_dataset(d.dir()), fast());
  const FactorTest* engine = nullptr;
  for (const auto& t : a.factor_tests) {
    if (t.factor == "engine" && t.metric == "joules_per_request") engine = &t;
  }
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->stratum, "");  // temperature is sampled: it does not split strata
  EXPECT_LT(engine->kruskal.p, 1e-6);
  ASSERT_EQ(a.sampling.size(), 1u);
  const auto& coefs = a.sampling[0].regression.coefficients;
  ASSERT_EQ(coefs.size(), 3u);
  EXPECT_EQ(coefs[2].name, "engine=b (against a)");
  EXPECT_NEAR(std::exp(coefs[2].estimate), 2.0, 0.05);
  EXPECT_GT(a.sampling[0].regression.r2, 0.95);
}

TEST(ReportAnalysis, ProportionalityCurveKneeAndIdleShare) {
  TempDataset d("batch");
  const double batches[] = {1, 2, 4, 8, 16, 32};
  const double per_item[] = {10, 5.2, 2.8, 1.6, 1.4, 1.3};
  for (int rep = 0; rep < 3; ++rep) {
    for (int i = 0; i < 6; ++i) {
      const double tput = 100 * batches[i] / per_item[i] * (1 + 0.001 * rep);
      d.add({{"model.batch", batches[i]}}, {{"joules_per_item", per_item[i] * (1 + 0.001 * rep)},
                                            {"items_per_s", tput},
                                            {"avg_watts", 40 + 2 * i},
                                            {"idle_watts", 30.0}});
    }
  }
  const auto a = analyse_dataset(load_dataset(d.dir()), fast());
  ASSERT_EQ(a.proportionality.size(), 1u);
  const auto& p = a.proportionality[0];
  EXPECT_EQ(p.factor, "model.batch");
  EXPECT_EQ(p.levels.size(), 6u);
  EXPECT_EQ(p.knee_x, 8);
  EXPECT_NEAR(p.idle_share, 30.0 / 50.0, 1e-9);
  EXPECT_GT(p.index, 0.0);
  EXPECT_LT(p.index, 1.0);
}

TEST(ReportOutputs, JsonTextMarkdownAndCsvAgree) {
  TempDataset d("out");
  for (int i = 0; i < 4; ++i) {
    d.add({{"engine", "a"}}, {{"joules_per_output_token", 1.0 + 0.1 * i}});
    d.add({{"engine", "b|c"}}, {{"joules_per_output_token", 2.0 + 0.1 * i}});
  }
  const auto r = analyse({d.dir()}, fast());
  const auto j = report_json(r);
  EXPECT_EQ(j["schema"], "wattserve.report");
  EXPECT_NEAR(j["datasets"][0]["configurations"][0]["metrics"]["joules_per_output_token"]["median"]
                  .get<double>(),
              1.15, 1e-12);
  const auto text = report_text(r);
  EXPECT_THAT(text, HasSubstr("engine=a"));
  EXPECT_THAT(text, HasSubstr("estimate"));
  const auto md = report_markdown(r);
  EXPECT_THAT(md, HasSubstr("engine=b\\|c"));  // a pipe in a cell does not break the table
  const auto doc = report_document(r);
  EXPECT_FALSE(doc.sections.empty());
}

}  // namespace
}  // namespace wattserve::report
