// Fitting profiles from bench datasets: synthetic datasets whose requests follow known step,
// prefill and power models; the fit must recover them, hold runs out, and refuse what is not a
// dataset.
#include "adapt/profile_fit.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace wattserve::adapt {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class Dataset {
 public:
  explicit Dataset(const std::string& name) : root_(fs::path(::testing::TempDir()) / name) {
    fs::remove_all(root_);
    fs::create_directories(root_ / "runs");
    fs::create_directories(root_ / "requests");
    std::ofstream(root_ / "study.json") << json{{"name", name}, {"hash", "h"}}.dump();
  }
  void add(const std::string& id, int order, json config, double duration, double joules,
           const std::string& csv, const json& extra = json::object()) {
    json rec = {{"run_id", id},
                {"status", "ok"},
                {"warmup", false},
                {"order", order},
                {"study", {{"hash", "h"}}},
                {"config", std::move(config)},
                {"energy",
                 {{"duration_s", duration},
                  {"joules", joules},
                  {"idle_baseline", {{"watts_by_domain", {{"estimate:cpu", 10.0}}}}}}},
                {"metrics", {{"energy_source", "estimate"}, {"joules_per_request", 1.0}}},
                {"machine", {{"cpu_model", "test cpu"}, {"cpu_count", 2}}}};
    rec.update(extra);
    std::ofstream(root_ / "runs" / (id + ".json")) << rec.dump();
    std::ofstream(root_ / "requests" / (id + ".csv")) << csv;
  }
  std::string dir() const { return root_.string(); }

 private:
  fs::path root_;
};

json direct_config() {
  return {{"model",
           {{"model", "toy-tiny"},
            {"engine", "llama"},
            {"provider", "cpu"},
            {"quant", "q8_0"},
            {"threads", 2},
            {"parallel", 1},
            {"context", 512}}},
          {"target", {{"target", "run"}}},
          {"workload", {{"kind", "text"}}}};
}

TEST(ProfileFit, DirectRunsGivePrefillStepAndPowerExactly) {
  Dataset ds("fit_direct");
  // ttft = 1 ms + 0.1 ms * n; tpot = 2 ms; 9 tokens each; requests back to back; power 30 W
  // above idle while busy.
  for (int r = 0; r < 5; ++r) {
    std::string csv = "request,status,prompt_tokens,output_tokens,ttft_s,tpot_s,e2e_s\n";
    double busy = 0;
    for (int i = 0; i < 8; ++i) {
      const int n = 10 + 7 * i + r;
      const double ttft = 0.001 + 0.0001 * n, e2e = ttft + 8 * 0.002;
      busy += e2e;
      csv += std::to_string(i) + ",ok," + std::to_string(n) + ",9," + std::to_string(ttft) + "," +
             std::to_string(0.002) + "," + std::to_string(e2e) + "\n";
    }
    const double duration = busy + 0.5;  // half a second idle in the window
    ds.add("run" + std::to_string(r), r, direct_config(), duration, 10 * duration + 30 * busy, csv);
  }
  const auto p = fit_profiles({ds.dir()});
  ASSERT_EQ(p.variants.size(), 1u);
  const auto& v = p.variants[0];
  EXPECT_EQ(v.id, "toy-tiny/q8_0/llama/cpu/t2/p1");
  EXPECT_EQ(v.family, "toy");
  EXPECT_EQ(p.cores, 2);
  EXPECT_NEAR(v.prefill.base_s, 0.001, 1e-6);
  EXPECT_NEAR(v.prefill.per_token_s, 0.0001, 1e-8);
  EXPECT_NEAR(v.step.seconds(1, 0), 0.002, 1e-9);
  EXPECT_NEAR(v.power.idle_w, 10, 1e-9);
  EXPECT_NEAR(v.power.busy_w, 30, 1e-3);
  EXPECT_EQ(v.holdout_runs, std::vector<std::string>{"run4"});
  EXPECT_LT(v.prefill.fit.holdout_mape, 0.01);
  EXPECT_EQ(p.energy_source, "estimate");
}

json served_config() {
  json config = direct_config();
  config["model"]["parallel"] = 4;
  config["target"]["target"] = "serve";
  config["serving"] = {{"target.kind", "serve"}, {"load.kind", "trace"}};
  return config;
}

// Groups of m requests (m = 1..4) starting together, 1 s apart: during a group's decoding m
// sequences share every step, whose time by the requests is 1 ms + 0.5 ms * m. Returns the CSV
// and, in *busy, the seconds some request was in the server.
std::string grouped_requests(double* busy) {
  std::string csv = "index,status,send_s,prompt_tokens,output_tokens,ttft_s,tpot_s,e2e_s\n";
  int index = 0;
  double t = 0;
  *busy = 0;
  for (int rep = 0; rep < 3; ++rep) {
    for (int m = 1; m <= 4; ++m) {
      const double tpot = 0.001 + 0.0005 * m, ttft = 0.004, e2e = ttft + 19 * tpot;
      for (int j = 0; j < m; ++j) {
        csv += std::to_string(index++) + ",200," + std::to_string(t) + ",16,20," +
               std::to_string(ttft) + "," + std::to_string(tpot) + "," + std::to_string(e2e) + "\n";
      }
      *busy += e2e;
      t += 1;
    }
  }
  return csv;
}

TEST(ProfileFit, ServedRunsGiveTheStepTimeAgainstSequencesFromOverlaps) {
  Dataset ds("fit_served");
  for (int r = 0; r < 3; ++r) {
    double busy = 0;
    const std::string csv = grouped_requests(&busy);
    ds.add("s" + std::to_string(r), r, served_config(), 12, 10 * 12 + 5, csv);
  }
  const auto p = fit_profiles({ds.dir()});
  ASSERT_EQ(p.variants.size(), 1u);
  const auto& s = p.variants[0].step;
  EXPECT_NEAR(s.base_s, 0.001, 1e-5);
  EXPECT_NEAR(s.per_sequence_s, 0.0005, 1e-5);
  EXPECT_EQ(s.max_batch_seen, 4);
  EXPECT_EQ(s.fit.data.find("level"), std::string::npos);  // no server counters: no second stage
}

// The second stage: the server's counters say its N steps and S sequence-steps took 0.8 times
// what the requests' intervals imply (they include streaming delays), in every run but one
// whose counters disagree (the median ignores it); the coefficients are scaled to the counters.
TEST(ProfileFit, ServerCountersSetTheLevelOfTheServedStepModel) {
  Dataset ds("fit_served_level");
  for (int r = 0; r < 3; ++r) {
    double busy = 0;
    const std::string csv = grouped_requests(&busy);
    const double ratio = r == 1 ? 2.0 : 0.8;  // run s1: an outlier
    // busy = ratio * (1 ms * N + 0.5 ms * S), with N = 200.
    const double steps = 200, sequence_steps = (busy / ratio - 0.001 * steps) / 0.0005;
    const json metrics = {{"serving",
                           {{"server_metrics",
                             {{"wattserve_batch_size_count{model=\"toy-tiny\"}", steps},
                              {"wattserve_batch_size_sum{model=\"toy-tiny\"}", sequence_steps},
                              {"wattserve_batch_size_bucket{model=\"toy-tiny\",le=\"1\"}", 7.0},
                              {"wattserve_prompt_tokens_total{model=\"toy-tiny\"}", 0.0}}}}}};
    ds.add("s" + std::to_string(r), r, served_config(), 12, 10 * 12 + 5, csv, metrics);
  }
  const auto p = fit_profiles({ds.dir()});
  ASSERT_EQ(p.variants.size(), 1u);
  const auto& s = p.variants[0].step;
  EXPECT_NEAR(s.base_s, 0.0008, 1e-5);
  EXPECT_NEAR(s.per_sequence_s, 0.0004, 1e-5);
  EXPECT_NE(s.fit.data.find("level x0.8"), std::string::npos) << s.fit.data;
  // The prefill of served-only variants follows the scaled step model.
  EXPECT_NEAR(p.variants[0].prefill.base_s, s.base_s + s.per_sequence_s, 1e-12);
}

TEST(ProfileFit, RefusesWhatIsNotADataset) {
  EXPECT_THROW(fit_profiles({}), std::invalid_argument);
  EXPECT_THROW(fit_profiles({::testing::TempDir() + "no_such_dataset"}), std::invalid_argument);
}

TEST(ProfileFit, ExternalServersAreNotProfiled) {
  json rec = direct_config();
  json r = {{"config", rec}};
  r["config"]["target"]["target"] = "serve";
  r["config"]["serving"] = {{"target.kind", "external"}};
  EXPECT_FALSE(variant_of_record(r).has_value());
  r["config"]["serving"]["target.kind"] = "serve";
  ASSERT_TRUE(variant_of_record(r).has_value());
  EXPECT_EQ(variant_of_record(r)->parallel, 1);
}

}  // namespace
}  // namespace wattserve::adapt
