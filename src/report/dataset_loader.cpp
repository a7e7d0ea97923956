// Reading bench datasets (dataset_loader.h).
#include "report/dataset_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>

#include "energy/core/atomic_file.h"
#include "energy/core/embedded_csv.h"
#include "report/metrics.h"

namespace wattserve::report {

namespace fs = std::filesystem;

namespace {

// Reads a whole regular file; anything else (a FIFO, a device, a folder) is refused, so that a
// hostile dataset cannot make the report block or read without end.
std::string read_text(const fs::path& p) {
  try {
    return energy::read_regular_file(p.string());
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
}

std::string config_label(const nlohmann::json& factors) {
  if (!factors.is_object() || factors.empty()) return "all runs";
  std::string out;
  for (const auto& [name, level] : factors.items()) {
    out += (out.empty() ? "" : ", ") + name + "=" + level_text(level);
  }
  return out;
}

// The run's factor levels: config.factors, or {} when the study has none.
nlohmann::json factors_of(const nlohmann::json& record) {
  const nlohmann::json::json_pointer ptr("/config/factors");
  if (record.contains(ptr) && record.at(ptr).is_object()) return record.at(ptr);
  return nlohmann::json::object();
}

double to_number(const std::string& cell) {
  if (cell.empty()) return NAN;
  char* end = nullptr;
  const double v = std::strtod(cell.c_str(), &end);
  return end != nullptr && *end == '\0' ? v : NAN;
}

}  // namespace

std::string level_text(const nlohmann::json& level) {
  if (level.is_string()) return level.get<std::string>();
  if (level.is_number_float()) return fmt::format("{:.6g}", level.get<double>());
  return level.dump();
}

std::vector<std::string> LoadedDataset::present_metrics() const {
  std::vector<std::string> out;
  for (const auto& m : metric_catalogue()) {
    for (const auto& r : runs) {
      if (metric_value(r.record, m)) {
        out.push_back(m.id);
        break;
      }
    }
  }
  return out;
}

LoadedDataset load_dataset(const std::string& dir) {
  const fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw std::runtime_error(
        fmt::format("{}: no such folder (give a folder written by "
                    "`wattserve bench --out`)",
                    dir));
  }
  LoadedDataset d;
  d.dir = dir;
  // The folder's own name, also for "results/x/", "." or "..".
  const fs::path named = fs::weakly_canonical(root, ec);
  d.label = ec || named.filename().empty() ? dir : named.filename().string();
  nlohmann::json study;
  try {
    study = nlohmann::json::parse(read_text(root / "study.json"));
    d.study_name = study.at("name").get<std::string>();
    d.study_hash = study.at("hash").get<std::string>();
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format(
        "{}: not a bench dataset (study.json missing or unreadable: {})", dir, e.what()));
  }
  std::vector<std::pair<fs::path, nlohmann::json>> records;
  const fs::path runs_dir = root / "runs";
  if (fs::is_directory(runs_dir, ec)) {
    for (const auto& entry : fs::directory_iterator(runs_dir)) {
      const auto& p = entry.path();
      if (p.extension() != ".json" || p.filename().string().starts_with(".")) continue;
      try {
        auto rec = nlohmann::json::parse(read_text(p));
        if (!rec.is_object() || rec.value("run_id", "") != p.stem().string()) {
          throw std::runtime_error("its run_id is not its file name");
        }
        if (rec.value("/study/hash"_json_pointer, std::string()) != d.study_hash) {
          throw std::runtime_error("it belongs to another study");
        }
        records.emplace_back(p, std::move(rec));
      } catch (const std::exception& e) {
        ++d.unreadable;
        d.warnings.push_back(fmt::format("{}: skipped ({})", p.string(), e.what()));
      }
    }
  }
  std::vector<nlohmann::json> recs;
  for (auto& [path, rec] : records) recs.push_back(std::move(rec));
  LoadedDataset out;
  try {
    out = dataset_from_records(std::move(recs), dir, d.label);
  } catch (const std::runtime_error& e) {
    if (d.unreadable == 0) throw;
    throw std::runtime_error(fmt::format("{}; {} records could not be read: {}", e.what(),
                                         d.unreadable, d.warnings.front()));
  }
  out.study_name = d.study_name;
  out.study_hash = d.study_hash;
  out.unreadable = d.unreadable;
  out.warnings.insert(out.warnings.begin(), d.warnings.begin(), d.warnings.end());
  return out;
}

LoadedDataset dataset_from_records(std::vector<nlohmann::json> records, const std::string& dir,
                                   const std::string& label) {
  LoadedDataset d;
  d.dir = dir;
  d.label = label;
  const fs::path root(dir);
  std::error_code ec;
  records.erase(std::remove_if(records.begin(), records.end(),
                               [](const nlohmann::json& r) {
                                 return !r.is_object() || !r.contains("run_id") ||
                                        !r.at("run_id").is_string();
                               }),
                records.end());
  auto order_of = [](const nlohmann::json& r) {
    const auto it = r.find("order");
    return it != r.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t{-1};
  };
  // Run order: the records' "order", then run id (as the dataset's tables).
  std::stable_sort(records.begin(), records.end(), [&](const auto& a, const auto& b) {
    const auto oa = order_of(a), ob = order_of(b);
    return oa != ob ? oa < ob
                    : a.at("run_id").template get<std::string>() <
                          b.at("run_id").template get<std::string>();
  });
  std::map<std::string, size_t> config_index;
  std::set<std::string> sources;
  for (auto& rec : records) {
    const auto warm = rec.find("warmup");
    if (warm != rec.end() && warm->is_boolean() && warm->get<bool>()) {
      ++d.warmups;
      continue;
    }
    const auto status = rec.find("status");
    if (status == rec.end() || !status->is_string() || status->get<std::string>() != "ok") {
      ++d.failed;
      continue;
    }
    Run run;
    run.id = rec.at("run_id").get<std::string>();
    if (!dir.empty()) {
      const auto req = root / "requests" / (run.id + ".csv");
      const auto tl = root / "timelines" / (run.id + ".csv");
      if (fs::is_regular_file(req, ec)) run.requests_csv = req.string();
      if (fs::is_regular_file(tl, ec)) run.timeline_csv = tl.string();
    }
    auto factors = factors_of(rec);
    const std::string key = factors.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    auto [it, added] = config_index.emplace(key, d.configs.size());
    if (added) d.configs.push_back(Configuration{key, config_label(factors), factors, {}});
    run.config = it->second;
    d.configs[run.config].runs.push_back(d.runs.size());
    const nlohmann::json::json_pointer src_ptr("/metrics/energy_source");
    if (rec.contains(src_ptr) && rec.at(src_ptr).is_string()) {
      const auto src = rec.at(src_ptr).get<std::string>();
      if (!src.empty()) sources.insert(src);
    }
    run.record = std::move(rec);
    d.runs.push_back(std::move(run));
  }
  if (d.runs.empty()) {
    throw std::runtime_error(
        fmt::format("{}: no finished measured run yet ({} warm-up and {} failed records); run "
                    "`wattserve bench` on its study first, or see `wattserve bench status {}`",
                    dir.empty() ? label : dir, d.warmups, d.failed, dir));
  }
  d.energy_sources.assign(sources.begin(), sources.end());
  std::map<std::string, std::set<std::string>> levels;
  for (const auto& c : d.configs) {
    for (const auto& [name, level] : c.factors.items()) levels[name].insert(level.dump());
  }
  for (const auto& [name, set] : levels) {
    (set.size() > 1 ? d.factors : d.constant_factors).push_back(name);
  }
  return d;
}

std::vector<std::vector<double>> request_rows(const Run& run,
                                              const std::vector<std::string>& columns) {
  std::vector<std::vector<double>> out;
  if (run.requests_csv.empty()) return out;
  const auto rows = energy::parse_csv(read_text(run.requests_csv));
  if (rows.empty()) return out;
  const auto& header = rows.front();
  const auto index_of = [&](const std::string& name) {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const size_t si = index_of("status");
  std::vector<size_t> ci;
  for (const auto& c : columns) ci.push_back(index_of(c));
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& row = rows[i];
    if (si < header.size()) {
      if (si >= row.size()) continue;
      const std::string& st = row[si];
      const bool ok = st == "ok" || (st.size() == 3 && st[0] == '2');
      if (!ok) continue;
    }
    std::vector<double> values;
    values.reserve(ci.size());
    for (const size_t c : ci) {
      values.push_back(c < row.size() ? to_number(row[c])
                                      : std::numeric_limits<double>::quiet_NaN());
    }
    out.push_back(std::move(values));
  }
  return out;
}

std::vector<std::vector<double>> request_columns(const Run& run,
                                                 const std::vector<std::string>& columns) {
  std::vector<std::vector<double>> out(columns.size());
  for (const auto& row : request_rows(run, columns)) {
    for (size_t c = 0; c < columns.size(); ++c) {
      if (std::isfinite(row[c])) out[c].push_back(row[c]);
    }
  }
  return out;
}

std::vector<TimelinePoint> power_timeline(const Run& run, size_t max_points) {
  std::vector<TimelinePoint> all;
  if (run.timeline_csv.empty()) return all;
  const auto rows = energy::parse_csv(read_text(run.timeline_csv));
  if (rows.size() < 2) return all;
  const auto& header = rows.front();
  std::vector<size_t> watt_cols;
  size_t t_col = header.size();
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "t_s") t_col = i;
    if (header[i].ends_with(".watts")) watt_cols.push_back(i);
  }
  if (t_col == header.size() || watt_cols.empty()) return all;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& row = rows[i];
    if (row.size() != header.size()) continue;
    double w = 0;
    bool ok = true;
    for (size_t c : watt_cols) {
      const double v = to_number(row[c]);
      ok = ok && std::isfinite(v);
      w += v;
    }
    const double t = to_number(row[t_col]);
    if (ok && std::isfinite(t)) all.push_back({t, w});
  }
  if (max_points < 2 || all.size() <= max_points) return all;
  std::vector<TimelinePoint> thin;
  const double step = static_cast<double>(all.size() - 1) / static_cast<double>(max_points - 1);
  for (size_t i = 0; i < max_points; ++i) {
    thin.push_back(all[static_cast<size_t>(std::lround(static_cast<double>(i) * step))]);
  }
  return thin;
}

}  // namespace wattserve::report
