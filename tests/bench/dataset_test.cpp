// The bench dataset (src/bench/dataset.h): write and resume, what a killed writer leaves,
// refusing another study, the tables (runs.csv, emissions.csv, index.json), merge and status.
#include "bench/dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "../energy/test_tmpdir.h"
#include "energy/exporters/codecarbon_csv.h"
#include "energy/exporters/output_format.h"

namespace wattserve::bench {
namespace {

namespace fs = std::filesystem;
using energy::testing::slurp;
using energy::testing::spit;
using energy::testing::TempDir;
using nlohmann::json;
using ::testing::HasSubstr;

const std::string kHash = "aaaa1111";
const std::string kOtherHash = "bbbb2222";
const std::string kToml = "[study]\nname = \"smoke\"\n";

json make_record(const std::string& id, const std::string& status = "ok",
                 const std::string& engine = "llama", int max_tokens = 16, bool warmup = false,
                 int order = 0, const std::string& hash = kHash) {
  return {
      {"schema", "wattserve.run-record"},
      {"schema_version", 1},
      {"kind", "bench"},
      {"run_id", id},
      {"status", status},
      {"error", status == "ok" ? json(nullptr) : json("engine failed: boom")},
      {"started_at", "2024-05-01T12:00:00.000Z"},
      {"ended_at", "2024-05-01T12:00:10.500Z"},
      {"duration_s", 10.5},
      {"study", {{"name", "smoke"}, {"hash", hash}}},
      {"repeat", 0},
      {"warmup", warmup},
      {"config_index", 0},
      {"order", order},
      {"config",
       {{"model",
         {{"model", "pycode-tiny"}, {"engine", engine}, {"provider", "cpu"}, {"quant", ""}}},
        {"sampling", {{"max_tokens", max_tokens}, {"temperature", 0.0}}},
        {"workload", {{"prompts", "pycode-completion"}, {"requests", 4}}}}},
      {"metrics", {{"j_per_output_token", 0.25}, {"tokens_per_s", 120.5}}},
      {"energy",
       {{"joules", 36000.0},
        {"dynamic_joules", 1000.0},
        {"avg_watts", 3600.0},
        {"duration_s", 10.0},
        {"source", "counter"},
        {"read_errors", 0},
        {"domains",
         {{{"id", "rapl:package-0"},
           {"kind", "cpu_package"},
           {"source", "counter"},
           {"counted", true},
           {"joules", 27000.0},
           {"dynamic_joules", 900.0},
           {"avg_watts", 2700.0}},
          {{"id", "rapl:dram-0"},
           {"kind", "dram"},
           {"source", "counter"},
           {"counted", true},
           {"joules", 9000.0},
           {"dynamic_joules", 100.0},
           {"avg_watts", 900.0}},
          {{"id", "rapl:core-0"},
           {"kind", "cpu_core"},
           {"source", "counter"},
           {"counted", false},
           {"joules", 20000.0},
           {"dynamic_joules", 0.0},
           {"avg_watts", 2000.0}}}}}},
      {"carbon",
       {{"g_per_kwh", 50.0},
        {"source", "user"},
        {"country_iso_code", "FRA"},
        {"country_name", "France"},
        {"region", ""},
        {"cloud_provider", ""},
        {"cloud_region", ""},
        {"pue", 1.0},
        {"emissions_kg", 0.0005}}},
      {"machine",
       {{"os", "Linux-6.1"},
        {"cpu_model", "Test CPU 9000"},
        {"cpu_count", 8},
        {"cpu_cores", 4},
        {"ram_total_gib", 16.0},
        {"gpu_count", 0},
        {"gpu_model", ""}}},
      {"software", {{"wattserve_version", "0.1.0"}, {"git_commit", "abc"}}},
  };
}

CsvTable requests_of(int n) {
  CsvTable t;
  t.header = {"request", "tokens_in", "tokens_out", "joules"};
  for (int i = 0; i < n; ++i) t.add({i, 10, 16, 0.5 * i});
  return t;
}

CsvTable timeline_of() {
  CsvTable t;
  t.header = {"t_s", "rapl:package-0_joules"};
  t.add({0.0, 0});
  t.add({0.1, 2.5});
  return t;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  for (char c : line) {
    if (c == ',') {
      out.push_back(cell);
      cell.clear();
    } else {
      cell += c;
    }
  }
  out.push_back(cell);
  return out;
}

size_t column(const std::vector<std::string>& header, const std::string& name) {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

std::vector<std::string> dir_names(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(DatasetCsv, TextQuotesAndChecksRowLength) {
  CsvTable t;
  EXPECT_EQ(t.text(), "");
  t.header = {"a", "b"};
  t.add({"x,y", nullptr});
  t.add({true, 1.5});
  t.add({json::array({1, 2}), 3});
  EXPECT_EQ(t.text(), "a,b\n\"x,y\",\ntrue,1.5\n\"[1,2]\",3\n");
  t.rows.push_back({"only one"});
  EXPECT_THROW(t.text(), std::invalid_argument);
}

TEST(Dataset, WritesRunsAndResumes) {
  TempDir tmp;
  const std::string out = tmp.file("out");
  {
    Dataset ds = Dataset::open(out, kToml, "smoke", kHash);
    EXPECT_TRUE(ds.finished_ids().empty());
    ds.write_run(make_record("r1"), requests_of(3), timeline_of());
    ds.write_run(make_record("r2", "failed"), CsvTable{}, CsvTable{});
    EXPECT_EQ(ds.finished_ids(), (std::set<std::string>{"r1", "r2"}));
    EXPECT_EQ(ds.finished_ids(false), (std::set<std::string>{"r1"}));
  }
  EXPECT_EQ(slurp(out + "/study.toml"), kToml);
  json study = json::parse(slurp(out + "/study.json"));
  EXPECT_EQ(study["hash"], kHash);
  EXPECT_EQ(study["name"], "smoke");
  EXPECT_EQ(slurp(out + "/requests/r1.csv"),
            "request,tokens_in,tokens_out,joules\n0,10,16,0\n1,10,16,0.5\n2,10,16,1\n");
  EXPECT_EQ(slurp(out + "/timelines/r1.csv"), "t_s,rapl:package-0_joules\n0,0\n0.1,2.5\n");
  EXPECT_FALSE(fs::exists(out + "/requests/r2.csv"));
  EXPECT_EQ(json::parse(slurp(out + "/runs/r1.json")), make_record("r1"));

  // Rerunning the same study: the same records are finished; the study.toml is kept.
  Dataset again = Dataset::open(out, "changed text\n", "smoke", kHash);
  EXPECT_EQ(again.finished_ids(), (std::set<std::string>{"r1", "r2"}));
  EXPECT_EQ(slurp(out + "/study.toml"), kToml);
  EXPECT_TRUE(again.warnings().empty());
  // A rerun of a run replaces its files: still one record, and its old CSV files are gone.
  again.write_run(make_record("r1", "failed"), CsvTable{}, CsvTable{});
  EXPECT_EQ(again.finished_ids(false), std::set<std::string>{});
  EXPECT_FALSE(fs::exists(out + "/requests/r1.csv"));
  EXPECT_FALSE(fs::exists(out + "/timelines/r1.csv"));
}

TEST(Dataset, OneWriterAtATime) {
  TempDir tmp;
  Dataset ds = Dataset::open(tmp.file("out"), kToml, "smoke", kHash);
  try {
    Dataset::open(tmp.file("out"), kToml, "smoke", kHash);
    FAIL() << "a second writer was let in";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("in use by another wattserve bench process"));
  }
  Dataset moved = std::move(ds);
  EXPECT_EQ(moved.study_hash(), kHash);
}

TEST(Dataset, RefusesAnotherStudy) {
  TempDir tmp;
  const std::string out = tmp.file("out");
  { Dataset::open(out, kToml, "smoke", kHash).write_run(make_record("r1"), {}, {}); }
  try {
    Dataset::open(out, kToml, "engines", kOtherHash);
    FAIL() << "opened a dataset of another study";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(out));
    EXPECT_THAT(e.what(), HasSubstr("study 'smoke' (hash " + kHash + ")"));
    EXPECT_THAT(e.what(), HasSubstr("study 'engines' (hash " + kOtherHash + ")"));
  }
  EXPECT_EQ(json::parse(slurp(out + "/study.json"))["hash"], kHash);  // untouched

  // A folder with other things in it and no study.json is not made a dataset.
  spit(tmp.file("home/notes.txt"), "mine\n");
  try {
    Dataset::open(tmp.file("home"), kToml, "smoke", kHash);
    FAIL() << "opened a folder that is not a dataset";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("not a wattserve bench dataset"));
    EXPECT_THAT(e.what(), HasSubstr("notes.txt"));
  }
  EXPECT_FALSE(fs::exists(tmp.file("home/study.json")));

  // A study.json that is not one is an error, not a new dataset.
  spit(tmp.file("bad/study.json"), "{\"half\": ");
  EXPECT_THROW(Dataset::open(tmp.file("bad"), kToml, "smoke", kHash), std::runtime_error);
}

TEST(Dataset, RejectsBadRecords) {
  TempDir tmp;
  Dataset ds = Dataset::open(tmp.file("out"), kToml, "smoke", kHash);
  EXPECT_THROW(ds.write_run(make_record("../escape"), {}, {}), std::invalid_argument);
  EXPECT_THROW(ds.write_run(make_record(".hidden"), {}, {}), std::invalid_argument);
  EXPECT_THROW(ds.write_run(make_record("r1", "ok", "llama", 16, false, 0, kOtherHash), {}, {}),
               std::invalid_argument);
  CsvTable ragged;
  ragged.header = {"a", "b"};
  ragged.rows.push_back({"1"});
  EXPECT_THROW(ds.write_run(make_record("r2"), ragged, {}), std::invalid_argument);
  EXPECT_TRUE(dir_names(tmp.path() / "out" / "runs").empty());
  EXPECT_TRUE(dir_names(tmp.path() / "out" / "requests").empty());
}

TEST(Dataset, IgnoresHalfWrittenAndForeignFiles) {
  TempDir tmp;
  const std::string out = tmp.file("out");
  { Dataset::open(out, kToml, "smoke", kHash).write_run(make_record("good"), requests_of(1), {}); }
  // What a killed writer or a careless hand can leave behind.
  spit(out + "/runs/half.json", "{\"run_id\": \"half\", \"sta");
  spit(out + "/runs/garbage.json", "\x01\x02 not json");
  spit(out + "/runs/renamed.json", make_record("other").dump());
  spit(out + "/runs/foreign.json",
       make_record("foreign", "ok", "llama", 16, false, 0, kOtherHash).dump());
  spit(out + "/runs/.x.json.tmp.12345", "{\"run_id\"");
  spit(out + "/requests/.y.csv.tmp.999", "a,b\n1,");
  spit(out + "/requests/orphan.csv", "a\n1\n");  // killed before its record
  spit(out + "/timelines/orphan.csv", "t_s\n0\n");
  spit(out + "/.runs.csv.tmp.7", "run_id\n");

  Dataset ds = Dataset::open(out, kToml, "smoke", kHash);
  EXPECT_EQ(ds.finished_ids(), std::set<std::string>{"good"});
  EXPECT_FALSE(fs::exists(out + "/runs/.x.json.tmp.12345"));
  EXPECT_FALSE(fs::exists(out + "/requests/.y.csv.tmp.999"));
  EXPECT_FALSE(fs::exists(out + "/.runs.csv.tmp.7"));
  EXPECT_FALSE(fs::exists(out + "/requests/orphan.csv"));
  EXPECT_FALSE(fs::exists(out + "/timelines/orphan.csv"));
  EXPECT_TRUE(fs::exists(out + "/requests/good.csv"));
  std::string all;
  for (const auto& w : ds.warnings()) all += w + "\n";
  EXPECT_THAT(all, HasSubstr("half.json: not valid JSON"));
  EXPECT_THAT(all, HasSubstr("garbage.json: not valid JSON"));
  EXPECT_THAT(all, HasSubstr("renamed.json: its run_id is not its file name"));
  EXPECT_THAT(all, HasSubstr("foreign.json: a record of another study"));
  EXPECT_THAT(all, HasSubstr("orphan.csv"));

  // Running the half-written run again replaces its file with a whole record.
  ds.write_run(make_record("half"), {}, {});
  EXPECT_EQ(ds.finished_ids(), (std::set<std::string>{"good", "half"}));
  ds.rebuild_tables();
  EXPECT_EQ(lines(slurp(out + "/runs.csv")).size(), 3u);  // header + good + half
}

// A writer killed (SIGKILL) at random moments: every record that exists is whole, no temporary
// file survives the next open(), and each run has at most one record.
TEST(Dataset, KillNineLeavesWholeRecordsOnly) {
  TempDir tmp;
  const std::string out = tmp.file("out");
  { Dataset::open(out, kToml, "smoke", kHash); }
  std::mt19937 rng(7);
  std::set<std::string> done;
  for (int round = 0; round < 12; ++round) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        Dataset ds = Dataset::open(out, kToml, "smoke", kHash);
        const auto finished = ds.finished_ids();
        for (int i = 0; i < 200; ++i) {
          const std::string id = "run" + std::to_string(i);
          if (finished.count(id)) continue;
          ds.write_run(make_record(id), requests_of(50), timeline_of());
          ds.rebuild_tables();
        }
      } catch (...) {
        ::_exit(3);
      }
      ::_exit(0);
    }
    ::usleep(std::uniform_int_distribution<unsigned>(1000, 60000)(rng));
    ::kill(pid, SIGKILL);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    if (WIFEXITED(wstatus)) {
      ASSERT_EQ(WEXITSTATUS(wstatus), 0);
    }

    Dataset ds = Dataset::open(out, kToml, "smoke", kHash);
    for (const auto& w : ds.warnings()) EXPECT_THAT(w, ::testing::Not(HasSubstr("ignored"))) << w;
    const auto ids = ds.finished_ids();
    for (const auto& id : done) EXPECT_TRUE(ids.count(id)) << id << " lost";
    for (const auto& name : dir_names(tmp.path() / "out" / "runs")) {
      ASSERT_NE(name[0], '.') << name;
      json j = json::parse(slurp(out + "/runs/" + name));  // whole
      EXPECT_EQ(j["run_id"].get<std::string>() + ".json", name);
    }
    for (const char* sub : {"requests", "timelines"}) {
      for (const auto& name : dir_names(tmp.path() / "out" / sub)) {
        ASSERT_NE(name[0], '.') << name;
        EXPECT_TRUE(ids.count(name.substr(0, name.size() - 4))) << name << " has no record";
      }
    }
    done = ids;
  }
  EXPECT_FALSE(done.empty());
  RecordProperty("records_after_kills", static_cast<int>(done.size()));
}

TEST(DatasetTables, RunsCsvColumnsAndRows) {
  json a = make_record("a", "ok", "llama", 16, false, 1);
  json b = make_record("b", "failed", "onnx", 32, false, 0);
  b["metrics"]["accuracy"] = 0.9;  // a column only one run has
  b["error"] = "line one, with \"quotes\"\nline two";
  CsvTable t = runs_table({b, a});
  ASSERT_GE(t.header.size(), 6u);
  EXPECT_EQ(
      std::vector<std::string>(t.header.begin(), t.header.begin() + 6),
      (std::vector<std::string>{"run_id", "status", "warmup", "repeat", "config_index", "order"}));
  EXPECT_EQ(t.header.back(), "error");
  // Configuration, then metrics, then energy and carbon.
  const size_t engine = column(t.header, "config.model.engine");
  const size_t max_tokens = column(t.header, "config.sampling.max_tokens");
  const size_t prompts = column(t.header, "config.workload.prompts");
  const size_t jpt = column(t.header, "metrics.j_per_output_token");
  const size_t acc = column(t.header, "metrics.accuracy");
  const size_t joules = column(t.header, "energy.joules");
  const size_t pkg = column(t.header, "energy.domains.rapl:package-0.joules");
  const size_t co2 = column(t.header, "carbon.emissions_kg");
  const size_t cpu = column(t.header, "machine.cpu_model");
  EXPECT_LT(engine, jpt);
  EXPECT_LT(max_tokens, jpt);
  EXPECT_LT(prompts, jpt);
  EXPECT_LT(jpt, joules);
  EXPECT_LT(joules, co2);
  EXPECT_LT(co2, cpu);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0][0], "b");  // the order given
  EXPECT_EQ(t.rows[0][1], "failed");
  EXPECT_EQ(t.rows[0][2], "false");
  EXPECT_EQ(t.rows[0][engine], "onnx");
  EXPECT_EQ(t.rows[0][max_tokens], "32");
  EXPECT_EQ(t.rows[0][acc], "0.9");
  EXPECT_EQ(t.rows[1][acc], "");
  EXPECT_EQ(t.rows[1][joules], "36000");
  EXPECT_EQ(t.rows[1][pkg], "27000");
  EXPECT_EQ(t.rows[1][co2], "0.0005");
  EXPECT_EQ(t.rows[1][cpu], "Test CPU 9000");
  EXPECT_EQ(t.rows[0].back(), "line one, with \"quotes\"\nline two");
  EXPECT_EQ(t.rows[1].back(), "");
  // The same records in another order give the same columns.
  EXPECT_EQ(runs_table({a, b}).header, t.header);
}

TEST(DatasetTables, RebuildWritesTheThreeTablesInRunOrder) {
  TempDir tmp;
  const std::string out = tmp.file("out");
  Dataset ds = Dataset::open(out, kToml, "smoke", kHash);
  ds.write_run(make_record("zz", "ok", "llama", 16, false, 0), {}, {});
  ds.write_run(make_record("aa", "ok", "onnx", 16, false, 2), {}, {});
  ds.write_run(make_record("mm", "ok", "llama", 32, true, 1), {}, {});       // warm-up
  ds.write_run(make_record("ff", "failed", "llama", 16, false, 3), {}, {});  // failed
  ds.rebuild_tables();

  const auto runs = lines(slurp(out + "/runs.csv"));
  ASSERT_EQ(runs.size(), 5u);
  EXPECT_EQ(split(runs[1])[0], "zz");
  EXPECT_EQ(split(runs[2])[0], "mm");
  EXPECT_EQ(split(runs[3])[0], "aa");
  EXPECT_EQ(split(runs[4])[0], "ff");

  const auto emissions = lines(slurp(out + "/emissions.csv"));
  ASSERT_EQ(emissions.size(), 5u);
  EXPECT_EQ(emissions[0], energy::csv_row(energy::codecarbon_columns()));
  const auto header = split(emissions[0]);
  const auto row = split(emissions[1]);
  ASSERT_EQ(row.size(), header.size());
  EXPECT_EQ(row[column(header, "run_id")], "zz");
  EXPECT_EQ(row[column(header, "project_name")], "smoke");
  EXPECT_EQ(row[column(header, "experiment_id")], kHash);
  EXPECT_EQ(row[column(header, "timestamp")], "2024-05-01T12:00:10");
  EXPECT_EQ(row[column(header, "duration")], "10");
  EXPECT_EQ(row[column(header, "emissions")], "0.0005");
  // Counted domains only: package 27 kJ + dram 9 kJ = 0.01 kWh (the core domain is inside).
  EXPECT_DOUBLE_EQ(std::stod(row[column(header, "energy_consumed")]), 0.01);
  EXPECT_DOUBLE_EQ(std::stod(row[column(header, "cpu_energy")]), 0.0075);
  EXPECT_DOUBLE_EQ(std::stod(row[column(header, "ram_energy")]), 0.0025);
  EXPECT_EQ(row[column(header, "cpu_power")], "2700");
  EXPECT_EQ(row[column(header, "cpu_model")], "Test CPU 9000");
  EXPECT_EQ(row[column(header, "country_iso_code")], "FRA");
  EXPECT_EQ(row[column(header, "codecarbon_version")], "wattserve-0.1.0");

  const json index = json::parse(slurp(out + "/index.json"));
  EXPECT_EQ(index["schema"], "wattserve.bench-index");
  EXPECT_EQ(index["study"]["hash"], kHash);
  EXPECT_EQ(index["levels"], json({"hardware", "model", "sampling", "use_case"}));
  const json& by_model = index["runs"]["Test CPU 9000"];
  const std::string sampling = "max_tokens=16, temperature=0";
  EXPECT_EQ(by_model["pycode-tiny (llama, cpu)"][sampling]["pycode-completion"], json({"zz"}));
  EXPECT_EQ(by_model["pycode-tiny (onnx, cpu)"][sampling]["pycode-completion"], json({"aa"}));
  EXPECT_EQ(by_model.size(), 2u);  // the warm-up and the failed run are not indexed
  EXPECT_EQ(by_model["pycode-tiny (llama, cpu)"].size(), 1u);
}

TEST(DatasetTables, IndexKeys) {
  json r = make_record("a");
  r["machine"]["gpu_count"] = 1;
  r["machine"]["gpu_model"] = "1 x NVIDIA H100";
  r["config"]["model"]["quant"] = "q8_0";
  r["config"]["sampling"]["seed"] = nullptr;
  EXPECT_EQ(index_hardware_key(r), "Test CPU 9000 + 1 x NVIDIA H100");
  EXPECT_EQ(index_model_key(r), "pycode-tiny (llama, cpu, q8_0)");
  EXPECT_EQ(index_sampling_key(r), "max_tokens=16, seed=null, temperature=0");
  EXPECT_EQ(index_use_case_key(r), "pycode-completion");
  EXPECT_EQ(index_hardware_key(json::object()), "unknown");
  EXPECT_EQ(index_model_key(json::object()), "unknown");
}

// Two shards with one run in both (run again after a lost node, say).
void make_shards(const TempDir& tmp) {
  Dataset a = Dataset::open(tmp.file("a"), kToml, "smoke", kHash);
  a.write_run(make_record("r1", "ok", "llama", 16, false, 0), requests_of(2), timeline_of());
  a.write_run(make_record("r2", "failed", "onnx", 16, false, 1), {}, {});
  a.rebuild_tables();
  Dataset b = Dataset::open(tmp.file("b"), kToml, "smoke", kHash);
  b.write_run(make_record("r2", "ok", "onnx", 16, false, 1), requests_of(3), {});
  b.write_run(make_record("r3", "ok", "llama", 32, false, 2), {}, timeline_of());
}

TEST(DatasetMerge, UnionWithDuplicatesKeptOnce) {
  TempDir tmp;
  make_shards(tmp);
  const std::string out = tmp.file("merged");
  MergeResult m = merge({tmp.file("a"), tmp.file("b")}, out);
  EXPECT_EQ(m.inputs, 2u);
  EXPECT_EQ(m.duplicates, 1u);
  EXPECT_EQ(m.records, 3u);
  EXPECT_EQ(m.copied, 4u);  // r1, r2 (failed), r2 (ok replaces it), r3
  EXPECT_EQ(m.study_hash, kHash);
  EXPECT_THAT(m.text(), HasSubstr("3 records"));
  EXPECT_THAT(m.text(), HasSubstr("1 run id found more than once"));
  EXPECT_EQ(m.to_json()["duplicates"], 1);

  Dataset ds = Dataset::open(out, "", "smoke", kHash);
  EXPECT_EQ(ds.finished_ids(false), (std::set<std::string>{"r1", "r2", "r3"}));
  EXPECT_EQ(slurp(out + "/study.toml"), kToml);
  EXPECT_EQ(slurp(out + "/runs/r1.json"), slurp(tmp.file("a/runs/r1.json")));
  EXPECT_EQ(slurp(out + "/runs/r2.json"), slurp(tmp.file("b/runs/r2.json")));  // the ok one
  EXPECT_EQ(slurp(out + "/requests/r1.csv"), slurp(tmp.file("a/requests/r1.csv")));
  EXPECT_EQ(slurp(out + "/requests/r2.csv"), slurp(tmp.file("b/requests/r2.csv")));
  EXPECT_EQ(slurp(out + "/timelines/r3.csv"), slurp(tmp.file("b/timelines/r3.csv")));
  EXPECT_FALSE(fs::exists(out + "/timelines/r2.csv"));
  EXPECT_EQ(lines(slurp(out + "/runs.csv")).size(), 4u);
  EXPECT_EQ(lines(slurp(out + "/emissions.csv")).size(), 4u);
  EXPECT_TRUE(fs::exists(out + "/index.json"));
}

TEST(DatasetMerge, AgainIsIdempotentAndIntoAnInputIsAllowed) {
  TempDir tmp;
  make_shards(tmp);
  const std::string out = tmp.file("merged");
  merge({tmp.file("a"), tmp.file("b")}, out);
  MergeResult again = merge({tmp.file("a"), tmp.file("b")}, out);
  EXPECT_EQ(again.records, 3u);
  EXPECT_EQ(again.copied, 0u);
  EXPECT_EQ(again.duplicates, 4u);
  // Into the first shard itself.
  MergeResult into_a = merge({tmp.file("a"), tmp.file("b")}, tmp.file("a"));
  EXPECT_EQ(into_a.records, 3u);
}

TEST(DatasetMerge, RefusesAnotherStudy) {
  TempDir tmp;
  make_shards(tmp);
  {
    Dataset::open(tmp.file("c"), kToml, "engines", kOtherHash)
        .write_run(make_record("x", "ok", "llama", 16, false, 0, kOtherHash), {}, {});
  }
  const std::string out = tmp.file("merged");
  try {
    merge({tmp.file("a"), tmp.file("c")}, out);
    FAIL() << "merged another study";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(tmp.file("c")));
    EXPECT_THAT(e.what(), HasSubstr(kHash));
    EXPECT_THAT(e.what(), HasSubstr(kOtherHash));
  }
  EXPECT_FALSE(fs::exists(out));  // nothing written

  // Into an output of another study.
  EXPECT_THROW(merge({tmp.file("a")}, tmp.file("c")), std::runtime_error);

  // A record of another study inside a shard of this one.
  spit(tmp.file("b/runs/y.json"), make_record("y", "ok", "llama", 16, false, 0, kOtherHash).dump());
  try {
    merge({tmp.file("a"), tmp.file("b")}, out);
    FAIL() << "merged a record of another study";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("y.json"));
    EXPECT_THAT(e.what(), HasSubstr(kOtherHash));
  }
  EXPECT_FALSE(fs::exists(out));

  // Not a dataset at all.
  fs::create_directories(tmp.file("empty"));
  EXPECT_THROW(merge({tmp.file("empty")}, out), std::runtime_error);
  EXPECT_THROW(merge({tmp.file("missing")}, out), std::runtime_error);
  EXPECT_THROW(merge({}, out), std::invalid_argument);
}

TEST(DatasetStatus, CountsDoneFailedRemainingPerLevel) {
  TempDir tmp;
  const std::string out = tmp.file("out");
  std::vector<PlanEntry> plan = {
      {"w1", {{"engine", "llama"}, {"max_tokens", 16}}, true},
      {"r1", {{"engine", "llama"}, {"max_tokens", 16}}, false},
      {"r2", {{"engine", "onnx"}, {"max_tokens", 16}}, false},
      {"r3", {{"engine", "llama"}, {"max_tokens", 128}}, false},
      {"r4", {{"engine", "onnx"}, {"max_tokens", 128}}, false},
  };
  // Before anything ran.
  StatusReport none = status(out, plan, kHash);
  EXPECT_EQ(none.runs.planned, 5u);
  EXPECT_EQ(none.runs.remaining, 5u);
  EXPECT_THAT(none.text(), HasSubstr("no runs recorded yet"));

  {
    Dataset ds = Dataset::open(out, kToml, "smoke", kHash);
    ds.write_run(make_record("w1", "ok", "llama", 16, true), {}, {});
    ds.write_run(make_record("r1"), {}, {});
    ds.write_run(make_record("r2", "failed", "onnx"), {}, {});
    ds.write_run(make_record("old"), {}, {});  // not in this plan
  }
  StatusReport rep = status(out, plan, kHash);
  EXPECT_EQ(rep.study_name, "smoke");
  EXPECT_EQ(rep.runs.planned, 5u);
  EXPECT_EQ(rep.runs.done, 2u);
  EXPECT_EQ(rep.runs.failed, 1u);
  EXPECT_EQ(rep.runs.remaining, 2u);
  EXPECT_EQ(rep.warmups.planned, 1u);
  EXPECT_EQ(rep.warmups.done, 1u);
  EXPECT_EQ(rep.unplanned, std::vector<std::string>{"old"});
  ASSERT_EQ(rep.levels.size(), 4u);
  EXPECT_EQ(rep.levels[0].factor, "engine");
  EXPECT_EQ(rep.levels[0].level, "llama");
  EXPECT_EQ(rep.levels[0].counts.planned, 3u);
  EXPECT_EQ(rep.levels[0].counts.done, 2u);
  EXPECT_EQ(rep.levels[0].counts.remaining, 1u);
  EXPECT_EQ(rep.levels[1].level, "onnx");
  EXPECT_EQ(rep.levels[1].counts.failed, 1u);
  EXPECT_EQ(rep.levels[1].counts.remaining, 1u);
  EXPECT_EQ(rep.levels[2].factor, "max_tokens");
  EXPECT_EQ(rep.levels[2].level, 16);  // numeric levels in numeric order
  EXPECT_EQ(rep.levels[3].level, 128);
  EXPECT_EQ(rep.levels[2].counts.done, 2u);
  EXPECT_EQ(rep.levels[3].counts.remaining, 2u);

  const std::string text = rep.text();
  EXPECT_THAT(text, HasSubstr("runs: 5 planned, 2 done, 1 failed, 2 remaining"));
  EXPECT_THAT(text, HasSubstr("warm-ups: 1 planned, 1 done"));
  EXPECT_THAT(text, HasSubstr("by factor level:"));
  EXPECT_THAT(text, ::testing::ContainsRegex("engine = onnx +2 +0 +1 +1[^0-9]"));
  EXPECT_THAT(text, HasSubstr("1 record not in this plan"));
  const json j = rep.to_json();
  EXPECT_EQ(j["runs"]["remaining"], 2);
  EXPECT_EQ(j["study"]["hash"], kHash);
  EXPECT_EQ(j["factors"]["max_tokens"][1]["level"], 128);
  EXPECT_EQ(j["factors"]["max_tokens"][1]["remaining"], 2);

  EXPECT_THROW(status(out, plan, kOtherHash), std::runtime_error);
}

TEST(DatasetSummary, FromRecordIsCodeCarbonsView) {
  json r = make_record("a");
  r["ended_at"] = "2024-05-01T14:00:10+02:00";
  energy::RunSummary s = summary_from_record(r);
  EXPECT_EQ(s.run_id, "a");
  EXPECT_EQ(s.project_name, "smoke");
  EXPECT_EQ(s.window.domains.size(), 3u);
  EXPECT_EQ(energy::iso8601_utc(s.end_wall_ns, false), "2024-05-01T12:00:10Z");
  EXPECT_DOUBLE_EQ(s.emissions_kg, 0.0005);
  EXPECT_EQ(s.machine.cpu_count, 8);
}

}  // namespace
}  // namespace wattserve::bench
