// Study files (study.h): TOML with toml++, --set overrides, validation against the model and
// sampling field tables, canonical JSON, the study hash and the resolved TOML copy.
#include "bench/study.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>

namespace wattserve::bench {

namespace {

using json = nlohmann::json;

constexpr double kMaxInt64 = 9223372036854775807.0;

[[noreturn]] void fail(const std::string& where, const std::string& message) {
  throw std::invalid_argument(where + ": " + message);
}

std::string join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// Where a value came from: the file (FILE:LINE:COL) or an override (--set KEY). Overrides are
// known by the dot path they wrote, and by the tables they created on the way.
class Sources {
 public:
  explicit Sources(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }

  void add(const std::string& path, const std::string& set_key, std::size_t index) {
    origin_.try_emplace(path, set_key, index);
  }
  void replace(const std::string& path, const std::string& set_key, std::size_t index) {
    origin_[path] = {set_key, index};
  }

  // The override (its KEY and its index among the overrides) that wrote path, or a table above
  // it; nullptr when the file did.
  const std::pair<std::string, std::size_t>* override_of(std::string path) const {
    while (true) {
      if (auto it = origin_.find(path); it != origin_.end()) return &it->second;
      const auto cut = path.find_last_of(".[");
      if (cut == std::string::npos) return nullptr;
      path.resize(cut);
    }
  }

  std::string where(const std::string& path, const toml::source_region& region) const {
    if (const auto* o = override_of(path)) return "--set " + o->first;
    if (region.begin.line == 0) return file_;
    return fmt::format("{}:{}:{}", file_, region.begin.line, region.begin.column);
  }
  std::string where(const std::string& path, const toml::node& node) const {
    return where(path, node.source());
  }

 private:
  std::string file_;
  std::map<std::string, std::pair<std::string, std::size_t>> origin_;
};

// A TOML value as JSON (tables as objects, arrays as arrays). Dates and times are refused.
json to_json_value(const Sources& src, const std::string& path, const toml::node& node) {
  if (auto s = node.value_exact<std::string>()) return *s;
  if (auto i = node.value_exact<std::int64_t>()) return *i;
  if (auto d = node.value_exact<double>()) {
    if (!std::isfinite(*d)) fail(src.where(path, node), path + " must be a finite number");
    return *d;
  }
  if (auto b = node.value_exact<bool>()) return *b;
  if (const auto* a = node.as_array()) {
    json out = json::array();
    std::size_t i = 0;
    for (const auto& e : *a) out.push_back(to_json_value(src, fmt::format("{}[{}]", path, i++), e));
    return out;
  }
  if (const auto* t = node.as_table()) {
    json out = json::object();
    for (const auto& [k, v] : *t) {
      out[std::string(k.str())] = to_json_value(src, path + "." + std::string(k.str()), v);
    }
    return out;
  }
  fail(src.where(path, node), path + ": dates and times are not study values");
}

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date or time";
  }
}

std::string number_text(double x) {
  return fmt::format("{}", x);
}

// Reads one table's keys, each asked for by name; check_unknown() refuses the others.
class Reader {
 public:
  Reader(const Sources& src, const toml::table& t, std::string path)
      : src_(src), t_(t), path_(std::move(path)) {}

  std::string key_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  const toml::node* get(std::string_view key) {
    known_.emplace_back(key);
    return t_.get(key);
  }

  std::string where(std::string_view key, const toml::node& n) const {
    return src_.where(key_path(key), n);
  }
  [[noreturn]] void bad(std::string_view key, const toml::node& n, const std::string& want) const {
    fail(where(key, n), fmt::format("{} must be {}, not {}", key_path(key), want, describe(n)));
  }

  std::string describe(const toml::node& n) const {
    if (auto s = n.value_exact<std::string>()) return fmt::format("\"{}\"", *s);
    if (auto i = n.value_exact<std::int64_t>()) return std::to_string(*i);
    if (auto d = n.value_exact<double>()) return number_text(*d);
    if (auto b = n.value_exact<bool>()) return *b ? "true" : "false";
    return type_name(n);
  }

  bool get_string(std::string_view key, std::string& out, bool allow_empty = true) {
    const toml::node* n = get(key);
    if (!n) return false;
    auto s = n->value_exact<std::string>();
    if (!s) bad(key, *n, "a string");
    if (!allow_empty && s->empty()) bad(key, *n, "a non-empty string");
    out = *s;
    return true;
  }

  bool get_choice(std::string_view key, std::string& out, const std::vector<std::string>& choices) {
    const toml::node* n = get(key);
    if (!n) return false;
    auto s = n->value_exact<std::string>();
    if (!s || std::find(choices.begin(), choices.end(), *s) == choices.end()) {
      std::vector<std::string> quoted;
      for (const auto& c : choices) quoted.push_back("\"" + c + "\"");
      bad(key, *n, "one of " + join(quoted));
    }
    out = *s;
    return true;
  }

  bool get_bool(std::string_view key, bool& out) {
    const toml::node* n = get(key);
    if (!n) return false;
    auto b = n->value_exact<bool>();
    if (!b) bad(key, *n, "true or false");
    out = *b;
    return true;
  }

  // An integer in [lo, hi].
  template <class T>
  bool get_int(std::string_view key, T& out, double lo, double hi) {
    const toml::node* n = get(key);
    if (!n) return false;
    auto i = n->value_exact<std::int64_t>();
    const auto want = fmt::format("an integer in [{}, {}]", number_text(lo), number_text(hi));
    if (!i) bad(key, *n, want);
    const auto x = static_cast<double>(*i);
    if (x < lo || x > hi) bad(key, *n, want);
    out = static_cast<T>(*i);
    return true;
  }

  // A number (integer or float) in [lo, hi].
  bool get_number(std::string_view key, double& out, double lo, double hi) {
    const toml::node* n = get(key);
    if (!n) return false;
    std::optional<double> x;
    if (auto i = n->value_exact<std::int64_t>()) x = static_cast<double>(*i);
    if (auto d = n->value_exact<double>()) x = *d;
    const auto want = fmt::format("a number in [{}, {}]", number_text(lo), number_text(hi));
    if (!x || !(*x >= lo && *x <= hi)) bad(key, *n, want);
    out = *x;
    return true;
  }

  const toml::table* get_table(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return nullptr;
    if (!n->is_table()) bad(key, *n, "a table");
    return n->as_table();
  }

  void check_unknown() const {
    for (const auto& [k, v] : t_) {
      if (std::find(known_.begin(), known_.end(), k.str()) != known_.end()) continue;
      fail(src_.where(key_path(k.str()), k.source()),
           fmt::format("unknown key '{}' in [{}] (known: {})", k.str(), path_, join(known_)));
    }
  }

 private:
  const Sources& src_;
  const toml::table& t_;
  std::string path_;
  std::vector<std::string> known_;
};

// --- model and sampling fields --------------------------------------------------------------

const model::FieldInfo* field_info(std::string_view name) {
  for (const auto* list :
       {&model::model_spec_fields(), &model::sampling_fields(), &load::serving_fields()}) {
    for (const auto& f : *list)
      if (f.name == name) return &f;
  }
  return nullptr;
}

// [target], [load], [serve], [slo]: the serving fields (bench/load/serving_spec.h), whose names
// are "SECTION.KEY".
const std::vector<std::string> kServingSections = {"target", "load", "serve", "slo"};

bool is_serving_section(std::string_view s) {
  return std::find(kServingSections.begin(), kServingSections.end(), s) != kServingSections.end();
}

std::string field_names(const std::vector<model::FieldInfo>& fields) {
  std::vector<std::string> v;
  for (const auto& f : fields) v.push_back(f.name);
  return join(v);
}

// A value of a model or sampling field, checked by set_field on a scratch spec and typed by its
// field (integers as integers, numbers as floats). Throws invalid_argument with set_field's text.
json canonical_field_value(std::string_view name, const json& value) {
  if (load::is_serving_field(name)) {
    auto scratch = load::ServingSpec{};
    load::set_field(scratch, name, value);
    return model::checked_value(*field_info(name), value);
  }
  if (model::is_model_field(name)) {
    auto scratch = model::default_model_spec();
    model::set_field(scratch, name, value);
  } else {
    auto scratch = model::default_sampling();
    model::set_field(scratch, name, value);
  }
  const auto* f = field_info(name);
  if (f && value.is_number()) {
    if (f->type == "integer") return value.get<std::int64_t>();
    if (f->type == "number") return value.get<double>();
  }
  return value;
}

// Checks one field value, failing at `where` with "PATH: message".
json checked_field_value(const std::string& where, const std::string& path, std::string_view name,
                         const json& value) {
  try {
    return canonical_field_value(name, value);
  } catch (const std::invalid_argument& e) {
    std::string what = e.what();
    const std::string prefix = std::string(name) + ": ";
    if (what.rfind(prefix, 0) == 0) what.erase(0, prefix.size());
    fail(where, path + ": " + what);
  }
}

// --- --set --------------------------------------------------------------------------------

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

bool takes_string(const std::vector<std::string>& segments) {
  if (segments.size() == 3 && segments[0] == "factors") return false;
  if (segments.size() != 2) return false;
  const auto& section = segments[0];
  const auto& key = segments[1];
  if (section == "model" || section == "sampling") {
    const auto* f = field_info(key);
    return f && f->type == "string";
  }
  if (is_serving_section(section)) {
    const auto* f = field_info(section + "." + key);
    return f && f->type == "string";
  }
  if (section == "factors" || section == "configs") return false;
  for (const auto& k : study_keys()) {
    if (k.key == section + "." + key) return k.type == "string";
  }
  return false;
}

void apply_set(toml::table& root, const std::string& set, std::size_t index, Sources& src) {
  const auto eq = set.find('=');
  const std::string key = trim(std::string_view(set).substr(0, eq));
  const std::string where = "--set " + (key.empty() ? set : key);
  if (eq == std::string::npos) fail(where, "expected KEY=VALUE (e.g. design.seed=7)");
  std::vector<std::string> segments;
  for (std::size_t b = 0;;) {
    const auto dot = key.find('.', b);
    segments.push_back(key.substr(b, dot == std::string::npos ? std::string::npos : dot - b));
    if (segments.back().empty()) fail(where, "KEY must be a dot path such as design.seed");
    if (dot == std::string::npos) break;
    b = dot + 1;
  }
  const std::string text = trim(std::string_view(set).substr(eq + 1));

  // The value: TOML when it reads as exactly one TOML value, else the bare string.
  toml::table parsed;
  bool is_toml = false;
  try {
    parsed = toml::parse(std::string_view("v = " + text), std::string_view(where));
    is_toml = parsed.size() == 1 && parsed.get("v") != nullptr;
  } catch (const toml::parse_error&) {
  }
  toml::node* value = is_toml ? parsed.get("v") : nullptr;
  const bool scalar =
      value && (value->is_integer() || value->is_floating_point() || value->is_boolean() ||
                value->is_date() || value->is_time() || value->is_date_time());
  if (!is_toml || (scalar && takes_string(segments))) {
    parsed.insert_or_assign("v", text);
    value = parsed.get("v");
  }

  toml::table* t = &root;
  std::string path;
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    path += (i ? "." : "") + segments[i];
    toml::node* n = t->get(segments[i]);
    if (!n) {
      n = &t->insert_or_assign(segments[i], toml::table{}).first->second;
      src.add(path, key, index);
    } else if (!n->is_table()) {
      fail(where, fmt::format("{} is {}, not a table", path, type_name(*n)));
    }
    t = n->as_table();
  }
  value->visit([&](auto&& v) { t->insert_or_assign(segments.back(), std::move(v)); });
  src.replace(key, key, index);
}

// --- sections -------------------------------------------------------------------------------

const std::vector<std::string> kSections = {"study",  "model",    "sampling", "factors",
                                            "design", "workload", "protocol", "meter",
                                            "target", "load",     "serve",    "slo"};

// A table's entries with the serving sections' nested tables flattened into dotted names:
// `load.streams = [1, 2]` (or [factors.load] streams = ...) is the entry "load.streams". A
// nested table of another name stays as it is (a range { min, max }).
std::vector<std::pair<std::string, const toml::node*>> flat_entries(
    const toml::table& t, std::vector<const toml::key*>* keys = nullptr) {
  std::vector<std::pair<std::string, const toml::node*>> out;
  for (const auto& [k, v] : t) {
    const std::string name(k.str());
    if (is_serving_section(name) && v.is_table()) {
      for (const auto& [k2, v2] : *v.as_table()) {
        out.emplace_back(name + "." + std::string(k2.str()), &v2);
        if (keys) keys->push_back(&k2);
      }
    } else {
      out.emplace_back(name, &v);
      if (keys) keys->push_back(&k);
    }
  }
  return out;
}

bool valid_name(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

struct Loader {
  const Sources& src;
  Study study;
  std::map<std::string, std::string> fixed_where;  // fixed field -> where it is set

  void read_study(Reader& top) {
    const toml::table* t = top.get_table("study");
    if (!t) fail(src.file(), "study.name is required ([study] name = \"...\")");
    Reader r(src, *t, "study");
    if (!r.get_string("name", study.study.name)) {
      fail(src.where("study", *t), "study.name is required ([study] name = \"...\")");
    }
    if (!valid_name(study.study.name)) {
      fail(r.where("name", *t->get("name")),
           fmt::format("study.name must be letters, digits, '.', '_' or '-', not \"{}\"",
                       study.study.name));
    }
    r.get_string("description", study.study.description);
    r.check_unknown();
  }

  // [model] or [sampling]: fixed field values.
  void read_fixed(Reader& top, const std::string& section) {
    const toml::table* t = top.get_table(section);
    if (!t) return;
    const bool is_model = section == "model";
    const auto& fields = is_model ? model::model_spec_fields() : model::sampling_fields();
    json& out = is_model ? study.model : study.sampling;
    for (const auto& [k, v] : *t) {
      const std::string name(k.str());
      const std::string path = section + "." + name;
      const bool known = is_model ? model::is_model_field(name) : model::is_sampling_field(name);
      if (!known) {
        fail(src.where(path, k.source()), fmt::format("unknown key '{}' in [{}] (known: {})", name,
                                                      section, field_names(fields)));
      }
      const std::string where = src.where(path, v);
      out[name] = checked_field_value(where, path, name, to_json_value(src, path, v));
      fixed_where[name] = fmt::format("[{}] ({})", section, where);
    }
  }

  // [target], [load], [serve], [slo]: fixed serving fields, stored by their dotted names.
  void read_serving(Reader& top, const std::string& section) {
    const toml::table* t = top.get_table(section);
    if (!t) return;
    for (const auto& [k, v] : *t) {
      const std::string key(k.str());
      const std::string name = section + "." + key;
      if (!load::is_serving_field(name)) {
        std::vector<std::string> known;
        for (const auto& f : load::serving_fields()) {
          if (f.name.rfind(section + ".", 0) == 0)
            known.push_back(f.name.substr(section.size() + 1));
        }
        fail(src.where(name, k.source()),
             fmt::format("unknown key '{}' in [{}] (known: {})", key, section, join(known)));
      }
      const std::string where = src.where(name, v);
      study.serving[name] = checked_field_value(where, name, name, to_json_value(src, name, v));
      fixed_where[name] = fmt::format("[{}] ({})", section, where);
    }
  }

  void check_not_fixed(const std::string& where, const std::string& name, const std::string& what) {
    if (auto it = fixed_where.find(name); it != fixed_where.end()) {
      fail(where, fmt::format("{} '{}' is also fixed in {}; a field is either fixed or varied",
                              what, name, it->second));
    }
  }

  void read_design(Reader& top) {
    auto& d = study.design;
    const toml::table* t = top.get_table("design");
    static const toml::table empty;
    Reader r(src, t ? *t : empty, "design");
    std::string kind = "grid";
    r.get_choice("kind", kind, {"grid", "random", "lhs", "list"});
    d.kind = kind == "random" ? DesignKind::kRandom
             : kind == "lhs"  ? DesignKind::kLhs
             : kind == "list" ? DesignKind::kList
                              : DesignKind::kGrid;
    const std::string kind_where = t && t->get("kind") ? src.where("design.kind", *t->get("kind"))
                                                       : (t ? src.where("design", *t) : src.file());
    const bool sampled = d.kind == DesignKind::kRandom || d.kind == DesignKind::kLhs;
    if (r.get_int("samples", d.samples, 1, 1e6)) {
      if (!sampled) {
        fail(r.where("samples", *t->get("samples")),
             fmt::format("design.samples is for kind \"random\" and \"lhs\", not \"{}\"", kind));
      }
    } else if (sampled) {
      fail(kind_where, fmt::format("design.samples is required for design.kind = \"{}\"", kind));
    }
    r.get_int("seed", d.seed, 0, kMaxInt64);
    r.get_int("repeats", d.repeats, 1, 1e6);
    if (r.get_int("maximin", d.maximin, 0, 1e5) && d.kind != DesignKind::kLhs) {
      fail(r.where("maximin", *t->get("maximin")),
           fmt::format("design.maximin is for kind \"lhs\", not \"{}\"", kind));
    }
    if (const toml::node* n = r.get("configs")) {
      if (d.kind != DesignKind::kList) {
        fail(r.where("configs", *n),
             fmt::format("design.configs is for kind \"list\", not \"{}\"", kind));
      }
      const auto* a = n->as_array();
      if (!a || a->empty()) r.bad("configs", *n, "a non-empty array of tables");
      for (std::size_t i = 0; i < a->size(); ++i) {
        const toml::node& e = *a->get(i);
        const std::string path = fmt::format("design.configs[{}]", i);
        if (!e.is_table()) fail(src.where(path, e), path + " must be a table {field = value}");
        json config = json::object();
        std::vector<const toml::key*> ckeys;
        const auto entries = flat_entries(*e.as_table(), &ckeys);
        for (std::size_t ei = 0; ei < entries.size(); ++ei) {
          const std::string& name = entries[ei].first;
          const toml::node& v = *entries[ei].second;
          const toml::key& k = *ckeys[ei];
          const std::string vpath = path + "." + name;
          const std::string where = src.where(vpath, v);
          if (!field_info(name)) {
            fail(src.where(vpath, k.source()),
                 fmt::format("unknown field '{}' in {} (known: {}, {}, {})", name, path,
                             field_names(model::model_spec_fields()),
                             field_names(model::sampling_fields()),
                             field_names(load::serving_fields())));
          }
          check_not_fixed(where, name, "configuration field");
          // "load.streams" = 1 and load = { streams = 2 } are different TOML keys, one field.
          if (config.contains(name)) {
            fail(where, fmt::format("{}: field '{}' is given twice", path, name));
          }
          config[name] = checked_field_value(where, vpath, name, to_json_value(src, vpath, v));
        }
        for (std::size_t j = 0; j < d.configs.size(); ++j) {
          if (d.configs[j] == config) {
            fail(src.where(path, e), fmt::format("{} repeats design.configs[{}] (use "
                                                 "design.repeats to run a configuration again)",
                                                 path, j));
          }
        }
        d.configs.push_back(std::move(config));
      }
    } else if (d.kind == DesignKind::kList) {
      fail(kind_where, "design.kind = \"list\" needs design.configs = [ { field = value }, ... ]");
    }
    if (t) r.check_unknown();
  }

  Range read_range(const std::string& path, const toml::table& t, const model::FieldInfo& f) {
    Reader r(src, t, path);
    Range range;
    const auto lim = std::numeric_limits<double>::max();
    if (!r.get_number("min", range.min, -lim, lim)) {
      fail(src.where(path, t), path + ": a range needs min and max");
    }
    if (!r.get_number("max", range.max, -lim, lim)) {
      fail(src.where(path, t), path + ": a range needs min and max");
    }
    r.get_bool("log", range.log);
    const toml::node* integer_node = t.get("integer");
    const bool said_integer = r.get_bool("integer", range.integer);
    r.check_unknown();
    const std::string where = src.where(path, t);
    if (f.type != "integer" && f.type != "number") {
      fail(where, fmt::format("{}: {} takes {} values; a range is only for number fields (give a "
                              "list of levels)",
                              path, f.name, f.type));
    }
    if (f.type == "integer") {
      if (said_integer && !range.integer) {
        fail(src.where(path + ".integer", *integer_node),
             fmt::format("{}.integer: {} is an integer field", path, f.name));
      }
      range.integer = true;
    }
    if (!(range.min < range.max)) {
      fail(where, fmt::format("{}: min ({}) must be below max ({})", path, number_text(range.min),
                              number_text(range.max)));
    }
    for (const double bound : {range.min, range.max}) {
      const bool integral = bound == std::floor(bound) && std::abs(bound) < 9e15;
      checked_field_value(where, path, f.name,
                          integral ? json(static_cast<std::int64_t>(bound)) : json(bound));
    }
    if (range.integer) {
      if (range.min != std::floor(range.min) || range.max != std::floor(range.max)) {
        fail(where, path + ": an integer range needs integral min and max");
      }
      if (range.max - range.min > 1e15) fail(where, path + ": the integer range is too wide");
    }
    if (range.log && !(range.min > 0)) {
      fail(where,
           fmt::format("{}: a log range needs min > 0 (min {})", path, number_text(range.min)));
    }
    if (range.log && range.integer && range.min < 1) {
      fail(where, path + ": a log integer range needs min >= 1");
    }
    return range;
  }

  void read_factors(Reader& top) {
    const toml::table* t = top.get_table("factors");
    if (!t) return;
    const auto kind = study.design.kind;
    if (kind == DesignKind::kList && !t->empty()) {
      fail(src.where("factors", *t),
           "[factors] is not used by design.kind = \"list\" (its configurations are "
           "design.configs)");
    }
    // File order: by source position; factors added by --set after, in override order.
    struct Entry {
      std::string name;
      const toml::key* key;
      const toml::node* value;
      std::tuple<int, std::uint64_t, std::uint64_t, std::size_t> order;
    };
    std::vector<Entry> entries;
    std::vector<const toml::key*> fkeys;
    const auto flat = flat_entries(*t, &fkeys);
    for (std::size_t fi = 0; fi < flat.size(); ++fi) {
      const toml::key& k = *fkeys[fi];
      const toml::node& v = *flat[fi].second;
      const std::string path = "factors." + flat[fi].first;
      const auto& pos = k.source().begin;
      const auto* o = src.override_of(path);
      if (pos.line != 0) {  // from the file (or replaced by --set: it keeps its place)
        entries.push_back({flat[fi].first, &k, &v, {0, pos.line, pos.column, 0}});
      } else {
        entries.push_back({flat[fi].first, &k, &v, {1, 0, 0, o ? o->second : 0}});
      }
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry& a, const Entry& b) { return a.order < b.order; });
    for (const auto& e : entries) {
      const std::string& name = e.name;
      const std::string path = "factors." + name;
      const std::string where = src.where(path, *e.value);
      const auto* f = field_info(name);
      if (!f) {
        fail(src.where(path, e.key->source()),
             fmt::format("unknown factor '{}' (known: the model fields {}; the sampling fields "
                         "{}; the serving fields {})",
                         name, field_names(model::model_spec_fields()),
                         field_names(model::sampling_fields()),
                         field_names(load::serving_fields())));
      }
      check_not_fixed(where, name, "factor");
      // "load.streams", load.streams and [factors.load] streams are different TOML keys, one
      // factor.
      if (study.factor(name)) fail(where, fmt::format("factor '{}' is given twice", name));
      Factor factor;
      factor.name = name;
      if (const auto* a = e.value->as_array()) {
        if (a->empty()) fail(where, path + " needs at least one level");
        for (std::size_t i = 0; i < a->size(); ++i) {
          const std::string lpath = fmt::format("{}[{}]", path, i);
          const toml::node& l = *a->get(i);
          auto level =
              checked_field_value(src.where(lpath, l), lpath, name, to_json_value(src, lpath, l));
          if (std::find(factor.levels.begin(), factor.levels.end(), level) != factor.levels.end()) {
            fail(src.where(lpath, l),
                 fmt::format("{}: level {} appears twice", path, level.dump()));
          }
          factor.levels.push_back(std::move(level));
        }
      } else if (const auto* rt = e.value->as_table()) {
        factor.range = read_range(path, *rt, *f);
        if (kind == DesignKind::kGrid) {
          fail(where, fmt::format("{} is a range; design.kind = \"grid\" needs a list of levels "
                                  "(ranges are for \"random\" and \"lhs\")",
                                  path));
        }
      } else {
        fail(where, fmt::format("{} must be a list of levels or a range {{ min, max, log, "
                                "integer }}, not {}",
                                path, type_name(*e.value)));
      }
      study.factors.push_back(std::move(factor));
    }
  }

  void read_workload(Reader& top) {
    const toml::table* t = top.get_table("workload");
    if (!t) return;
    auto& w = study.workload;
    Reader r(src, *t, "workload");
    r.get_string("prompts", w.prompts);
    r.get_int("requests", w.requests, 1, 1e9);
    r.get_number("min_duration_s", w.min_duration_s, 0, 1e7);
    r.get_string("labels", w.labels);
    r.check_unknown();
  }

  void read_protocol(Reader& top) {
    auto& p = study.protocol;
    p.order_seed = study.design.seed;
    const toml::table* t = top.get_table("protocol");
    if (!t) return;
    Reader r(src, *t, "protocol");
    r.get_int("warmup_runs", p.warmup_runs, 0, 1000);
    r.get_number("cooldown_s", p.cooldown_s, 0, 86400);
    r.get_number("cooldown_within_pct", p.cooldown_within_pct, 0, 1000);
    r.get_number("cooldown_timeout_s", p.cooldown_timeout_s, 0, 86400);
    r.get_number("idle_s", p.idle_s, 0, 86400);
    r.get_number("idle_every_min", p.idle_every_min, 0, 1e6);
    std::string order = "shuffled";
    r.get_choice("order", order, {"shuffled", "blocked", "sequential"});
    p.order = order == "blocked"      ? RunOrder::kBlocked
              : order == "sequential" ? RunOrder::kSequential
                                      : RunOrder::kShuffled;
    r.get_int("order_seed", p.order_seed, 0, kMaxInt64);
    r.check_unknown();
  }

  void read_meter(Reader& top) {
    const toml::table* t = top.get_table("meter");
    if (!t) return;
    Reader r(src, *t, "meter");
    r.get_int("interval_ms", study.meter.interval_ms, 1, 3600000);
    r.get_string("sensors", study.meter.sensors);
    r.check_unknown();
  }

  void check_design() {
    const auto& d = study.design;
    if ((d.kind == DesignKind::kRandom || d.kind == DesignKind::kLhs) && study.factors.empty()) {
      fail(src.file(), fmt::format("design.kind = \"{}\" needs at least one factor in [factors]",
                                   to_string(d.kind)));
    }
    if (study.protocol.cooldown_within_pct > 0 && !(study.protocol.idle_s > 0)) {
      fail(src.file(),
           "protocol.cooldown_within_pct waits for power to come back near the idle "
           "baseline, which needs protocol.idle_s > 0");
    }
  }
};

}  // namespace

void check_runnable(const Study& study) {
  const auto& d = study.design;
  // The in-process engine and `wattserve serve` load the model; an external server or a URL
  // may serve one the study does not name.
  const auto modelless = [](const nlohmann::json& kind) {
    return kind == "url" || kind == "external";
  };
  bool has_model = study.model.contains("model") || study.factor("model") != nullptr ||
                   modelless(study.serving.value("target.kind", ""));
  if (const Factor* f = study.factor("target.kind"); !has_model && f && !f->levels.empty()) {
    has_model = std::all_of(f->levels.begin(), f->levels.end(), modelless);
  }
  if (!has_model && d.kind == DesignKind::kList && !d.configs.empty()) {
    has_model = std::all_of(d.configs.begin(), d.configs.end(), [&](const nlohmann::json& c) {
      return c.contains("model") || modelless(c.value("target.kind", ""));
    });
  }
  if (!has_model) {
    throw std::invalid_argument(
        fmt::format("{}: no model to run: give model = \"...\" in [model], a factor model = "
                    "[...], or model in every design.configs entry",
                    study.path));
  }
  // Bounded work: at most kMaxRuns runs, and a maximin search of bounded cost.
  double configs = 1;
  switch (d.kind) {
    case DesignKind::kGrid:
      for (const auto& f : study.factors) configs *= static_cast<double>(f.levels.size());
      break;
    case DesignKind::kRandom:
    case DesignKind::kLhs:
      configs = d.samples;
      break;
    case DesignKind::kList:
      configs = static_cast<double>(d.configs.size());
      break;
  }
  const double runs = configs * (d.repeats + study.protocol.warmup_runs);
  if (runs > kMaxRuns) {
    throw std::invalid_argument(fmt::format(
        "{}: the design has {:.0f} configurations x ({} repeats + {} warm-ups) = {:.0f} runs; at "
        "most {:.0f} (split the study, or lower design.samples / design.repeats / the levels)",
        study.path, configs, d.repeats, study.protocol.warmup_runs, runs, kMaxRuns));
  }
  if (d.kind == DesignKind::kLhs && d.maximin > 1 &&
      static_cast<double>(d.maximin) * configs * configs > 1e10) {
    throw std::invalid_argument(fmt::format(
        "{}: design.maximin = {} over {} samples compares {:.2g} pairs; at most 1e10 "
        "(lower design.maximin)",
        study.path, d.maximin, d.samples, static_cast<double>(d.maximin) * configs * configs));
  }
}

namespace {

Study parse_table(toml::table root, const std::string& source_name,
                  const std::vector<std::string>& sets) {
  Sources src(source_name);
  for (std::size_t i = 0; i < sets.size(); ++i) apply_set(root, sets[i], i, src);
  Loader l{src, {}, {}};
  l.study.path = source_name;
  Reader top(src, root, "");
  for (const auto& [k, v] : root) {
    const std::string name(k.str());
    if (std::find(kSections.begin(), kSections.end(), name) == kSections.end()) {
      fail(src.where(name, k.source()),
           fmt::format("unknown section [{}] (known: {})", name, join(kSections)));
    }
    if (!v.is_table()) {
      fail(src.where(name, v),
           fmt::format("{} must be a table ([{}]), not {}", name, name, type_name(v)));
    }
  }
  l.read_study(top);
  l.read_fixed(top, "model");
  l.read_fixed(top, "sampling");
  for (const auto& section : kServingSections) l.read_serving(top, section);
  l.read_design(top);
  l.read_factors(top);
  l.read_workload(top);
  l.read_protocol(top);
  l.read_meter(top);
  l.check_design();
  return std::move(l.study);
}

// --- TOML output ----------------------------------------------------------------------------

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += fmt::format("\\u{:04X}", static_cast<unsigned>(u));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string toml_key(const std::string& k) {
  const bool bare = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
  return bare ? k : toml_string(k);
}

std::string toml_float(double x) {
  std::string s = fmt::format("{}", x);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string toml_value(const json& v) {
  if (v.is_string()) return toml_string(v.get<std::string>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) return toml_float(v.get<double>());
  if (v.is_array()) {
    std::vector<std::string> items;
    for (const auto& e : v) items.push_back(toml_value(e));
    return "[" + join(items) + "]";
  }
  if (v.is_object()) {
    if (v.empty()) return "{}";
    std::vector<std::string> items;
    for (const auto& [k, e] : v.items()) items.push_back(toml_key(k) + " = " + toml_value(e));
    return "{ " + join(items) + " }";
  }
  throw std::invalid_argument("a study value cannot be null in TOML");
}

json range_json(const Range& r) {
  json j = {{"log", r.log}, {"integer", r.integer}};
  if (r.integer) {
    j["min"] = static_cast<std::int64_t>(r.min);
    j["max"] = static_cast<std::int64_t>(r.max);
  } else {
    j["min"] = r.min;
    j["max"] = r.max;
  }
  return j;
}

}  // namespace

const char* to_string(DesignKind kind) {
  switch (kind) {
    case DesignKind::kGrid:
      return "grid";
    case DesignKind::kRandom:
      return "random";
    case DesignKind::kLhs:
      return "lhs";
    case DesignKind::kList:
      return "list";
  }
  return "?";
}

const char* to_string(RunOrder order) {
  switch (order) {
    case RunOrder::kShuffled:
      return "shuffled";
    case RunOrder::kBlocked:
      return "blocked";
    case RunOrder::kSequential:
      return "sequential";
  }
  return "?";
}

const Factor* Study::factor(std::string_view name) const {
  for (const auto& f : factors)
    if (f.name == name) return &f;
  return nullptr;
}

Study parse_study(std::string_view toml_text, const std::string& source_name,
                  const std::vector<std::string>& sets) {
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string_view(source_name));
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw std::invalid_argument(
        fmt::format("{}:{}:{}: {}", source_name, b.line, b.column, e.description()));
  }
  return parse_table(std::move(root), source_name, sets);
}

Study load_study(const std::string& path, const std::vector<std::string>& sets) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(path + ": cannot read the study file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::invalid_argument(path + ": cannot read the study file");
  return parse_study(text.str(), path, sets);
}

json to_json(const Study& s) {
  json factors = json::array();
  for (const auto& f : s.factors) {
    json j = {{"name", f.name}};
    if (f.range) {
      j["range"] = range_json(*f.range);
    } else {
      j["levels"] = f.levels;
    }
    factors.push_back(std::move(j));
  }
  json design = {
      {"kind", to_string(s.design.kind)}, {"seed", s.design.seed}, {"repeats", s.design.repeats}};
  if (s.design.kind == DesignKind::kRandom || s.design.kind == DesignKind::kLhs) {
    design["samples"] = s.design.samples;
  }
  if (s.design.kind == DesignKind::kLhs) design["maximin"] = s.design.maximin;
  if (s.design.kind == DesignKind::kList) design["configs"] = s.design.configs;
  const auto& p = s.protocol;
  json out = {
      {"study", {{"name", s.study.name}, {"description", s.study.description}}},
      {"model", s.model},
      {"sampling", s.sampling},
      {"factors", factors},
      {"design", design},
      {"workload",
       {{"prompts", s.workload.prompts},
        {"requests", s.workload.requests},
        {"min_duration_s", s.workload.min_duration_s},
        {"labels", s.workload.labels}}},
      {"protocol",
       {{"warmup_runs", p.warmup_runs},
        {"cooldown_s", p.cooldown_s},
        {"cooldown_within_pct", p.cooldown_within_pct},
        {"cooldown_timeout_s", p.cooldown_timeout_s},
        {"idle_s", p.idle_s},
        {"idle_every_min", p.idle_every_min},
        {"order", to_string(p.order)},
        {"order_seed", p.order_seed}}},
      {"meter", {{"interval_ms", s.meter.interval_ms}, {"sensors", s.meter.sensors}}},
  };
  // The serving fields only when the study sets some (so a study of the in-process engine
  // keeps the hash it had before they existed).
  if (!s.serving.empty()) out["serving"] = s.serving;
  return out;
}

std::string study_hash(const Study& study) {
  json j = to_json(study);
  j["study"].erase("description");
  j["protocol"].erase("order");
  j["protocol"].erase("order_seed");
  if (study.design.kind != DesignKind::kRandom && study.design.kind != DesignKind::kLhs) {
    j["design"].erase("seed");
  }
  return sha256_hex(j.dump());
}

std::string to_toml(const Study& s) {
  const json j = to_json(s);
  std::string out;
  out += fmt::format(
      "# The resolved study \"{}\" (study hash {}): the study file with its --set overrides\n"
      "# applied and every default written out. `wattserve bench` reads it as it is.\n",
      s.study.name, study_hash(s));
  const auto section = [&](const std::string& name, const json& values,
                           const std::vector<std::string>& order) {
    out += "\n[" + name + "]\n";
    for (const auto& k : order) {
      if (values.contains(k)) out += toml_key(k) + " = " + toml_value(values.at(k)) + "\n";
    }
  };
  const auto keys = [](const json& o) {
    std::vector<std::string> v;
    for (const auto& [k, e] : o.items()) v.push_back(k);
    return v;
  };
  section("study", j["study"], {"name", "description"});
  section("model", j["model"], keys(j["model"]));
  section("sampling", j["sampling"], keys(j["sampling"]));
  out += "\n[factors]\n";
  for (const auto& f : s.factors) {
    if (f.range) {
      const json r = range_json(*f.range);
      out += fmt::format("{} = {{ min = {}, max = {}, log = {}, integer = {} }}\n",
                         toml_key(f.name), toml_value(r["min"]), toml_value(r["max"]),
                         toml_value(r["log"]), toml_value(r["integer"]));
    } else {
      out += toml_key(f.name) + " = " + toml_value(json(f.levels)) + "\n";
    }
  }
  out += "\n[design]\n";
  for (const char* k : {"kind", "samples", "seed", "repeats", "maximin"}) {
    if (j["design"].contains(k)) out += fmt::format("{} = {}\n", k, toml_value(j["design"][k]));
  }
  if (j["design"].contains("configs")) {
    out += "configs = [\n";
    for (const auto& c : j["design"]["configs"]) out += "  " + toml_value(c) + ",\n";
    out += "]\n";
  }
  section("workload", j["workload"], {"prompts", "requests", "min_duration_s", "labels"});
  section("protocol", j["protocol"],
          {"warmup_runs", "cooldown_s", "cooldown_within_pct", "cooldown_timeout_s", "idle_s",
           "idle_every_min", "order", "order_seed"});
  section("meter", j["meter"], {"interval_ms", "sensors"});
  for (const auto& sec : kServingSections) {
    json values = json::object();
    for (const auto& [k, v] : s.serving.items()) {
      if (k.rfind(sec + ".", 0) == 0) values[k.substr(sec.size() + 1)] = v;
    }
    if (!values.empty()) section(sec, values, keys(values));
  }
  return out;
}

RunSettings run_settings(const Study& study, const nlohmann::json& config) {
  RunSettings r{model::default_model_spec(), model::default_sampling(), {}};
  const auto apply = [&](const json& values) {
    for (const auto& [k, v] : values.items()) {
      if (load::is_serving_field(k)) {
        load::set_field(r.serving, k, v);
      } else if (model::is_model_field(k)) {
        model::set_field(r.model, k, v);
      } else {
        model::set_field(r.sampling, k, v);
      }
    }
  };
  apply(study.model);
  apply(study.sampling);
  apply(study.serving);
  apply(config);
  return r;
}

const std::vector<StudyKey>& study_keys() {
  static const std::vector<StudyKey> keys = {
      {"study.name", "string", "", "The study's name (required): letters, digits, '.', '_', '-'"},
      {"study.description", "string", "\"\"", "Free text (not part of the study hash)"},
      {"model.*", "field", "", "A ModelSpec field fixed for every run (model_spec_fields())"},
      {"sampling.*", "field", "", "A sampling field fixed for every run (sampling_fields())"},
      {"factors.*", "array or table", "",
       "A varied model or sampling field: a list of levels, or a range { min, max, log, "
       "integer } for random and lhs"},
      {"design.kind", "string", "\"grid\"", "grid | random | lhs | list"},
      {"design.samples", "integer", "",
       "random and lhs: the number of configurations (required there)"},
      {"design.seed", "integer", "1", "random and lhs: the sampling seed; the default order seed"},
      {"design.repeats", "integer", "1", "Measured runs of every configuration (>= 1)"},
      {"design.maximin", "integer", "0",
       "lhs: the best of this many candidate designs by maximin distance (0 or 1: one)"},
      {"design.configs", "array of tables", "", "list: the configurations, { field = value }"},
      {"workload.prompts", "string", "\"\"",
       "A built-in prompt set, or a .jsonl / .npy file; empty: the default for the model's kind "
       "(pycode-completion, fmnist-test, ocr-images)"},
      {"workload.requests", "integer", "8", "Requests per run (>= 1)"},
      {"workload.min_duration_s", "float", "0",
       "A run lasts at least this long; the later of the two ends it"},
      {"workload.labels", "string", "\"\"", ".npy int64 labels of a user .npy workload"},
      {"protocol.warmup_runs", "integer", "1",
       "Warm-up runs per configuration, before its first measured run"},
      {"protocol.cooldown_s", "float", "0", "Fixed pause between runs"},
      {"protocol.cooldown_within_pct", "float", "0",
       "> 0: pause until power is within X % of the idle baseline"},
      {"protocol.cooldown_timeout_s", "float", "30", "... at most this long"},
      {"protocol.idle_s", "float", "5", "Idle-baseline measurement length (0: none)"},
      {"protocol.idle_every_min", "float", "10",
       "Re-measure the idle baseline every M minutes (0: only at the start)"},
      {"protocol.order", "string", "\"shuffled\"", "shuffled | blocked | sequential"},
      {"protocol.order_seed", "integer", "design.seed", "The run order's seed"},
      {"meter.interval_ms", "integer", "100", "Meter sampling interval"},
      {"meter.sensors", "string", "\"\"", "As `wattserve measure --sensors`; empty: automatic"},
  };
  static const std::vector<StudyKey> all = [] {
    std::vector<StudyKey> v = keys;
    for (const auto& f : load::serving_fields()) {
      v.push_back({f.name, f.type == "number" ? "float" : f.type, f.default_value.dump(), f.help});
    }
    return v;
  }();
  return all;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed (OpenSSL EVP_Digest)");
  }
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) out += fmt::format("{:02x}", md[i]);
  return out;
}

}  // namespace wattserve::bench
