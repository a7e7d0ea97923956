#include "energy/exporters/codecarbon_csv.h"

#include <fmt/format.h>

#include <stdexcept>

#include "energy/core/atomic_file.h"
#include "energy/exporters/output_format.h"

namespace wattserve::energy {
namespace {

constexpr double kJoulesPerKwh = 3.6e6;

struct Groups {
  double cpu = 0, gpu = 0, ram = 0, system = 0;  // joules
  double total() const { return cpu + gpu + ram + system; }
};

void add(Groups& g, DomainKind kind, double joules) {
  switch (kind) {
    case DomainKind::kCpuPackage:
    case DomainKind::kCpuCore:
    case DomainKind::kCpuUncore:
    case DomainKind::kPsys:
      g.cpu += joules;
      break;
    case DomainKind::kDram:
      g.ram += joules;
      break;
    case DomainKind::kGpu:
      g.gpu += joules;
      break;
    case DomainKind::kSystem:
      g.system += joules;
      break;
  }
}

bool process_mode(const RunSummary& s) {
  return s.tracking_mode == "process" && s.process;
}

// Counted energy per CodeCarbon group. In process mode CPU-side domains carry the tree's
// attributed energy; GPU and system domains, which CPU time cannot split, are counted in full.
Groups groups(const RunSummary& s, bool process) {
  Groups g;
  for (const auto& d : s.window.domains) {
    if (!d.counted) continue;
    double j = d.joules;
    if (process) {
      for (const auto& p : s.process->domains) {
        if (p.id == d.id && p.attributed) j = p.joules;
      }
    }
    add(g, d.kind, j);
  }
  return g;
}

std::string num(double v) {
  return format_double(v);
}

}  // namespace

const std::vector<std::string>& codecarbon_columns() {
  static const std::vector<std::string> cols = {"timestamp",
                                                "project_name",
                                                "run_id",
                                                "experiment_id",
                                                "duration",
                                                "emissions",
                                                "emissions_rate",
                                                "cpu_power",
                                                "gpu_power",
                                                "ram_power",
                                                "cpu_energy",
                                                "gpu_energy",
                                                "ram_energy",
                                                "energy_consumed",
                                                "water_consumed",
                                                "country_name",
                                                "country_iso_code",
                                                "region",
                                                "cloud_provider",
                                                "cloud_region",
                                                "os",
                                                "python_version",
                                                "codecarbon_version",
                                                "cpu_count",
                                                "cpu_model",
                                                "gpu_count",
                                                "gpu_model",
                                                "longitude",
                                                "latitude",
                                                "ram_total_size",
                                                "tracking_mode",
                                                "cpu_utilization_percent",
                                                "gpu_utilization_percent",
                                                "ram_utilization_percent",
                                                "ram_used_gb",
                                                "on_cloud",
                                                "pue",
                                                "wue"};
  return cols;
}

const std::vector<std::string>& codecarbon_v2_columns() {
  static const std::vector<std::string> cols = {
      "timestamp",      "project_name",       "run_id",         "experiment_id",
      "duration",       "emissions",          "emissions_rate", "cpu_power",
      "gpu_power",      "ram_power",          "cpu_energy",     "gpu_energy",
      "ram_energy",     "energy_consumed",    "country_name",   "country_iso_code",
      "region",         "cloud_provider",     "cloud_region",   "os",
      "python_version", "codecarbon_version", "cpu_count",      "cpu_model",
      "gpu_count",      "gpu_model",          "longitude",      "latitude",
      "ram_total_size", "tracking_mode",      "on_cloud",       "pue"};
  return cols;
}

std::vector<std::pair<std::string, std::string>> codecarbon_fields(const RunSummary& s) {
  const bool process = process_mode(s);
  const Groups machine = groups(s, false);
  const Groups g = process ? groups(s, true) : machine;
  const double pue = s.carbon.pue > 0 ? s.carbon.pue : 1.0;
  const double duration = s.window.duration_s;
  // Emissions follow energy linearly: the process row gets the tree's part of the run's.
  double emissions = s.emissions_kg;
  if (process) emissions = machine.total() > 0 ? s.emissions_kg * g.total() / machine.total() : 0;
  auto kwh = [&](double joules) { return num(joules / kJoulesPerKwh * pue); };
  auto watts = [&](double joules) { return num(duration > 0 ? joules / duration : 0.0); };
  const CarbonInfo& c = s.carbon;
  const MachineInfo& m = s.machine;
  return {
      {"timestamp", iso8601_utc(s.end_wall_ns, false).substr(0, 19)},
      {"project_name", s.project_name},
      {"run_id", s.run_id},
      {"experiment_id", s.experiment_id},
      {"duration", num(duration)},
      {"emissions", num(emissions)},
      {"emissions_rate", num(duration > 0 ? emissions / duration : 0.0)},
      {"cpu_power", watts(g.cpu)},
      {"gpu_power", watts(g.gpu)},
      {"ram_power", watts(g.ram)},
      {"cpu_energy", kwh(g.cpu)},
      {"gpu_energy", kwh(g.gpu)},
      {"ram_energy", kwh(g.ram)},
      {"energy_consumed", kwh(g.total())},
      {"water_consumed", "0"},
      {"country_name", c.country_name},
      {"country_iso_code", c.country_iso_code},
      {"region", c.region},
      {"cloud_provider", c.cloud_provider},
      {"cloud_region", c.cloud_region},
      {"os", m.os},
      {"python_version", ""},
      {"codecarbon_version", s.tool_version.empty() ? "" : "wattserve-" + s.tool_version},
      {"cpu_count", std::to_string(m.cpu_count)},
      {"cpu_model", m.cpu_model},
      {"gpu_count", std::to_string(m.gpu_count)},
      {"gpu_model", m.gpu_model},
      {"longitude", ""},
      {"latitude", ""},
      {"ram_total_size", num(m.ram_total_gib)},
      {"tracking_mode", process ? "process" : "machine"},
      {"cpu_utilization_percent", ""},
      {"gpu_utilization_percent", ""},
      {"ram_utilization_percent", ""},
      {"ram_used_gb", ""},
      {"on_cloud", c.cloud_provider.empty() ? "N" : "Y"},
      {"pue", num(pue)},
      {"wue", "0"},
  };
}

std::string codecarbon_row(const RunSummary& s, const std::vector<std::string>& columns) {
  const auto fields = codecarbon_fields(s);
  std::vector<std::string> values;
  values.reserve(columns.size());
  for (const auto& col : columns) {
    bool found = false;
    for (const auto& [name, value] : fields) {
      if (name == col) {
        values.push_back(value);
        found = true;
        break;
      }
    }
    if (!found) throw std::invalid_argument("unknown CodeCarbon column: " + col);
  }
  return csv_row(values);
}

namespace {

// The column layout rows are appended in to an existing file whose text is `text` (not empty);
// throws for a header that is neither CodeCarbon's 3.x nor 2.x.
const std::vector<std::string>& layout_of(const std::string& path, const std::string& text) {
  const auto header = csv_parse_first_line(text);
  if (header == codecarbon_v2_columns()) return codecarbon_v2_columns();
  if (header != codecarbon_columns()) {
    throw std::runtime_error(fmt::format(
        "{}: its header is not CodeCarbon's emissions.csv layout (3.x or 2.x); not appending "
        "to it (choose another file)",
        path));
  }
  return codecarbon_columns();
}

std::string new_file_text(const RunSummary& s) {
  return csv_row(codecarbon_columns()) + "\n" + codecarbon_row(s, codecarbon_columns()) + "\n";
}

}  // namespace

void append_codecarbon_csv(const std::string& path, const RunSummary& s) {
  // A FIFO or /dev/stdout: nothing to read back or lock, a whole new file goes through it.
  if (resolve_output(path).kind == OutputKind::kWriteThrough) {
    write_file_atomic(path, new_file_text(s));
    return;
  }
  // Concurrent runs appending to one file (e.g. parallel `wattserve measure --csv e.csv`)
  // take turns: the header check and the append happen under one lock.
  ExclusiveFileLock lock(path + ".lock");
  std::string text;
  if (!read_file_if_exists(path, &text)) {
    // A new file appears whole or not at all.
    write_file_atomic(path, new_file_text(s));
    return;
  }
  // An existing file is appended to in place: only the new bytes are written, and the file
  // keeps its inode, mode and owner.
  const std::vector<std::string>* layout = &codecarbon_columns();
  std::string add;
  if (text.empty()) {
    add = csv_row(*layout) + "\n";
  } else {
    layout = &layout_of(path, text);
    if (text.back() != '\n') add = "\n";
  }
  add += codecarbon_row(s, *layout) + "\n";
  append_file(path, add);
}

void check_codecarbon_csv(const std::string& path) {
  check_output_path(path);
  if (resolve_output(path).kind != OutputKind::kRegular) return;
  std::string text;
  if (read_file_if_exists(path, &text) && !text.empty()) layout_of(path, text);
}

}  // namespace wattserve::energy
