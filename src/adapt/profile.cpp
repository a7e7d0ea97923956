// Profiles (profile.h): lookup, the request service time, and JSON in and out
// (schemas/profiles.schema.json) with nlohmann::json. NaN is written as null and read back as
// NaN; the reader checks every field's type and range and names the first bad one.
#include "adapt/profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "energy/core/atomic_file.h"

namespace wattserve::adapt {

namespace {

using nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kSchemaName = "wattserve.profiles";

json num(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

json fit_to_json(const FitQuality& f) {
  return {{"r2", num(f.r2)},
          {"points", f.points},
          {"holdout_mape", num(f.holdout_mape)},
          {"data", f.data}};
}

json variant_to_json(const VariantProfile& v) {
  return {
      {"id", v.id},
      {"family", v.family},
      {"model", v.model},
      {"size", v.size},
      {"quant", v.quant},
      {"engine", v.engine},
      {"provider", v.provider},
      {"kind", v.kind},
      {"threads", v.threads},
      {"parallel", v.parallel},
      {"context", v.context},
      {"step",
       {{"base_s", num(v.step.base_s)},
        {"per_sequence_s", num(v.step.per_sequence_s)},
        {"per_prompt_token_s", num(v.step.per_prompt_token_s)},
        {"max_batch_seen", v.step.max_batch_seen},
        {"fit", fit_to_json(v.step.fit)}}},
      {"prefill",
       {{"base_s", num(v.prefill.base_s)},
        {"per_token_s", num(v.prefill.per_token_s)},
        {"fit", fit_to_json(v.prefill.fit)}}},
      {"power",
       {{"idle_w", num(v.power.idle_w)},
        {"busy_w", num(v.power.busy_w)},
        {"per_sequence_w", num(v.power.per_sequence_w)},
        {"source", v.power.source},
        {"fit", fit_to_json(v.power.fit)}}},
      {"quality", num(v.quality)},
      {"quality_metric", v.quality_metric},
      {"measured_joules_per_request", num(v.measured_joules_per_request)},
      {"holdout_runs", v.holdout_runs},
  };
}

// Reads the fields of one JSON object, each error naming "NAME: path.field: ...".
class Reader {
 public:
  Reader(const std::string& name, const json& j, std::string path)
      : name_(name), j_(j), path_(std::move(path)) {
    if (!j_.is_object()) throw error("", "expected an object");
  }

  std::invalid_argument error(const std::string& key, const std::string& what) const {
    return std::invalid_argument(fmt::format("{}: {}: {}", name_, field(key), what));
  }
  std::string field(const std::string& key) const {
    if (key.empty()) return path_.empty() ? "(top level)" : path_;
    return path_.empty() ? key : path_ + "." + key;
  }

  const json* find(const std::string& key, bool required) const {
    auto it = j_.find(key);
    if (it == j_.end()) {
      if (required) throw error(key, "missing");
      return nullptr;
    }
    return &*it;
  }

  // A number, or null (NaN) where null_ok; NaN when missing and not required.
  double number(const std::string& key, bool required, double lo, double hi, bool null_ok) const {
    const json* v = find(key, required);
    if (!v) return kNaN;
    if (v->is_null()) {
      if (null_ok) return kNaN;
      throw error(key, "expected a number, not null");
    }
    if (!v->is_number()) throw error(key, "expected a number");
    const double d = v->get<double>();
    if (!(d >= lo && d <= hi)) throw error(key, fmt::format("{} is outside [{}, {}]", d, lo, hi));
    return d;
  }

  int integer(const std::string& key, bool required, int lo, int hi, int dflt) const {
    const json* v = find(key, required);
    if (!v) return dflt;
    if (!v->is_number_integer()) throw error(key, "expected an integer");
    const auto i = v->get<int64_t>();
    if (i < lo || i > hi) throw error(key, fmt::format("{} is outside [{}, {}]", i, lo, hi));
    return static_cast<int>(i);
  }

  std::string string(const std::string& key, bool required) const {
    const json* v = find(key, required);
    if (!v) return "";
    if (!v->is_string()) throw error(key, "expected a string");
    return v->get<std::string>();
  }

  Reader object(const std::string& key) const {
    const json* v = find(key, true);
    return Reader(name_, *v, field(key));
  }
  bool has(const std::string& key) const { return j_.contains(key); }
  const json& raw() const { return j_; }

 private:
  const std::string& name_;
  const json& j_;
  std::string path_;
};

constexpr double kInf = std::numeric_limits<double>::infinity();

FitQuality read_fit(const Reader& parent) {
  FitQuality f;
  if (!parent.has("fit")) {
    f.r2 = kNaN;
    f.holdout_mape = kNaN;
    return f;
  }
  const Reader r = parent.object("fit");
  f.r2 = r.number("r2", false, -kInf, 1.0, true);
  f.points = r.integer("points", false, 0, std::numeric_limits<int>::max(), 0);
  f.holdout_mape = r.number("holdout_mape", false, 0, kInf, true);
  f.data = r.string("data", false);
  return f;
}

VariantProfile read_variant(const Reader& r) {
  VariantProfile v;
  v.id = r.string("id", true);
  if (v.id.empty()) throw r.error("id", "must not be empty");
  v.family = r.string("family", false);
  v.model = r.string("model", true);
  v.size = r.string("size", false);
  v.quant = r.string("quant", false);
  v.engine = r.string("engine", true);
  v.provider = r.string("provider", true);
  v.kind = r.string("kind", true);
  if (v.kind != "text" && v.kind != "tensor") {
    throw r.error("kind", fmt::format("expected \"text\" or \"tensor\", not \"{}\"", v.kind));
  }
  v.threads = r.integer("threads", true, 1, 4096, 1);
  v.parallel = r.integer("parallel", true, 1, 1 << 20, 1);
  v.context = r.integer("context", false, 0, std::numeric_limits<int>::max(), 0);
  // Fitted coefficients may come out slightly negative; only their type is checked.
  const Reader step = r.object("step");
  v.step.base_s = step.number("base_s", true, -kInf, kInf, true);
  v.step.per_sequence_s = step.number("per_sequence_s", true, -kInf, kInf, true);
  v.step.per_prompt_token_s = step.number("per_prompt_token_s", true, -kInf, kInf, true);
  v.step.max_batch_seen = step.integer("max_batch_seen", false, 1, 1 << 20, 1);
  v.step.fit = read_fit(step);
  const Reader prefill = r.object("prefill");
  v.prefill.base_s = prefill.number("base_s", true, -kInf, kInf, true);
  v.prefill.per_token_s = prefill.number("per_token_s", true, -kInf, kInf, true);
  v.prefill.fit = read_fit(prefill);
  const Reader power = r.object("power");
  v.power.idle_w = power.number("idle_w", true, 0, kInf, true);
  v.power.busy_w = power.number("busy_w", true, -kInf, kInf, true);
  v.power.per_sequence_w = power.number("per_sequence_w", true, -kInf, kInf, true);
  v.power.source = power.string("source", false);
  v.power.fit = read_fit(power);
  v.quality = r.number("quality", true, 0, 1, true);
  v.quality_metric = r.string("quality_metric", false);
  v.measured_joules_per_request = r.number("measured_joules_per_request", false, 0, kInf, true);
  if (r.has("holdout_runs")) {
    const json& h = r.raw().at("holdout_runs");
    if (!h.is_array()) throw r.error("holdout_runs", "expected an array of run ids");
    for (const auto& id : h) {
      if (!id.is_string()) throw r.error("holdout_runs", "expected an array of run ids");
      v.holdout_runs.push_back(id.get<std::string>());
    }
  }
  return v;
}

}  // namespace

const VariantProfile* Profiles::find(const std::string& id) const {
  for (const auto& v : variants) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

std::string profiles_to_json(const Profiles& p) {
  json variants = json::array();
  for (const auto& v : p.variants) variants.push_back(variant_to_json(v));
  const json j = {{"schema", kSchemaName},
                  {"schema_version", p.schema_version},
                  {"machine", p.machine},
                  {"cores", p.cores},
                  {"energy_source", p.energy_source},
                  {"datasets", p.datasets},
                  {"variants", std::move(variants)}};
  // Dataset folders and machine names may not be UTF-8: replaced, not refused.
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Profiles profiles_from_json(const std::string& text, const std::string& name) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::invalid_argument(fmt::format("{}: not JSON: {}", name, e.what()));
  }
  const Reader top(name, j, "");
  Profiles p;
  if (top.has("schema")) {
    if (top.string("schema", true) != kSchemaName) {
      throw top.error("schema", fmt::format("expected \"{}\"", kSchemaName));
    }
  }
  if (!top.has("schema_version")) throw top.error("schema_version", "missing");
  if (!j["schema_version"].is_number_integer()) {
    throw top.error("schema_version", "expected an integer");
  }
  p.schema_version = j["schema_version"].get<int>();
  if (p.schema_version != kProfilesSchemaVersion) {
    throw top.error("schema_version",
                    fmt::format("unknown version {} (this wattserve reads version {})",
                                p.schema_version, kProfilesSchemaVersion));
  }
  p.machine = top.string("machine", false);
  p.cores = top.integer("cores", false, 0, 1 << 20, 0);
  p.energy_source = top.string("energy_source", false);
  if (const json* d = top.find("datasets", false)) {
    if (!d->is_array()) throw top.error("datasets", "expected an array of strings");
    for (size_t i = 0; i < d->size(); ++i) {
      if (!(*d)[i].is_string()) {
        throw top.error(fmt::format("datasets[{}]", i), "expected a string");
      }
      p.datasets.push_back((*d)[i].get<std::string>());
    }
  }
  const json* vs = top.find("variants", true);
  if (!vs->is_array()) throw top.error("variants", "expected an array");
  std::set<std::string> ids;
  for (size_t i = 0; i < vs->size(); ++i) {
    const Reader r(name, (*vs)[i], fmt::format("variants[{}]", i));
    VariantProfile v = read_variant(r);
    if (!ids.insert(v.id).second) throw r.error("id", fmt::format("duplicate id '{}'", v.id));
    p.variants.push_back(std::move(v));
  }
  return p;
}

Profiles load_profiles(const std::string& path) {
  std::string text;
  try {
    text = energy::read_regular_file(path);
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(e.what());
  }
  return profiles_from_json(text, path);
}

double request_service_s(const VariantProfile& v, double input_tokens, double output_tokens,
                         double sequences) {
  return v.prefill.seconds(input_tokens) + output_tokens * v.step.seconds(sequences, 0);
}

std::string variant_id(const std::string& model, const std::string& quant,
                       const std::string& engine, const std::string& provider, int threads,
                       int parallel) {
  return fmt::format("{}/{}/{}/{}/t{}/p{}", model, quant, engine, provider, threads, parallel);
}

std::string quant_of_entry(const std::string& entry) {
  const auto dash = entry.rfind('-');
  const std::string q = dash == std::string::npos ? "" : entry.substr(dash + 1);
  const bool quant =
      q == "f32" || q == "f16" || q == "bf16" ||
      (q.size() >= 2 && q[0] == 'q' && std::isdigit(static_cast<unsigned char>(q[1])));
  return quant ? q : "f32";
}

std::string unusable_for_text(const VariantProfile& v) {
  if (v.kind != "text") return fmt::format("{}: not a text-generation variant", v.id);
  if (v.parallel < 1) return fmt::format("{}: parallel must be >= 1", v.id);
  const auto bad = [](double x, double hi) { return !(x >= 0 && x <= hi); };
  const std::pair<const char*, double> times[] = {
      {"step.base_s", v.step.base_s},
      {"step.per_sequence_s", v.step.per_sequence_s},
      {"step.per_prompt_token_s", v.step.per_prompt_token_s},
      {"prefill.base_s", v.prefill.base_s},
      {"prefill.per_token_s", v.prefill.per_token_s}};
  for (const auto& [name, x] : times) {
    if (bad(x, 3600)) return fmt::format("{}: {} = {} is not a time in [0, 3600] s", v.id, name, x);
  }
  if (!(v.step.seconds(1, 0) > 0)) return fmt::format("{}: a step takes no time", v.id);
  const std::pair<const char*, double> watts[] = {{"power.idle_w", v.power.idle_w},
                                                  {"power.busy_w", v.power.busy_w},
                                                  {"power.per_sequence_w", v.power.per_sequence_w}};
  for (const auto& [name, x] : watts) {
    if (bad(x, 1e6)) return fmt::format("{}: {} = {} is not a power in [0, 1e6] W", v.id, name, x);
  }
  return "";
}

VariantSpec parse_variant_spec(const std::string& entry) {
  const auto colon = entry.find(':');
  VariantSpec v;
  v.quant = entry.substr(0, colon);
  bool ok = !v.quant.empty();
  if (ok && colon != std::string::npos) {
    const std::string t = entry.substr(colon + 1);
    ok = !t.empty() && t.size() <= 6 &&
         std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (ok) v.threads = std::stoi(t);
    ok = ok && v.threads >= 1;
  }
  if (!ok) throw std::invalid_argument("'" + entry + "': expected QUANT[:THREADS]");
  return v;
}

std::vector<VariantSpec> parse_variant_specs(const std::string& list) {
  std::vector<VariantSpec> out;
  for (size_t pos = 0; pos <= list.size();) {
    const size_t comma = std::min(list.find(',', pos), list.size());
    if (comma > pos) out.push_back(parse_variant_spec(list.substr(pos, comma - pos)));
    pos = comma + 1;
  }
  return out;
}

}  // namespace wattserve::adapt
