#include "energy/sensors/cpu_tdp.h"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <set>
#include <unordered_map>

#include "energy/core/embedded_csv.h"

extern const char* const wattserve_cpu_power_csv_data;
extern const std::size_t wattserve_cpu_power_csv_size;

namespace wattserve::energy {
namespace {

bool has_digit(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// Builds a new string rather than using std::string::replace (GCC 12 -Wrestrict false positive).
std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  size_t pos = 0;
  for (size_t hit = s.find(from); hit != std::string_view::npos; hit = s.find(from, pos)) {
    out.append(s.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(s.substr(pos));
  return out;
}

std::vector<std::string> split_ws(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool ends_with_core(std::string_view t) {  // "16-core", "8-core"
  if (!t.ends_with("-core")) return false;
  std::string_view n = t.substr(0, t.size() - 5);
  return !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

bool is_ordinal(std::string_view t) {  // "11th", "2nd"
  if (t.size() < 3) return false;
  std::string_view suffix = t.substr(t.size() - 2), n = t.substr(0, t.size() - 2);
  bool digits = std::all_of(n.begin(), n.end(),
                            [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  return digits && (suffix == "th" || suffix == "st" || suffix == "nd" || suffix == "rd");
}

double weight(std::string_view token) {
  return has_digit(token) ? 2.0 : 1.0;
}

struct Normalised {
  std::string text;
  std::set<std::string> tokens;
};

Normalised make_normalised(std::string_view name) {
  Normalised n{normalize_cpu_name(name), {}};
  for (auto& t : split_ws(n.text)) n.tokens.insert(t);
  return n;
}

double similarity(const std::set<std::string>& q, const std::set<std::string>& c) {
  if (q.empty() || c.empty()) return 0;
  std::string main_token;  // the query's longest token with a digit
  for (const auto& t : q) {
    if (has_digit(t) && t.size() > main_token.size()) main_token = t;
  }
  if (!main_token.empty() && !c.contains(main_token)) return 0;
  double common = 0, wq = 0, wc = 0;
  for (const auto& t : c) {
    wc += weight(t);
    if (q.contains(t)) {
      common += weight(t);
    } else if (has_digit(t)) {
      return 0;  // the candidate names a model number the query does not have
    }
  }
  for (const auto& t : q) wq += weight(t);
  return 2 * common / (wq + wc);
}

struct Index {
  std::vector<CpuTdpEntry> entries;
  std::vector<Normalised> normalised;
  std::unordered_map<std::string, size_t> exact;
};

Index build_index(const std::vector<CpuTdpEntry>& table) {
  Index idx;
  idx.entries = table;
  idx.normalised.reserve(table.size());
  for (size_t i = 0; i < table.size(); ++i) {
    idx.normalised.push_back(make_normalised(table[i].name));
    idx.exact.emplace(idx.normalised.back().text, i);  // keeps the first of duplicates
  }
  return idx;
}

std::optional<CpuTdpMatch> match_in(std::string_view cpu_model, const Index& idx,
                                    double min_score) {
  Normalised q = make_normalised(cpu_model);
  if (q.text.empty()) return std::nullopt;
  if (auto it = idx.exact.find(q.text); it != idx.exact.end()) {
    const auto& e = idx.entries[it->second];
    return CpuTdpMatch{e.name, e.tdp_w, 1.0, true};
  }
  std::optional<size_t> best;
  double best_score = 0;
  for (size_t i = 0; i < idx.entries.size(); ++i) {
    double s = similarity(q.tokens, idx.normalised[i].tokens);
    if (s < min_score) continue;
    if (!best || s > best_score ||
        (s == best_score && idx.entries[i].name.size() < idx.entries[*best].name.size())) {
      best = i;
      best_score = s;
    }
  }
  if (!best) return std::nullopt;
  const auto& e = idx.entries[*best];
  return CpuTdpMatch{e.name, e.tdp_w, best_score, false};
}

const Index& embedded_index() {
  static const Index idx = build_index(cpu_tdp_table());
  return idx;
}

}  // namespace

const std::vector<CpuTdpEntry>& cpu_tdp_table() {
  static const std::vector<CpuTdpEntry> table = [] {
    std::vector<CpuTdpEntry> out;
    auto rows =
        parse_csv(std::string_view(wattserve_cpu_power_csv_data, wattserve_cpu_power_csv_size));
    for (size_t i = 1; i < rows.size(); ++i) {  // row 0 is the header "Name,TDP"
      if (rows[i].size() < 2 || rows[i][0].empty()) continue;
      char* end = nullptr;
      double tdp = std::strtod(rows[i][1].c_str(), &end);
      if (end == rows[i][1].c_str() || !(tdp > 0)) continue;
      out.push_back({rows[i][0], tdp});
    }
    return out;
  }();
  return table;
}

std::string normalize_cpu_name(std::string_view name) {
  std::string s;
  s.reserve(name.size());
  for (char c : name) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view mark : {"(r)", "(tm)", "(c)", "\xC2\xAE", "\xE2\x84\xA2"}) {
    s = replace_all(s, mark, " ");
  }
  if (size_t at = s.find('@'); at != std::string::npos) s.erase(at);  // "@ 2.40GHz"
  for (std::string_view with : {" with ", " w/ "}) {                  // "with Radeon Graphics"
    if (size_t at_with = s.find(with); at_with != std::string::npos) s.erase(at_with);
  }
  // Parenthesised remarks: "(9M Cache, up to 4.00 GHz)".
  for (size_t open = s.find('('); open != std::string::npos; open = s.find('(')) {
    size_t close = s.find(')', open);
    s.erase(open, close == std::string::npos ? std::string::npos : close - open + 1);
  }
  for (char& c : s) {
    if (c == ',' || c == '\t') c = ' ';
  }
  std::vector<std::string> kept;
  auto tokens = split_ws(s);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (t == "cpu" || t == "processor" || t == "intel" || t == "amd" || t == "0" || t == "apu")
      continue;
    if (ends_with_core(t)) continue;
    if (t.ends_with("ghz") || t.ends_with("mhz")) continue;
    if (is_ordinal(t) && i + 1 < tokens.size() && tokens[i + 1] == "gen") {
      ++i;  // "11th gen"
      continue;
    }
    kept.push_back(t);
  }
  std::string out;
  for (const auto& t : kept) {
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

double cpu_name_similarity(std::string_view query, std::string_view candidate) {
  std::set<std::string> q, c;
  for (auto& t : split_ws(query)) q.insert(t);
  for (auto& t : split_ws(candidate)) c.insert(t);
  return similarity(q, c);
}

std::optional<CpuTdpMatch> match_cpu_tdp(std::string_view cpu_model, double min_score) {
  return match_in(cpu_model, embedded_index(), min_score);
}

std::optional<CpuTdpMatch> match_cpu_tdp(std::string_view cpu_model,
                                         const std::vector<CpuTdpEntry>& table, double min_score) {
  return match_in(cpu_model, build_index(table), min_score);
}

}  // namespace wattserve::energy
