// Synthetic bench datasets for the report tests: study.json and run records with the fields
// `wattserve report` reads, in a temporary folder removed at the end.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace wattserve::report::testing {

class TempDataset {
 public:
  explicit TempDataset(const std::string& name, const std::string& hash = "h1") : hash_(hash) {
    static int counter = 0;
    dir_ =
        std::filesystem::temp_directory_path() /
        ("wattserve-report-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)) /
        name;
    std::filesystem::create_directories(dir_ / "runs");
    write(dir_ / "study.json", {{"schema", "wattserve.bench-dataset"},
                                {"schema_version", 1},
                                {"name", name},
                                {"hash", hash_}});
  }
  ~TempDataset() { std::filesystem::remove_all(dir_.parent_path()); }
  TempDataset(const TempDataset&) = delete;
  TempDataset& operator=(const TempDataset&) = delete;

  std::string dir() const { return dir_.string(); }

  // Adds a run with these factor levels and metrics ({"joules_per_output_token": 0.1, ...});
  // e2e_p99 etc. go to timings when given as "e2e_p99".
  std::string add(const nlohmann::json& factors, const nlohmann::json& metrics,
                  const std::string& status = "ok", bool warmup = false) {
    const std::string id = "run" + std::to_string(order_);
    nlohmann::json rec = {{"schema", "wattserve.run-record"},
                          {"schema_version", 1},
                          {"kind", "bench"},
                          {"run_id", id},
                          {"status", status},
                          {"warmup", warmup},
                          {"order", order_++},
                          {"study", {{"name", "t"}, {"hash", hash_}}},
                          {"config", {{"factors", factors}}},
                          {"metrics", {{"energy_source", "estimate"}}},
                          {"timings", nlohmann::json::object()}};
    for (const auto& [k, v] : metrics.items()) {
      if (k == "e2e_p99")
        rec["timings"]["e2e_s"]["p99"] = v;
      else if (k == "e2e_p50")
        rec["timings"]["e2e_s"]["p50"] = v;
      else if (k == "idle_watts")
        rec["energy"]["idle_baseline"]["watts_by_domain"]["cpu"] = v;
      else
        rec["metrics"][k] = v;
    }
    write(dir_ / "runs" / (id + ".json"), rec);
    return id;
  }

  void write_raw(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ / rel) << text;
  }

 private:
  static void write(const std::filesystem::path& p, const nlohmann::json& j) {
    std::ofstream(p) << j.dump(2);
  }
  std::filesystem::path dir_;
  std::string hash_;
  int order_ = 0;
};

}  // namespace wattserve::report::testing
