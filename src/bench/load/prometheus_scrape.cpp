// Prometheus text exposition parsing, one /metrics scrape, and the difference of two scrapes
// (prometheus_scrape.h).
#include "bench/load/prometheus_scrape.h"

#include <httplib.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <system_error>

namespace wattserve::bench::load {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// One line's cursor; fail() throws "line N: what".
class LineParser {
 public:
  LineParser(std::string_view line, std::size_t number) : s_(line), n_(number) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument("line " + std::to_string(n_) + ": " + what);
  }
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  std::size_t skip_blanks() {
    const std::size_t from = i_;
    while (!done() && is_blank(s_[i_])) ++i_;
    return i_ - from;
  }
  // [first, last) of a name starting here ("metric": colons allowed).
  std::string_view name(bool metric) {
    const std::size_t from = i_;
    if (done() || !is_name_start(s_[i_]) || (!metric && s_[i_] == ':')) return {};
    ++i_;
    while (!done() && is_name_char(s_[i_]) && (metric || s_[i_] != ':')) ++i_;
    return s_.substr(from, i_ - from);
  }
  // A quoted label value, returned as written between the quotes (escapes kept).
  std::string_view quoted() {
    if (peek() != '"') fail("expected '\"' to open a label value");
    const std::size_t from = ++i_;
    while (!done() && s_[i_] != '"') {
      if (s_[i_] == '\\') {
        ++i_;
        if (done()) break;
      }
      ++i_;
    }
    if (done()) fail("unterminated label value");
    return s_.substr(from, i_++ - from);
  }
  std::string_view token() {
    const std::size_t from = i_;
    while (!done() && !is_blank(s_[i_])) ++i_;
    return s_.substr(from, i_ - from);
  }
  void expect(char c, const char* what) {
    if (peek() != c) fail(what);
    ++i_;
  }

 private:
  std::string_view s_;
  std::size_t n_;
  std::size_t i_ = 0;
};

bool parse_double(std::string_view t, double& out) {
  std::string_view body = t;
  bool negative = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (iequals(body, "nan")) {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (iequals(body, "inf") || iequals(body, "infinity")) {
    out = negative ? -std::numeric_limits<double>::infinity()
                   : std::numeric_limits<double>::infinity();
    return true;
  }
  if (body.empty() || body[0] == '+' || body[0] == '-') return false;
  // from_chars takes a leading '-' but no '+': parse the sign-less body and apply the sign.
  double v = 0;
  const auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (end != body.data() + body.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    // Beyond a double (from_chars leaves v alone then): saturate or flush to 0 as strtod does.
    v = std::strtod(std::string(body).c_str(), nullptr);
  } else if (ec != std::errc()) {
    return false;
  }
  out = negative ? -v : v;
  return true;
}

bool is_integer(std::string_view t) {
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  if (t.empty()) return false;
  for (char c : t) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::vector<PromSample> parse_prometheus_text(std::string_view text) {
  std::vector<PromSample> out;
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    LineParser p(line, number);
    p.skip_blanks();
    if (p.done() || p.peek() == '#') continue;

    PromSample sample;
    const std::string_view name = p.name(true);
    if (name.empty()) p.fail("expected a metric name");
    sample.series = name;
    std::size_t blanks = p.skip_blanks();
    if (p.peek() == '{') {
      p.expect('{', "expected '{'");
      std::string labels;
      for (;;) {
        p.skip_blanks();
        if (p.peek() == '}') break;
        const std::string_view label = p.name(false);
        if (label.empty()) p.fail("expected a label name or '}'");
        p.skip_blanks();
        p.expect('=', "expected '=' after the label name");
        p.skip_blanks();
        const std::string_view value = p.quoted();
        if (!labels.empty()) labels += ',';
        labels.append(label).append("=\"").append(value).append("\"");
        p.skip_blanks();
        if (p.peek() == ',') {
          p.expect(',', "expected ','");
          continue;
        }
        if (p.peek() != '}') p.fail("expected ',' or '}' after a label value");
      }
      p.expect('}', "expected '}'");
      if (!labels.empty()) sample.series += "{" + labels + "}";
      blanks = p.skip_blanks();
    }
    if (blanks == 0) p.fail(p.done() ? "no value" : "expected a space before the value");
    const std::string_view value = p.token();
    if (value.empty()) p.fail("no value");
    if (!parse_double(value, sample.value)) p.fail("not a number: '" + std::string(value) + "'");
    if (p.skip_blanks() > 0 && !p.done()) {
      const std::string_view timestamp = p.token();
      if (!is_integer(timestamp)) {
        p.fail("not a timestamp (integer milliseconds): '" + std::string(timestamp) + "'");
      }
      p.skip_blanks();
    }
    if (!p.done()) p.fail("unexpected text after the value");
    out.push_back(std::move(sample));
  }
  return out;
}

std::map<std::string, double> scrape_metrics(const std::string& url, const std::string& path,
                                             double timeout_s) {
  const std::string where = url + path;
  httplib::Client client(url);
  if (!client.is_valid()) throw std::runtime_error("not a server URL: '" + url + "'");
  const auto limit = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::duration<double>(std::max(timeout_s, 0.001)));
  client.set_connection_timeout(limit);
  client.set_read_timeout(limit);
  client.set_write_timeout(limit);
  const auto res = client.Get(path);
  if (!res)
    throw std::runtime_error("cannot scrape " + where + ": " + httplib::to_string(res.error()));
  if (res->status != 200) {
    throw std::runtime_error("cannot scrape " + where + ": HTTP " + std::to_string(res->status));
  }
  std::map<std::string, double> out;
  try {
    for (auto& s : parse_prometheus_text(res->body)) out[std::move(s.series)] = s.value;
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(where + ": " + e.what());
  }
  return out;
}

nlohmann::json metrics_delta(const std::map<std::string, double>& before,
                             const std::map<std::string, double>& after) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [series, value] : after) {
    const auto it = before.find(series);
    const double d = value - (it == before.end() ? 0.0 : it->second);
    if (std::isfinite(d)) {
      out[series] = d;
    } else {
      out[series] = nullptr;
    }
  }
  return out;
}

}  // namespace wattserve::bench::load
