#include "serve/request_json.h"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "serve/openai_api.h"

namespace wattserve::serve {

namespace {

using nlohmann::json;

// The deepest nesting of [ and { outside strings; stops counting once past `limit`.
int nesting_depth(std::string_view body, int limit) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) break;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

void check_depth(std::string_view body) {
  if (nesting_depth(body, kMaxRequestJsonDepth) > kMaxRequestJsonDepth) {
    throw bad_request("",
                      fmt::format("the request body nests arrays or objects deeper than {} levels",
                                  kMaxRequestJsonDepth));
  }
}

// nlohmann's SAX events reduced to "a value starts" and "a container ends", with the path of the
// value (one step per open container below the top object). Skips, without asking, everything
// inside a container that begin() declined (returned false for).
template <typename Derived>
class PathSax {
 public:
  bool null() { return scalar(json(nullptr)); }
  bool boolean(bool v) { return scalar(json(v)); }
  bool number_integer(json::number_integer_t v) { return scalar(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return scalar(json(v)); }
  bool number_float(json::number_float_t v, const json::string_t&) { return scalar(json(v)); }
  bool string(json::string_t& v) { return scalar(json(std::move(v))); }
  bool binary(json::binary_t&) { return scalar(json()); }  // not in JSON text
  bool start_object(std::size_t) { return open(JsonEvent::kObject); }
  bool start_array(std::size_t) { return open(JsonEvent::kArray); }
  bool key(json::string_t& k) {
    if (skip_ == 0 && !path_.empty()) path_.back().key = std::move(k);
    return true;
  }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

 protected:
  // Stops descending into the innermost open container: the rest of it is skipped.
  void skip_rest() {
    path_.pop_back();
    counts_.pop_back();
    skip_ = 1;
  }
  std::vector<JsonStep> path_;
  std::size_t skip_ = 0;  // > 0: inside a skipped container, this many levels deep

 private:
  bool started() {
    if (path_.empty()) return true;
    if (path_.back().in_array) path_.back().index = counts_.back();
    ++counts_.back();
    return true;
  }
  bool scalar(json&& v) {
    if (skip_ > 0 || !top_) {
      top_ = true;  // the top value is the body (parse_request_object checks it is an object)
      return true;
    }
    started();
    return static_cast<Derived*>(this)->on_value(JsonEvent::kScalar, std::move(v));
  }
  bool open(JsonEvent e) {
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    if (!top_) {  // the body: only an object is read into (parse_request_object rejects others)
      top_ = true;
      static_cast<Derived*>(this)->on_top(e);
      if (e == JsonEvent::kArray) {
        skip_ = 1;
        return true;
      }
    } else {
      started();
      const std::size_t depth = path_.size();
      if (!static_cast<Derived*>(this)->on_value(e, json())) return false;
      if (path_.size() < depth) return true;  // the parent became skipped
      if (skip_ > 0) return true;             // this one is not descended into
    }
    path_.push_back(JsonStep{e == JsonEvent::kArray, {}, 0});
    counts_.push_back(0);
    return static_cast<Derived*>(this)->on_opened();
  }
  bool close() {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    path_.pop_back();
    counts_.pop_back();
    return static_cast<Derived*>(this)->on_closed();
  }

  std::vector<std::size_t> counts_;  // entries so far of each open container
  bool top_ = false;
};

// Builds the DOM of what the policy keeps (like nlohmann's json_sax_dom_parser otherwise: a later
// duplicate key replaces an earlier one).
class LeanDom : public PathSax<LeanDom> {
 public:
  explicit LeanDom(const JsonPolicy& policy) : policy_(policy) {}
  json root;

  void on_top(JsonEvent e) {
    root = json(e == JsonEvent::kArray ? json::value_t::array : json::value_t::object);
    if (e == JsonEvent::kObject) open_.push_back({&root, std::numeric_limits<std::size_t>::max()});
  }
  bool on_value(JsonEvent e, json&& v) {
    Open& parent = open_.back();
    const JsonKeep keep = ++parent.count > parent.max ? JsonKeep::mark_parent()  // one too many
                          : policy_                   ? policy_(path_, e)
                                                      : JsonKeep{};
    if (keep.action == JsonKeep::kMarkParent && open_.size() > 1) {
      *parent.value = json::binary({});
      open_.pop_back();
      skip_rest();
      if (e != JsonEvent::kScalar) ++skip_;
      return true;
    }
    if (keep.action == JsonKeep::kOmit || keep.action == JsonKeep::kMarkParent) {  // top: omit
      if (e != JsonEvent::kScalar) skip_ = 1;
      return true;
    }
    json& slot =
        path_.back().in_array ? parent.value->emplace_back() : (*parent.value)[path_.back().key];
    if (keep.action == JsonKeep::kMark) {
      slot = json::binary({});
      if (e != JsonEvent::kScalar) skip_ = 1;
      return true;
    }
    if (e == JsonEvent::kScalar) {
      slot = std::move(v);
    } else {
      slot = json(e == JsonEvent::kArray ? json::value_t::array : json::value_t::object);
      pending_ = &slot;
      pending_max_ = keep.max_elements;
    }
    return true;
  }
  bool on_opened() {
    if (pending_ != nullptr) open_.push_back({pending_, pending_max_});
    pending_ = nullptr;
    return true;
  }
  bool on_closed() {
    open_.pop_back();
    return true;
  }

 private:
  struct Open {
    json* value;
    std::size_t max;
    std::size_t count = 0;
  };
  const JsonPolicy& policy_;
  std::vector<Open> open_;
  json* pending_ = nullptr;
  std::size_t pending_max_ = 0;
};

class Walker : public PathSax<Walker> {
 public:
  explicit Walker(const JsonVisitor& visit) : visit_(visit) {}
  void on_top(JsonEvent) {}
  bool on_value(JsonEvent e, json&& v) { return visit_(path_, e, std::move(v)); }
  bool on_opened() { return true; }
  bool on_closed() { return true; }

 private:
  const JsonVisitor& visit_;
};

}  // namespace

json parse_request_object(std::string_view body, const JsonPolicy& policy) {
  check_depth(body);
  LeanDom dom(policy);
  if (!json::sax_parse(body, &dom)) throw bad_request("", "the request body is not valid JSON");
  if (!dom.root.is_object()) throw bad_request("", "the request body must be a JSON object");
  return std::move(dom.root);
}

bool walk_request_object(std::string_view body, const JsonVisitor& visit) {
  check_depth(body);
  Walker w(visit);
  return json::sax_parse(body, &w);
}

bool is_json_mark(const json& j) {
  return j.is_binary();
}

bool string_field_is(const json& obj, const char* key, std::string_view want) {
  if (!obj.is_object()) return false;
  const auto it = obj.find(key);
  return it != obj.end() && it->is_string() && it->get_ref<const std::string&>() == want;
}

}  // namespace wattserve::serve
