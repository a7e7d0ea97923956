// load_serve_config(): `wattserve serve --config FILE` (serve_config.h), with toml++.
#include "serve/serve_config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <set>
#include <stdexcept>

namespace wattserve::serve {

namespace {

std::string where(const std::string& path, const toml::node& n) {
  const auto& b = n.source().begin;
  return fmt::format("{}:{}:{}", path, b.line, b.column);
}

// Reads the keys of one table into settings, checking every key is known and typed right.
class TableReader {
 public:
  TableReader(const std::string& path, const toml::table& t, std::string table)
      : path_(path), t_(t), table_(std::move(table)) {}

  template <typename T>
  void get(const char* key, T& out, double lo, double hi) {
    known_.insert(key);
    const toml::node* n = t_.get(key);
    if (!n) return;
    double v = 0;
    if (auto i = n->value_exact<int64_t>()) {
      v = static_cast<double>(*i);
    } else if (auto d = n->value_exact<double>(); d && std::is_floating_point_v<T>) {
      v = *d;
    } else {
      throw bad(*n, key, std::is_floating_point_v<T> ? "a number" : "an integer");
    }
    if (!(v >= lo && v <= hi)) {
      throw bad(*n, key, fmt::format("in [{}, {}], not {}", lo, hi, v));
    }
    out = static_cast<T>(v);
  }

  void get(const char* key, std::string& out, std::initializer_list<const char*> allowed = {}) {
    known_.insert(key);
    const toml::node* n = t_.get(key);
    if (!n) return;
    auto s = n->value_exact<std::string>();
    if (!s) throw bad(*n, key, "a string");
    if (allowed.size() != 0) {
      bool ok = false;
      std::string list;
      for (const char* a : allowed) {
        ok = ok || *s == a;
        list += list.empty() ? a : fmt::format(", {}", a);
      }
      if (!ok) throw bad(*n, key, fmt::format("one of {}, not '{}'", list, *s));
    }
    out = *s;
  }

  void get(const char* key, bool& out) {
    known_.insert(key);
    const toml::node* n = t_.get(key);
    if (!n) return;
    auto b = n->value_exact<bool>();
    if (!b) throw bad(*n, key, "true or false");
    out = *b;
  }

  const toml::table* table(const char* key) {
    known_.insert(key);
    const toml::node* n = t_.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) throw bad(*n, key, "a table");
    return n->as_table();
  }

  void allow(const char* key) { known_.insert(key); }

  // Every key of the table must have been asked for.
  void check_unknown() const {
    for (const auto& entry : t_) {
      const auto& k = entry.first;
      if (!known_.count(std::string(k.str()))) {
        std::string list;
        for (const auto& name : known_) list += list.empty() ? name : ", " + name;
        const auto& at = k.source().begin;
        throw std::invalid_argument(fmt::format("{}:{}:{}: unknown key '{}' in {} (known: {})",
                                                path_, at.line, at.column, k.str(), table_, list));
      }
    }
  }

 private:
  std::invalid_argument bad(const toml::node& n, const char* key, const std::string& want) const {
    return std::invalid_argument(
        fmt::format("{}: {}.{} must be {}", where(path_, n), table_, key, want));
  }
  const std::string& path_;
  const toml::table& t_;
  std::string table_;
  std::set<std::string> known_;
};

void read_slo(TableReader& r, Slo& slo, const std::string& path) {
  if (const toml::table* t = r.table("slo")) {
    TableReader s(path, *t, "slo");
    s.get("ttft_s", slo.ttft_s, 0, 86400);
    s.get("tpot_s", slo.tpot_s, 0, 86400);
    s.get("e2e_s", slo.e2e_s, 0, 86400);
    s.check_unknown();
  }
}

// A TOML value as JSON for model::set_field (tables, arrays and dates: a type it refuses).
nlohmann::json toml_to_json(const toml::node& n) {
  if (auto i = n.value_exact<int64_t>()) return *i;
  if (auto d = n.value_exact<double>()) return *d;
  if (auto s = n.value_exact<std::string>()) return *s;
  if (auto b = n.value_exact<bool>()) return *b;
  return nlohmann::json::array();
}

// The [[model]] keys that are fields of the model specification, through model::set_field.
void read_model_fields(const std::string& path, const toml::table& t, model::ModelSpec& spec,
                       TableReader& r) {
  for (const auto& f : model::model_spec_fields()) {
    if (f.name == "batch") continue;  // serve batches tensor requests itself: max_batch
    r.allow(f.name.c_str());
    const toml::node* n = t.get(f.name);
    if (!n) continue;
    try {
      model::set_field(spec, f.name, toml_to_json(*n));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("{}: model.{}", where(path, *n), e.what()));
    }
  }
  if (const toml::node* n = t.get("batch")) {
    throw std::invalid_argument(
        fmt::format("{}: model.batch: serve batches tensor requests dynamically: set max_batch and "
                    "max_wait_ms instead",
                    where(path, *n)));
  }
}

}  // namespace

model::ModelSpec default_served_model() {
  model::ModelSpec s = model::default_model_spec();
  s.parallel = TextWorkerOptions{}.parallel;
  return s;
}

TextModelSettings text_settings(const ModelSpec& m) {
  TextModelSettings t = m.text;
  t.worker.parallel = m.spec.parallel;
  return t;
}

void load_serve_config(const std::string& path, ServeConfig& config, const ModelSpec& defaults,
                       const std::function<bool(std::string_view key)>& given_on_cli) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw std::invalid_argument(
        fmt::format("{}:{}:{}: {}", path, b.line, b.column, e.description()));
  }
  TableReader top(path, root, "the file");
  if (const toml::table* t = top.table("server")) {
    TableReader r(path, *t, "server");
    auto& s = config.server;
    ServeConfig file = config;  // values read here; kept only for keys not given as flags
    auto& fs = file.server;
    r.get("host", fs.host);
    r.get("port", fs.port, 0, 65535);
    r.get("api_key", fs.api_key);
    r.get("max_body", fs.max_body_bytes, 1024, static_cast<double>(std::size_t{1} << 30));
    r.get("max_prompt_bytes", fs.limits.max_prompt_bytes, 1, static_cast<double>(1 << 30));
    r.get("max_tokens_limit", fs.limits.max_tokens, 1, 1 << 20);
    r.get("timeout", fs.request_timeout_s, 0.001, 86400);
    r.get("drain_timeout", fs.drain_timeout_s, 0, 86400);
    r.get("protect_metrics", fs.protect_metrics);
    r.get("idle", file.idle_s, 0, 3600);
    r.get("interval", file.interval_ms, 1, 60000);
    r.check_unknown();
    const auto take = [&](const char* key, auto& dst, const auto& src) {
      if (t->contains(key) && !given_on_cli(key)) dst = src;
    };
    take("host", s.host, fs.host);
    take("port", s.port, fs.port);
    take("api_key", s.api_key, fs.api_key);
    take("max_body", s.max_body_bytes, fs.max_body_bytes);
    take("max_prompt_bytes", s.limits.max_prompt_bytes, fs.limits.max_prompt_bytes);
    take("max_tokens_limit", s.limits.max_tokens, fs.limits.max_tokens);
    take("timeout", s.request_timeout_s, fs.request_timeout_s);
    take("drain_timeout", s.drain_timeout_s, fs.drain_timeout_s);
    take("protect_metrics", s.protect_metrics, fs.protect_metrics);
    take("idle", config.idle_s, file.idle_s);
    take("interval", config.interval_ms, file.interval_ms);
  }
  const toml::node* models = root.get("model");
  if (models) {
    const toml::array* list = models->as_array();
    if (!list || !list->is_array_of_tables()) {
      throw std::invalid_argument(fmt::format(
          "{}: 'model' must be an array of tables: write each as [[model]]", where(path, *models)));
    }
    for (const toml::node& n : *list) {
      const toml::table& t = *n.as_table();
      TableReader r(path, t, "model");
      ModelSpec m = defaults;
      read_model_fields(path, t, m.spec, r);
      if (m.spec.model.empty()) {
        throw std::invalid_argument(
            fmt::format("{}: a [[model]] needs model = \"ZOO NAME or FILE\"", where(path, n)));
      }
      r.get("name", m.name);
      r.get("chat_template", m.text.chat_template, {"plain", "chatml"});
      r.get("max_queue", m.text.worker.max_queue, 1, static_cast<double>(1 << 20));
      std::string policy = to_string(m.text.worker.policy);
      r.get("schedule", policy, {"fcfs", "sjf", "oracle"});
      m.text.worker.policy = parse_schedule_policy(policy);
      r.get("sjf_aging", m.text.worker.aging_s, 0.001, 86400);
      r.get("max_batch", m.tensor.max_batch, 1, static_cast<double>(1 << 20));
      double wait_ms = m.tensor.max_wait_s * 1e3;
      r.get("max_wait_ms", wait_ms, 0, 10000);
      m.tensor.max_wait_s = wait_ms / 1e3;
      read_slo(r, m.text.slo, path);
      r.check_unknown();
      config.models.push_back(std::move(m));
    }
  }
  top.allow("model");
  top.check_unknown();
}

}  // namespace wattserve::serve
