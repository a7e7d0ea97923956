// Profiles: JSON round trips (NaN as null), errors naming the bad field, the request service
// time formula, lookup.
#include "adapt/profile.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

namespace wattserve::adapt {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Profiles sample() {
  Profiles p;
  p.machine = "AMD EPYC 7B13, 2 cores";
  p.cores = 2;
  p.energy_source = "estimate";
  p.datasets = {"results/a", "results/b"};
  VariantProfile v;
  v.id = "pycode-tiny/q8_0/llama/cpu/t2/p8";
  v.family = "pycode";
  v.model = "pycode-tiny";
  v.size = "tiny";
  v.quant = "q8_0";
  v.engine = "llama";
  v.provider = "cpu";
  v.kind = "text";
  v.threads = 2;
  v.parallel = 8;
  v.context = 512;
  v.step = {0.004, 0.0011, 2.5e-5, 8, {0.97, 120, 0.041, "engines: 150 runs"}};
  v.prefill = {0.012, 0.0003, {0.99, 30, kNaN, "engines: 30 runs"}};
  v.power = {11.5, 18.25, 0.75, "estimate", {0.9, 150, 0.08, ""}};
  v.quality = kNaN;
  v.quality_metric = "";
  v.measured_joules_per_request = 3.5;
  p.variants.push_back(v);
  v.id = "fmnist-cnn-small/f32/onnx/cpu/t1/p16";
  v.family = "fmnist-cnn";
  v.model = "fmnist-cnn-small";
  v.kind = "tensor";
  v.threads = 1;
  v.parallel = 16;
  v.context = 0;
  v.quality = 0.91;
  v.quality_metric = "accuracy";
  v.measured_joules_per_request = kNaN;
  p.variants.push_back(v);
  return p;
}

void expect_same_number(double a, double b) {
  if (std::isnan(b)) {
    EXPECT_TRUE(std::isnan(a));
  } else {
    EXPECT_DOUBLE_EQ(a, b);
  }
}

void expect_same_fit(const FitQuality& a, const FitQuality& b) {
  expect_same_number(a.r2, b.r2);
  EXPECT_EQ(a.points, b.points);
  expect_same_number(a.holdout_mape, b.holdout_mape);
  EXPECT_EQ(a.data, b.data);
}

TEST(Profiles, JsonRoundTripsWithNanAsNull) {
  const Profiles p = sample();
  const std::string text = profiles_to_json(p);
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["schema_version"], kProfilesSchemaVersion);
  EXPECT_TRUE(j["variants"][0]["quality"].is_null());
  EXPECT_TRUE(j["variants"][0]["prefill"]["fit"]["holdout_mape"].is_null());
  EXPECT_TRUE(j["variants"][1]["measured_joules_per_request"].is_null());

  const Profiles q = profiles_from_json(text, "mem");
  EXPECT_EQ(q.schema_version, p.schema_version);
  EXPECT_EQ(q.machine, p.machine);
  EXPECT_EQ(q.cores, p.cores);
  EXPECT_EQ(q.energy_source, p.energy_source);
  EXPECT_EQ(q.datasets, p.datasets);
  ASSERT_EQ(q.variants.size(), p.variants.size());
  for (size_t i = 0; i < p.variants.size(); ++i) {
    const auto& a = q.variants[i];
    const auto& b = p.variants[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.family, b.family);
    EXPECT_EQ(a.model, b.model);
    EXPECT_EQ(a.size, b.size);
    EXPECT_EQ(a.quant, b.quant);
    EXPECT_EQ(a.engine, b.engine);
    EXPECT_EQ(a.provider, b.provider);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.threads, b.threads);
    EXPECT_EQ(a.parallel, b.parallel);
    EXPECT_EQ(a.context, b.context);
    expect_same_number(a.step.base_s, b.step.base_s);
    expect_same_number(a.step.per_sequence_s, b.step.per_sequence_s);
    expect_same_number(a.step.per_prompt_token_s, b.step.per_prompt_token_s);
    EXPECT_EQ(a.step.max_batch_seen, b.step.max_batch_seen);
    expect_same_fit(a.step.fit, b.step.fit);
    expect_same_number(a.prefill.base_s, b.prefill.base_s);
    expect_same_number(a.prefill.per_token_s, b.prefill.per_token_s);
    expect_same_fit(a.prefill.fit, b.prefill.fit);
    expect_same_number(a.power.idle_w, b.power.idle_w);
    expect_same_number(a.power.busy_w, b.power.busy_w);
    expect_same_number(a.power.per_sequence_w, b.power.per_sequence_w);
    EXPECT_EQ(a.power.source, b.power.source);
    expect_same_fit(a.power.fit, b.power.fit);
    expect_same_number(a.quality, b.quality);
    EXPECT_EQ(a.quality_metric, b.quality_metric);
    expect_same_number(a.measured_joules_per_request, b.measured_joules_per_request);
  }
  // Written again, the same text.
  EXPECT_EQ(profiles_to_json(q), text);
}

// The sample's JSON with one change at a JSON pointer.
std::string with(const std::string& pointer, const nlohmann::json& value) {
  auto j = nlohmann::json::parse(profiles_to_json(sample()));
  j[nlohmann::json::json_pointer(pointer)] = value;
  return j.dump();
}
std::string without(const std::string& pointer) {
  auto j = nlohmann::json::parse(profiles_to_json(sample()));
  const nlohmann::json::json_pointer p(pointer);
  j[p.parent_pointer()].erase(p.back());
  return j.dump();
}

TEST(Profiles, BadFieldsAreNamed) {
  auto fails = [](const std::string& text, const std::string& message) {
    EXPECT_THAT([&] { profiles_from_json(text, "NAME"); },
                ThrowsMessage<std::invalid_argument>(HasSubstr(message)))
        << message;
  };
  fails(with("/variants/1/step/base_s", "fast"),
        "NAME: variants[1].step.base_s: expected a number");
  fails(with("/variants/0/threads", 0), "NAME: variants[0].threads: 0 is outside [1,");
  fails(with("/variants/0/threads", 1.5), "variants[0].threads: expected an integer");
  fails(with("/variants/0/kind", "audio"), "variants[0].kind: expected \"text\" or \"tensor\"");
  fails(with("/variants/1/quality", 1.5), "variants[1].quality: 1.5 is outside [0, 1]");
  fails(with("/variants/0/power/idle_w", -1), "variants[0].power.idle_w");
  fails(with("/variants/0/prefill", 3), "variants[0].prefill: expected an object");
  fails(with("/variants/1/id", "pycode-tiny/q8_0/llama/cpu/t2/p8"), "variants[1].id: duplicate");
  fails(with("/variants/0/step/fit/points", "many"), "variants[0].step.fit.points");
  fails(with("/datasets/1", 7), "NAME: datasets[1]: expected a string");
  fails(with("/schema_version", 2), "NAME: schema_version: unknown version 2");
  fails(with("/schema", "wattserve.report"), "NAME: schema: expected \"wattserve.profiles\"");
  fails(without("/variants/0/model"), "NAME: variants[0].model: missing");
  fails(without("/variants/1/power"), "NAME: variants[1].power: missing");
  fails(without("/schema_version"), "NAME: schema_version: missing");
  fails("{\"schema_version\": 1, ", "NAME: not JSON");
  fails("[]", "NAME: (top level): expected an object");
}

TEST(Profiles, LoadNamesThePath) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("wattserve-profile-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto good = (dir / "good.json").string();
  std::ofstream(good) << profiles_to_json(sample());
  EXPECT_EQ(load_profiles(good).variants.size(), 2u);
  const auto bad = (dir / "bad.json").string();
  std::ofstream(bad) << with("/variants/0/step/per_sequence_s", true);
  EXPECT_THAT([&] { load_profiles(bad); },
              ThrowsMessage<std::invalid_argument>(
                  HasSubstr(bad + ": variants[0].step.per_sequence_s: expected a number")));
  const auto missing = (dir / "missing.json").string();
  EXPECT_THAT([&] { load_profiles(missing); },
              ThrowsMessage<std::invalid_argument>(HasSubstr(missing)));
  std::filesystem::remove_all(dir);
}

TEST(Profiles, FindAndServiceTime) {
  const Profiles p = sample();
  ASSERT_NE(p.find("fmnist-cnn-small/f32/onnx/cpu/t1/p16"), nullptr);
  EXPECT_EQ(p.find("fmnist-cnn-small/f32/onnx/cpu/t1/p16"), &p.variants[1]);
  EXPECT_EQ(p.find("nope"), nullptr);
  const auto& v = p.variants[0];
  // prefill(100) + 20 * step(4, 0) = 0.012 + 0.03 + 20 * (0.004 + 0.0044)
  EXPECT_NEAR(request_service_s(v, 100, 20, 4), 0.042 + 20 * 0.0084, 1e-12);
  EXPECT_NEAR(v.power.watts(2), 11.5 + 18.25 + 1.5, 1e-12);
  EXPECT_DOUBLE_EQ(v.power.watts(0), 11.5);
}

}  // namespace
}  // namespace wattserve::adapt
