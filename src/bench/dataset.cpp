#include "bench/dataset.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>

#include "energy/core/atomic_file.h"
#include "energy/exporters/codecarbon_csv.h"
#include "energy/exporters/output_format.h"

namespace wattserve::bench {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kDatasetSchema = "wattserve.bench-dataset";
constexpr const char* kIndexSchema = "wattserve.bench-index";

std::string join(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
}

std::string dump(const json& j, int indent = -1) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

// The study a dataset folder belongs to, from its study.json.
struct StudyId {
  std::string name, hash;
};

// Reads DIR/study.json; nullopt when it does not exist. Throws when it cannot be read or is not
// a study.json.
std::optional<StudyId> read_study_json(const std::string& dir) {
  const std::string path = join(dir, "study.json");
  std::string text;
  if (!energy::read_file_if_exists(path, &text)) return std::nullopt;
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("hash") || !j["hash"].is_string()) {
    throw std::runtime_error(
        fmt::format("{}: not a wattserve bench study.json (no study hash); is {} a bench "
                    "dataset?",
                    path, dir));
  }
  StudyId id;
  id.hash = j["hash"].get<std::string>();
  if (j.contains("name") && j["name"].is_string()) id.name = j["name"].get<std::string>();
  return id;
}

std::string describe(const std::string& name, const std::string& hash) {
  return fmt::format("study '{}' (hash {})", name, hash);
}

[[noreturn]] void refuse_other_study(const std::string& dir, const StudyId& held,
                                     const std::string& name, const std::string& hash) {
  throw std::runtime_error(fmt::format(
      "{} holds the dataset of {}, not of {}; use another output folder (or the study it holds)",
      dir, describe(held.name, held.hash), describe(name, hash)));
}

bool valid_run_id(const std::string& id) {
  if (id.empty() || id.size() > 200 || id[0] == '.') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// A temporary file of write_file_atomic(): ".<name>.tmp.<number>".
bool is_temp_file(const std::string& name) {
  return name.size() > 1 && name[0] == '.' && name.find(".tmp.") != std::string::npos;
}

std::string str_field(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : csv_cell(*it);
}

const json& sub(const json& obj, const char* key) {
  static const json null_value;
  if (!obj.is_object()) return null_value;
  auto it = obj.find(key);
  return it == obj.end() ? null_value : *it;
}

double num_field(const json& obj, const char* key, double fallback = 0) {
  const json& v = sub(obj, key);
  return v.is_number() ? v.get<double>() : fallback;
}

// ---- Records on disk ----

struct Record {
  std::string id;
  std::string path;
  json value;
};

struct Scan {
  std::vector<Record> records;       // valid, of this study; in row order
  std::vector<std::string> ignored;  // "<path>: why"
  // Records that parse and name their run, but of another study hash: (path, hash).
  std::vector<std::pair<std::string, std::string>> foreign;
};

double order_of(const json& record) {
  const json& o = sub(record, "order");
  return o.is_number() ? o.get<double>() : std::numeric_limits<double>::infinity();
}

void sort_rows(std::vector<Record>& records) {
  std::sort(records.begin(), records.end(), [](const Record& a, const Record& b) {
    const double oa = order_of(a.value), ob = order_of(b.value);
    if (oa != ob) return oa < ob;
    return a.id < b.id;
  });
}

std::vector<std::string> sorted_entries(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

Scan scan_records(const std::string& dir, const std::string& hash) {
  Scan scan;
  const std::string runs = join(dir, "runs");
  for (const auto& name : sorted_entries(runs)) {
    if (name.empty() || name[0] == '.') continue;  // temporary files
    const std::string path = join(runs, name);
    if (name.size() <= 5 || name.substr(name.size() - 5) != ".json") {
      scan.ignored.push_back(path + ": not a run record (*.json)");
      continue;
    }
    const std::string id = name.substr(0, name.size() - 5);
    std::string text;
    try {
      if (!energy::read_file_if_exists(path, &text)) continue;  // removed meanwhile
    } catch (const std::exception& e) {
      scan.ignored.push_back(std::string(e.what()));
      continue;
    }
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      scan.ignored.push_back(path + ": not valid JSON (an unfinished or damaged record)");
      continue;
    }
    if (str_field(j, "run_id") != id) {
      scan.ignored.push_back(path + ": its run_id is not its file name");
      continue;
    }
    const std::string record_hash = str_field(sub(j, "study"), "hash");
    if (record_hash != hash) {
      scan.ignored.push_back(fmt::format("{}: a record of another study (hash {}, not {})", path,
                                         record_hash.empty() ? "missing" : record_hash, hash));
      scan.foreign.emplace_back(path, record_hash);
      continue;
    }
    if (!sub(j, "status").is_string()) {
      scan.ignored.push_back(path + ": no status");
      continue;
    }
    scan.records.push_back({id, path, std::move(j)});
  }
  sort_rows(scan.records);
  return scan;
}

std::vector<json> values(const std::vector<Record>& records) {
  std::vector<json> out;
  out.reserve(records.size());
  for (const auto& r : records) out.push_back(r.value);
  return out;
}

// Writes (or, for nullopt, removes) one CSV file of a run.
void put_csv(const std::string& path, const std::optional<std::string>& text) {
  if (text) {
    energy::write_file_atomic(path, *text);
  } else {
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) throw std::runtime_error(fmt::format("{}: cannot remove: {}", path, ec.message()));
  }
}

// A run's files, CSV files first and the record last.
void put_run(const std::string& dir, const std::string& id, const std::optional<std::string>& req,
             const std::optional<std::string>& timeline, const std::string& record_text) {
  put_csv(join(join(dir, "requests"), id + ".csv"), req);
  put_csv(join(join(dir, "timelines"), id + ".csv"), timeline);
  energy::write_file_atomic(join(join(dir, "runs"), id + ".json"), record_text);
}

// ---- Flattening ----

void flatten(const json& v, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) flatten(*it, prefix + "." + it.key(), out);
    return;
  }
  out[prefix] = csv_cell(v);
}

// ---- Timestamps ----

std::optional<energy::DomainKind> parse_kind(const std::string& s) {
  using energy::DomainKind;
  for (DomainKind k :
       {DomainKind::kCpuPackage, DomainKind::kCpuCore, DomainKind::kCpuUncore, DomainKind::kDram,
        DomainKind::kPsys, DomainKind::kGpu, DomainKind::kSystem}) {
    if (energy::to_string(k) == s) return k;
  }
  return std::nullopt;
}

energy::Source parse_source(const std::string& s) {
  using energy::Source;
  for (Source k : {Source::kCounter, Source::kPower, Source::kEstimate}) {
    if (energy::to_string(k) == s) return k;
  }
  return Source::kEstimate;
}

std::string or_unknown(std::string s) {
  return s.empty() ? "unknown" : s;
}

}  // namespace

// ---- CsvTable ----

std::string csv_cell(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      return "";
    case json::value_t::string:
      return v.get<std::string>();
    case json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
      return std::to_string(v.get<int64_t>());
    case json::value_t::number_unsigned:
      return std::to_string(v.get<uint64_t>());
    case json::value_t::number_float:
      return energy::format_double(v.get<double>());
    default:
      return dump(v);
  }
}

void CsvTable::add(const std::vector<json>& values) {
  std::vector<std::string> row;
  row.reserve(values.size());
  for (const auto& v : values) row.push_back(csv_cell(v));
  rows.push_back(std::move(row));
}

std::string CsvTable::text() const {
  if (header.empty()) return "";
  std::string out = energy::csv_row(header) + "\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].size() != header.size()) {
      throw std::invalid_argument(fmt::format("CSV row {} has {} cells, the header {}", i + 1,
                                              rows[i].size(), header.size()));
    }
    out += energy::csv_row(rows[i]);
    out += '\n';
  }
  return out;
}

// ---- Dataset ----

Dataset::Dataset(Dataset&& other) noexcept
    : dir_(std::move(other.dir_)),
      name_(std::move(other.name_)),
      hash_(std::move(other.hash_)),
      lock_fd_(std::exchange(other.lock_fd_, -1)),
      cleaned_(std::move(other.cleaned_)) {}

Dataset& Dataset::operator=(Dataset&& other) noexcept {
  if (this != &other) {
    if (lock_fd_ >= 0) ::close(lock_fd_);
    dir_ = std::move(other.dir_);
    name_ = std::move(other.name_);
    hash_ = std::move(other.hash_);
    lock_fd_ = std::exchange(other.lock_fd_, -1);
    cleaned_ = std::move(other.cleaned_);
  }
  return *this;
}

Dataset::~Dataset() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Dataset Dataset::open(const std::string& dir, const std::string& study_toml,
                      const std::string& study_name, const std::string& study_hash) {
  if (study_hash.empty()) throw std::invalid_argument("Dataset::open: empty study hash");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    throw std::runtime_error(fmt::format("{}: cannot create the output folder: {}", dir,
                                         ec ? ec.message() : "not a directory"));
  }
  auto held = read_study_json(dir);
  if (held && held->hash != study_hash) refuse_other_study(dir, *held, study_name, study_hash);
  if (!held) {
    static const std::set<std::string> own = {
        "study.toml",    "study.json", "runs",  "requests", "timelines",  "runs.csv",
        "emissions.csv", "index.json", ".lock", "logs",     "carbon.json"};
    for (const auto& name : sorted_entries(dir)) {
      if (own.count(name) == 0 && !is_temp_file(name)) {
        throw std::runtime_error(fmt::format(
            "{}: not empty and not a wattserve bench dataset (no study.json; it holds '{}'); "
            "choose a new or empty output folder",
            dir, name));
      }
    }
  }

  Dataset ds;
  ds.dir_ = dir;
  ds.name_ = study_name;
  ds.hash_ = study_hash;
  const std::string lock_path = join(dir, ".lock");
  ds.lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (ds.lock_fd_ < 0) {
    throw std::runtime_error(fmt::format("{}: cannot open: {}", lock_path, std::strerror(errno)));
  }
  if (::flock(ds.lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      throw std::runtime_error(fmt::format(
          "{} is in use by another wattserve bench process (it holds {}); give each process "
          "its own output folder (e.g. one per shard) and merge them with `wattserve bench merge`",
          dir, lock_path));
    }
    // A filesystem without locks (ENOLCK, EOPNOTSUPP): go on without one.
    if (err != ENOLCK && err != EOPNOTSUPP && err != EINVAL) {
      throw std::runtime_error(fmt::format("{}: cannot lock: {}", lock_path, std::strerror(err)));
    }
  }
  // Under the lock: check again (another process may have created the dataset meanwhile).
  held = read_study_json(dir);
  if (held && held->hash != study_hash) refuse_other_study(dir, *held, study_name, study_hash);

  // study.toml first, study.json (the dataset's identity) last.
  // Without study.json the dataset is not established yet: a study.toml there may be another
  // study's, left by a writer killed before it wrote study.json.
  const std::string toml_path = join(dir, "study.toml");
  if (!held || !fs::exists(toml_path)) energy::write_file_atomic(toml_path, study_toml);
  if (!held) {
    json study = {{"schema", kDatasetSchema},
                  {"schema_version", 1},
                  {"name", study_name},
                  {"hash", study_hash}};
    energy::write_file_atomic(join(dir, "study.json"), dump(study, 2) + "\n");
  }
  for (const char* sub_dir : {"runs", "requests", "timelines"}) {
    fs::create_directories(join(dir, sub_dir), ec);
    if (ec) {
      throw std::runtime_error(
          fmt::format("{}: cannot create: {}", join(dir, sub_dir), ec.message()));
    }
  }

  // Clean up after a killed writer: temporary files, and CSV files of runs without a record.
  for (const char* sub_dir : {"", "runs", "requests", "timelines"}) {
    const std::string folder = *sub_dir ? join(dir, sub_dir) : dir;
    for (const auto& name : sorted_entries(folder)) {
      if (!is_temp_file(name)) continue;
      fs::remove(join(folder, name), ec);
      if (!ec) ds.cleaned_.push_back("removed an unfinished temporary file " + join(folder, name));
    }
  }
  for (const char* sub_dir : {"requests", "timelines"}) {
    const std::string folder = join(dir, sub_dir);
    for (const auto& name : sorted_entries(folder)) {
      if (name.size() <= 4 || name.substr(name.size() - 4) != ".csv") continue;
      const std::string id = name.substr(0, name.size() - 4);
      if (fs::exists(ds.record_path(id))) continue;
      fs::remove(join(folder, name), ec);
      if (!ec) {
        ds.cleaned_.push_back("removed " + join(folder, name) +
                              " (its run has no record: it did not finish)");
      }
    }
  }
  return ds;
}

std::string Dataset::record_path(const std::string& run_id) const {
  return join(join(dir_, "runs"), run_id + ".json");
}
std::string Dataset::requests_path(const std::string& run_id) const {
  return join(join(dir_, "requests"), run_id + ".csv");
}
std::string Dataset::timeline_path(const std::string& run_id) const {
  return join(join(dir_, "timelines"), run_id + ".csv");
}

std::set<std::string> Dataset::finished_ids(bool include_failed) const {
  std::set<std::string> ids;
  for (const auto& r : scan_records(dir_, hash_).records) {
    if (include_failed || str_field(r.value, "status") == "ok") ids.insert(r.id);
  }
  return ids;
}

std::vector<std::string> Dataset::warnings() const {
  std::vector<std::string> out = cleaned_;
  for (auto& w : scan_records(dir_, hash_).ignored) out.push_back("ignored " + w);
  return out;
}

void Dataset::write_run(const json& record, const CsvTable& requests, const CsvTable& timeline) {
  if (!record.is_object()) throw std::invalid_argument("run record: not a JSON object");
  const std::string id = str_field(record, "run_id");
  if (!valid_run_id(id)) {
    throw std::invalid_argument(fmt::format(
        "run record: run_id '{}' is not a file name of [A-Za-z0-9._-] (not starting with '.')",
        id));
  }
  const std::string record_hash = str_field(sub(record, "study"), "hash");
  if (record_hash != hash_) {
    throw std::invalid_argument(fmt::format(
        "run record {}: study.hash '{}' is not the dataset's {}", id, record_hash, hash_));
  }
  if (!sub(record, "status").is_string()) {
    throw std::invalid_argument(fmt::format("run record {}: no status", id));
  }
  // Texts first: a malformed table throws before anything is written.
  std::optional<std::string> req, tl;
  if (!requests.empty()) req = requests.text();
  if (!timeline.empty()) tl = timeline.text();
  put_run(dir_, id, req, tl, dump(record, 2) + "\n");
}

void Dataset::rebuild_tables() {
  const std::vector<json> records = values(scan_records(dir_, hash_).records);
  energy::write_file_atomic(join(dir_, "runs.csv"), runs_table(records).text());
  energy::write_file_atomic(join(dir_, "emissions.csv"), emissions_table(records).text());
  energy::write_file_atomic(join(dir_, "index.json"),
                            dump(index_json(records, name_, hash_), 2) + "\n");
}

// ---- Tables ----

CsvTable runs_table(const std::vector<json>& records) {
  static const std::vector<std::string> lead = {"run_id", "repeat", "config_index", "order"};
  static const std::vector<std::string> tail = {"started_at", "ended_at", "duration_s", "error"};
  static const std::vector<std::string> groups = {"config", "metrics", "timings", "energy",
                                                  "carbon", "machine", "software"};
  std::vector<std::map<std::string, std::string>> rows;
  std::vector<std::set<std::string>> group_columns(groups.size());
  for (const auto& r : records) {
    std::map<std::string, std::string> row;
    for (size_t g = 0; g < groups.size(); ++g) {
      std::map<std::string, std::string> cells;
      const json& block = sub(r, groups[g].c_str());
      if (groups[g] == "energy") {
        if (block.is_object()) {
          for (auto it = block.begin(); it != block.end(); ++it) {
            if (it.key() == "domains" || it.key() == "idle_baseline") continue;
            flatten(*it, "energy." + it.key(), cells);
          }
          const json& domains = sub(block, "domains");
          if (domains.is_array()) {
            for (const auto& d : domains) {
              const std::string id = str_field(d, "id");
              if (id.empty()) continue;
              for (const char* k : {"joules", "dynamic_joules", "avg_watts"}) {
                if (d.contains(k)) cells["energy.domains." + id + "." + k] = csv_cell(d[k]);
              }
            }
          }
        }
      } else if (block.is_object()) {
        flatten(block, groups[g], cells);
      } else if (!block.is_null()) {
        cells[groups[g]] = csv_cell(block);
      }
      for (auto& [k, v] : cells) {
        group_columns[g].insert(k);
        row[k] = std::move(v);
      }
    }
    for (const auto& k : lead) row[k] = csv_cell(sub(r, k.c_str()));
    row["status"] = csv_cell(sub(r, "status"));
    row["warmup"] = csv_cell(sub(r, "warmup"));
    for (const auto& k : tail) row[k] = csv_cell(sub(r, k.c_str()));
    rows.push_back(std::move(row));
  }
  CsvTable t;
  t.header = {"run_id", "status", "warmup", "repeat", "config_index", "order"};
  std::set<std::string> used(t.header.begin(), t.header.end());
  for (const auto& cols : group_columns) {
    for (const auto& c : cols) {
      if (used.insert(c).second) t.header.push_back(c);
    }
  }
  for (const auto& k : tail) {
    if (used.insert(k).second) t.header.push_back(k);
  }
  for (const auto& row : rows) {
    std::vector<std::string> cells;
    cells.reserve(t.header.size());
    for (const auto& c : t.header) {
      auto it = row.find(c);
      cells.push_back(it == row.end() ? "" : it->second);
    }
    t.rows.push_back(std::move(cells));
  }
  return t;
}

energy::RunSummary summary_from_record(const json& record) {
  energy::RunSummary s;
  const json& study = sub(record, "study");
  const json& energy_block = sub(record, "energy");
  const json& carbon = sub(record, "carbon");
  const json& machine = sub(record, "machine");
  s.tool_version = str_field(sub(record, "software"), "wattserve_version");
  s.project_name = str_field(study, "name");
  if (s.project_name.empty()) s.project_name = "wattserve";
  s.experiment_id = str_field(study, "hash");
  s.run_id = str_field(record, "run_id");
  s.start_wall_ns = energy::parse_rfc3339_ns(str_field(record, "started_at"));
  s.end_wall_ns = energy::parse_rfc3339_ns(str_field(record, "ended_at"));
  s.window.duration_s = num_field(energy_block, "duration_s", num_field(record, "duration_s"));
  s.window.begin_wall_ns = s.start_wall_ns;
  s.window.end_wall_ns = s.end_wall_ns;
  const json& domains = sub(energy_block, "domains");
  if (domains.is_array()) {
    for (const auto& d : domains) {
      auto kind = parse_kind(str_field(d, "kind"));
      if (!kind) continue;  // a kind this build does not know: in no CodeCarbon group
      energy::DomainEnergy e;
      e.id = str_field(d, "id");
      e.kind = *kind;
      e.source = parse_source(str_field(d, "source"));
      const json& counted = sub(d, "counted");
      e.counted = counted.is_boolean() ? counted.get<bool>() : true;
      e.joules = num_field(d, "joules");
      e.dynamic_joules = num_field(d, "dynamic_joules");
      e.avg_watts = num_field(d, "avg_watts");
      s.window.domains.push_back(std::move(e));
    }
  }
  s.window.joules = num_field(energy_block, "joules");
  s.window.avg_watts = num_field(energy_block, "avg_watts");
  s.carbon.g_per_kwh = num_field(carbon, "g_per_kwh");
  s.carbon.source = str_field(carbon, "source");
  s.carbon.country_name = str_field(carbon, "country_name");
  s.carbon.country_iso_code = str_field(carbon, "country_iso_code");
  s.carbon.region = str_field(carbon, "region");
  s.carbon.cloud_provider = str_field(carbon, "cloud_provider");
  s.carbon.cloud_region = str_field(carbon, "cloud_region");
  s.carbon.pue = num_field(carbon, "pue", 1.0);
  s.emissions_kg = num_field(carbon, "emissions_kg");
  s.machine.os = str_field(machine, "os");
  s.machine.cpu_count = static_cast<int>(num_field(machine, "cpu_count"));
  s.machine.cpu_model = str_field(machine, "cpu_model");
  s.machine.ram_total_gib = num_field(machine, "ram_total_gib");
  s.machine.gpu_count = static_cast<int>(num_field(machine, "gpu_count"));
  s.machine.gpu_model = str_field(machine, "gpu_model");
  s.tracking_mode = "machine";
  return s;
}

CsvTable emissions_table(const std::vector<json>& records) {
  CsvTable t;
  t.header = energy::codecarbon_columns();
  for (const auto& r : records) {
    // codecarbon_row() gives the CSV line; the table keeps cells, so take them from the fields.
    const auto fields = energy::codecarbon_fields(summary_from_record(r));
    std::vector<std::string> row;
    row.reserve(t.header.size());
    for (const auto& col : t.header) {
      std::string value;
      for (const auto& [name, v] : fields) {
        if (name == col) {
          value = v;
          break;
        }
      }
      row.push_back(std::move(value));
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string index_hardware_key(const json& record) {
  const json& m = sub(record, "machine");
  std::string key = str_field(m, "cpu_model");
  if (num_field(m, "gpu_count") > 0) {
    const std::string gpu = or_unknown(str_field(m, "gpu_model"));
    key = key.empty() ? gpu : key + " + " + gpu;
  }
  return or_unknown(key);
}

std::string index_model_key(const json& record) {
  const json& m = sub(sub(record, "config"), "model");
  std::string key = str_field(m, "model");
  std::vector<std::string> parts;
  for (const char* k : {"engine", "provider", "quant"}) {
    std::string v = str_field(m, k);
    if (!v.empty()) parts.push_back(std::move(v));
  }
  if (!parts.empty()) {
    std::string paren;
    for (const auto& p : parts) paren += (paren.empty() ? "" : ", ") + p;
    key = (key.empty() ? "unknown" : key) + " (" + paren + ")";
  }
  return or_unknown(key);
}

std::string index_sampling_key(const json& record) {
  const json& s = sub(sub(record, "config"), "sampling");
  std::string key;
  if (s.is_object()) {
    for (auto it = s.begin(); it != s.end(); ++it) {  // nlohmann::json keeps keys sorted
      key += (key.empty() ? "" : ", ") + it.key() + "=" +
             (it->is_null() ? std::string("null") : csv_cell(*it));
    }
  }
  return or_unknown(key);
}

std::string index_use_case_key(const json& record) {
  const json& w = sub(sub(record, "config"), "workload");
  std::string key = str_field(w, "prompts");
  if (key.empty()) key = str_field(w, "name");
  return or_unknown(key);
}

json index_json(const std::vector<json>& records, const std::string& study_name,
                const std::string& study_hash) {
  json runs = json::object();
  for (const auto& r : records) {
    if (str_field(r, "status") != "ok") continue;
    const json& warm = sub(r, "warmup");
    if (warm.is_boolean() && warm.get<bool>()) continue;
    json& leaf = runs[index_hardware_key(r)][index_model_key(r)][index_sampling_key(r)]
                     [index_use_case_key(r)];
    if (leaf.is_null()) leaf = json::array();
    leaf.push_back(str_field(r, "run_id"));
  }
  return {{"schema", kIndexSchema},
          {"schema_version", 1},
          {"study", {{"name", study_name}, {"hash", study_hash}}},
          {"levels", {"hardware", "model", "sampling", "use_case"}},
          {"runs", runs}};
}

// ---- Merge ----

std::string MergeResult::text() const {
  std::string s = fmt::format("merged {} folder{} of {} into {}: {} record{} ({} copied", inputs,
                              inputs == 1 ? "" : "s", describe(study_name, study_hash), out,
                              records, records == 1 ? "" : "s", copied);
  if (duplicates > 0) {
    s += fmt::format(", {} run id{} found more than once, kept once", duplicates,
                     duplicates == 1 ? "" : "s");
  }
  return s + ")";
}

json MergeResult::to_json() const {
  return {{"out", out},
          {"study", {{"name", study_name}, {"hash", study_hash}}},
          {"inputs", inputs},
          {"copied", copied},
          {"duplicates", duplicates},
          {"records", records},
          {"warnings", warnings}};
}

MergeResult merge(const std::vector<std::string>& dirs, const std::string& out) {
  if (dirs.empty()) throw std::invalid_argument("bench merge: no dataset folders to merge");
  MergeResult result;
  result.out = out;
  result.inputs = dirs.size();

  // Check everything before writing anything.
  std::vector<StudyId> ids;
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      throw std::runtime_error(fmt::format("{}: no such dataset folder", dir));
    }
    auto id = read_study_json(dir);
    if (!id) {
      throw std::runtime_error(
          fmt::format("{}: not a wattserve bench dataset (no study.json)", dir));
    }
    if (!ids.empty() && id->hash != ids[0].hash) {
      throw std::runtime_error(fmt::format(
          "cannot merge {}: it holds {}, but {} holds {}; merge only shards of one study", dir,
          describe(id->name, id->hash), dirs[0], describe(ids[0].name, ids[0].hash)));
    }
    ids.push_back(*id);
  }
  const StudyId study = ids[0];
  result.study_name = study.name;
  result.study_hash = study.hash;
  if (auto held = read_study_json(out); held && held->hash != study.hash) {
    throw std::runtime_error(fmt::format("cannot merge into {}: it holds {}, but {} holds {}", out,
                                         describe(held->name, held->hash), dirs[0],
                                         describe(study.name, study.hash)));
  }
  std::vector<Scan> scans;
  for (const auto& dir : dirs) {
    Scan scan = scan_records(dir, study.hash);
    if (!scan.foreign.empty()) {
      const auto& [path, hash] = scan.foreign.front();
      throw std::runtime_error(
          fmt::format("cannot merge {}: {} is a record of another study (hash {}), not of {}", dir,
                      path, hash.empty() ? "missing" : hash, describe(study.name, study.hash)));
    }
    for (const auto& w : scan.ignored) result.warnings.push_back("skipped " + w);
    scans.push_back(std::move(scan));
  }
  std::string toml;
  if (!energy::read_file_if_exists(join(dirs[0], "study.toml"), &toml)) {
    throw std::runtime_error(
        fmt::format("{}: not a complete bench dataset (no study.toml)", dirs[0]));
  }

  Dataset ds = Dataset::open(out, toml, study.name, study.hash);
  for (auto& w : ds.warnings()) result.warnings.push_back(std::move(w));
  std::map<std::string, std::string> held_status;  // run_id -> status, of what out holds
  for (const auto& r : scan_records(out, study.hash).records) {
    held_status[r.id] = str_field(r.value, "status");
  }
  std::error_code ec;
  const fs::path out_canon = fs::weakly_canonical(out, ec);
  for (size_t i = 0; i < dirs.size(); ++i) {
    std::error_code ec2;
    if (!ec && fs::weakly_canonical(dirs[i], ec2) == out_canon && !ec2) continue;
    for (const auto& r : scans[i].records) {
      const std::string st = str_field(r.value, "status");
      auto it = held_status.find(r.id);
      if (it != held_status.end()) {
        ++result.duplicates;
        if (!(it->second != "ok" && st == "ok")) continue;  // keep what is there
      }
      std::string record_text, req_text, tl_text;
      if (!energy::read_file_if_exists(r.path, &record_text)) continue;
      std::optional<std::string> req, tl;
      if (energy::read_file_if_exists(join(join(dirs[i], "requests"), r.id + ".csv"), &req_text)) {
        req = std::move(req_text);
      }
      if (energy::read_file_if_exists(join(join(dirs[i], "timelines"), r.id + ".csv"), &tl_text)) {
        tl = std::move(tl_text);
      }
      put_run(out, r.id, req, tl, record_text);
      held_status[r.id] = st;
      ++result.copied;
    }
  }
  ds.rebuild_tables();
  result.records = ds.finished_ids().size();
  return result;
}

// ---- Status ----

namespace {

void count(StatusCounts& c, const std::string* st) {
  ++c.planned;
  if (st == nullptr) {
    ++c.remaining;
  } else if (*st == "ok") {
    ++c.done;
  } else {
    ++c.failed;
  }
}

json counts_json(const StatusCounts& c) {
  return {
      {"planned", c.planned}, {"done", c.done}, {"failed", c.failed}, {"remaining", c.remaining}};
}

std::string counts_text(const StatusCounts& c) {
  return fmt::format("{} planned, {} done, {} failed, {} remaining", c.planned, c.done, c.failed,
                     c.remaining);
}

}  // namespace

StatusReport status(const std::string& dir, const std::vector<PlanEntry>& planned,
                    const std::string& study_hash) {
  StatusReport rep;
  rep.dir = dir;
  std::map<std::string, std::string> done;  // run_id -> status
  std::error_code ec;
  if (fs::is_directory(dir, ec)) {
    if (auto held = read_study_json(dir)) {
      if (!study_hash.empty() && held->hash != study_hash) {
        throw std::runtime_error(
            fmt::format("{} holds the dataset of {}, not of the study given (hash {})", dir,
                        describe(held->name, held->hash), study_hash));
      }
      rep.study_name = held->name;
      rep.study_hash = held->hash;
      Scan scan = scan_records(dir, held->hash);
      for (const auto& r : scan.records) done[r.id] = str_field(r.value, "status");
      rep.warnings = std::move(scan.ignored);
    }
  }
  std::set<std::string> in_plan;
  // factor -> level -> counts, levels in JSON order (numbers numerically, strings lexically).
  std::map<std::string, std::map<json, StatusCounts>> levels;
  for (const auto& p : planned) {
    in_plan.insert(p.run_id);
    auto it = done.find(p.run_id);
    const std::string* st = it == done.end() ? nullptr : &it->second;
    count(rep.runs, st);
    if (p.warmup) count(rep.warmups, st);
    if (p.config.is_object()) {
      for (auto f = p.config.begin(); f != p.config.end(); ++f) count(levels[f.key()][*f], st);
    }
  }
  for (auto& [factor, by_level] : levels) {
    for (auto& [level, c] : by_level) rep.levels.push_back({factor, level, c});
  }
  for (const auto& [id, st] : done) {
    if (in_plan.count(id) == 0) rep.unplanned.push_back(id);
  }
  return rep;
}

std::string StatusReport::text() const {
  std::string s = fmt::format("{}: ", dir);
  s += study_hash.empty() ? "no runs recorded yet\n" : describe(study_name, study_hash) + "\n";
  s += "runs: " + counts_text(runs) + "\n";
  if (warmups.planned > 0) s += "  of which warm-ups: " + counts_text(warmups) + "\n";
  if (!levels.empty()) {
    std::vector<std::string> labels;
    size_t width = std::string("by factor level:").size();
    for (const auto& l : levels) {
      labels.push_back("  " + l.factor + " = " + csv_cell(l.level));
      width = std::max(width, labels.back().size());
    }
    s += fmt::format("{:<{}} {:>8} {:>8} {:>8} {:>10}\n", "by factor level:", width, "planned",
                     "done", "failed", "remaining");
    for (size_t i = 0; i < levels.size(); ++i) {
      const StatusCounts& c = levels[i].counts;
      s += fmt::format("{:<{}} {:>8} {:>8} {:>8} {:>10}\n", labels[i], width, c.planned, c.done,
                       c.failed, c.remaining);
    }
  }
  if (!unplanned.empty()) {
    s += fmt::format("{} record{} not in this plan\n", unplanned.size(),
                     unplanned.size() == 1 ? "" : "s");
  }
  for (const auto& w : warnings) s += "ignored " + w + "\n";
  return s;
}

json StatusReport::to_json() const {
  json factors = json::object();
  for (const auto& l : levels) {
    json entry = counts_json(l.counts);
    entry["level"] = l.level;
    if (!factors.contains(l.factor)) factors[l.factor] = json::array();
    factors[l.factor].push_back(std::move(entry));
  }
  json study = nullptr;
  if (!study_hash.empty()) study = {{"name", study_name}, {"hash", study_hash}};
  return {{"dir", dir},
          {"study", study},
          {"runs", counts_json(runs)},
          {"warmups", counts_json(warmups)},
          {"factors", factors},
          {"unplanned", unplanned},
          {"warnings", warnings}};
}

}  // namespace wattserve::bench
