// load_pipeline() (planner.h): pipeline specs in TOML (examples/pipelines/*.toml), with toml++.
// Every key is checked for its type and range; an error names FILE:LINE:COLUMN and the key.
#include <fmt/format.h>
#include <toml++/toml.h>

#include <filesystem>
#include <set>
#include <stdexcept>

#include "adapt/planner.h"
#include "energy/core/atomic_file.h"

namespace wattserve::adapt {

namespace {

class Keys {
 public:
  Keys(const std::string& path, const toml::table& t, std::string where)
      : path_(path), t_(t), where_(std::move(where)) {}

  void number(const char* key, double& out, double lo, double hi) {
    const toml::node* n = get(key);
    if (!n) return;
    double v = 0;
    if (auto i = n->value_exact<int64_t>()) {
      v = static_cast<double>(*i);
    } else if (auto d = n->value_exact<double>()) {
      v = *d;
    } else {
      throw bad(*n, key, "a number");
    }
    if (!(v >= lo && v <= hi))
      throw bad(*n, key, fmt::format("a number in [{}, {}], not {}", lo, hi, v));
    out = v;
  }

  void integer(const char* key, int& out, int lo, int hi) {
    const toml::node* n = get(key);
    if (!n) return;
    out = as_int(*n, key, lo, hi);
  }

  void string(const char* key, std::string& out, bool required,
              std::initializer_list<const char*> allowed = {}) {
    const toml::node* n = get(key);
    if (!n) {
      if (required) {
        throw std::invalid_argument(fmt::format("{}: {} needs {} = \"...\"", at(t_), where_, key));
      }
      return;
    }
    auto s = n->value_exact<std::string>();
    if (!s) throw bad(*n, key, "a string");
    if (allowed.size() != 0) {
      std::string list;
      bool ok = false;
      for (const char* a : allowed) {
        ok = ok || *s == a;
        list += list.empty() ? a : fmt::format(" or {}", a);
      }
      if (!ok) throw bad(*n, key, fmt::format("{}, not '{}'", list, *s));
    }
    if (s->empty()) throw bad(*n, key, "a non-empty string");
    out = *s;
  }

  void strings(const char* key, std::vector<std::string>& out) {
    const toml::node* n = get(key);
    if (!n) return;
    const toml::array* a = n->as_array();
    if (!a) throw bad(*n, key, "an array of strings");
    out.clear();
    for (const toml::node& e : *a) {
      auto s = e.value_exact<std::string>();
      if (!s || s->empty()) throw bad(e, key, "an array of non-empty strings");
      out.push_back(*s);
    }
  }

  void integers(const char* key, std::vector<int>& out, int lo, int hi) {
    const toml::node* n = get(key);
    if (!n) return;
    const toml::array* a = n->as_array();
    if (!a || a->empty()) throw bad(*n, key, "a non-empty array of integers");
    out.clear();
    for (const toml::node& e : *a) out.push_back(as_int(e, key, lo, hi));
  }

  void allow(const char* key) { known_.insert(key); }

  void check_unknown() const {
    for (const auto& [k, v] : t_) {
      if (known_.count(std::string(k.str()))) continue;
      std::string list;
      for (const auto& name : known_) list += list.empty() ? name : ", " + name;
      const auto& b = k.source().begin;
      throw std::invalid_argument(fmt::format("{}:{}:{}: unknown key '{}' in {} (known: {})", path_,
                                              b.line, b.column, k.str(),
                                              where_.empty() ? "the file" : where_, list));
    }
  }

 private:
  const toml::node* get(const char* key) {
    known_.insert(key);
    return t_.get(key);
  }
  int as_int(const toml::node& n, const char* key, int lo, int hi) const {
    auto i = n.value_exact<int64_t>();
    if (!i) throw bad(n, key, "an integer");
    if (*i < lo || *i > hi)
      throw bad(n, key, fmt::format("an integer in [{}, {}], not {}", lo, hi, *i));
    return static_cast<int>(*i);
  }
  std::string at(const toml::node& n) const {
    const auto& b = n.source().begin;
    if (b.line == 0) return path_;
    return fmt::format("{}:{}:{}", path_, b.line, b.column);
  }
  std::invalid_argument bad(const toml::node& n, const char* key, const std::string& want) const {
    const std::string field = where_.empty() ? key : where_ + "." + key;
    return std::invalid_argument(fmt::format("{}: {} must be {}", at(n), field, want));
  }

  const std::string& path_;
  const toml::table& t_;
  std::string where_;
  std::set<std::string> known_;
};

}  // namespace

PipelineSpec load_pipeline(const std::string& path) {
  toml::table root;
  try {
    std::string text;
    try {
      text = energy::read_regular_file(path);
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument(e.what());
    }
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    if (b.line == 0) throw std::invalid_argument(fmt::format("{}: {}", path, e.description()));
    throw std::invalid_argument(
        fmt::format("{}:{}:{}: {}", path, b.line, b.column, e.description()));
  }
  PipelineSpec spec;
  spec.name = std::filesystem::path(path).stem().string();
  Keys top(path, root, "");
  top.string("name", spec.name, false);
  top.number("slo_p99_s", spec.slo_p99_s, 1e-6, 86400);
  top.number("rate_per_s", spec.rate_per_s, 1e-9, 1e9);
  top.number("accuracy_weight", spec.accuracy_weight, 0, 1e12);
  top.integer("cores", spec.cores, 0, 1 << 20);
  top.integer("gpus", spec.gpus, 0, 1 << 20);
  top.number("max_utilisation", spec.max_utilisation, 0.01, 1);
  top.allow("stage");
  top.check_unknown();
  const toml::node* stages = root.get("stage");
  if (!stages) {
    throw std::invalid_argument(
        fmt::format("{}: no [[stage]]: a pipeline needs at least one stage", path));
  }
  const toml::array* list = stages->as_array();
  if (!list || !list->is_array_of_tables() || list->empty()) {
    const auto& b = stages->source().begin;
    throw std::invalid_argument(
        fmt::format("{}:{}:{}: 'stage' must be an array of tables: write each as [[stage]]", path,
                    b.line, b.column));
  }
  size_t index = 0;
  for (const toml::node& n : *list) {
    const toml::table& t = *n.as_table();
    Keys k(path, t, fmt::format("stage[{}]", index++));
    StageSpec s;
    k.string("name", s.name, true);
    k.string("kind", s.kind, false, {"text", "tensor"});
    k.strings("variants", s.variants);
    k.integers("batch_sizes", s.batch_sizes, 1, 1 << 16);
    k.integer("max_replicas", s.max_replicas, 1, 1024);
    k.number("min_quality", s.min_quality, 0, 1);
    auto& w = s.workload;
    k.number("input_tokens", w.input_tokens, 0, 1e7);
    k.number("output_tokens", w.output_tokens, 1e-9, 1e7);
    k.number("output_tokens_p99", w.output_tokens_p99, 0, 1e7);
    k.number("items_per_request", w.items_per_request, 1e-9, 1e7);
    k.check_unknown();
    if (s.kind == "tensor") w.output_tokens = 0;
    spec.stages.push_back(std::move(s));
  }
  return spec;
}

}  // namespace wattserve::adapt
