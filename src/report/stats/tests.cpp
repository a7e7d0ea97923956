// Rank-based tests and effect sizes (tests.h): average ranks, Kruskal-Wallis H with the tie
// correction, Holm's step-down adjustment, Cliff's delta, Vargha-Delaney A12 and Spearman's rho,
// each computed as SciPy 1.10 computes it. Mann-Whitney U is in mann_whitney.cpp, Shapiro-Wilk in
// shapiro_wilk.cpp.
#include "report/stats/tests.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "report/stats/detail.h"
#include "report/stats/ranks.h"

namespace wattserve::report::stats {

using detail::kNaN;

namespace detail {

Ranks rank_with_ties(const std::vector<double>& xs) {
  Ranks out;
  const size_t n = xs.size();
  out.ranks.assign(n, kNaN);
  if (has_nan(xs)) return out;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return xs[a] < xs[b]; });
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && xs[order[j + 1]] == xs[order[i]]) ++j;
    const double rank = static_cast<double>(i + j) / 2 + 1;
    for (size_t k = i; k <= j; ++k) out.ranks[order[k]] = rank;
    const auto t = static_cast<double>(j - i + 1);
    out.tie_term += t * t * t - t;
    i = j + 1;
  }
  return out;
}

}  // namespace detail

std::vector<double> rankdata(const std::vector<double>& xs) {
  return detail::rank_with_ties(xs).ranks;
}

TestResult kruskal_wallis(const std::vector<std::vector<double>>& groups) {
  TestResult r;
  r.statistic = r.p = kNaN;
  std::vector<const std::vector<double>*> used;
  std::vector<double> all;
  for (const auto& g : groups) {
    if (g.empty()) continue;
    used.push_back(&g);
    all.insert(all.end(), g.begin(), g.end());
  }
  if (used.size() < 2) {
    r.method = "fewer than two non-empty groups";
    return r;
  }
  if (detail::has_nan(all)) {
    r.method = "NaN in the data";
    return r;
  }
  const detail::Ranks ranked = detail::rank_with_ties(all);
  const auto n = static_cast<double>(all.size());
  const double ties = 1.0 - ranked.tie_term / (n * n * n - n);
  if (ties == 0) {
    r.method = "all values are equal";
    return r;
  }
  double ssbn = 0;
  size_t start = 0;
  for (const auto* g : used) {
    double sum = 0;
    for (size_t i = 0; i < g->size(); ++i) sum += ranked.ranks[start + i];
    ssbn += sum * sum / static_cast<double>(g->size());
    start += g->size();
  }
  const double h = (12.0 / (n * (n + 1)) * ssbn - 3 * (n + 1)) / ties;
  r.statistic = h;
  r.p = detail::chi2_sf(h, static_cast<double>(used.size() - 1));
  r.valid = true;
  r.method = "chi-square";
  return r;
}

std::vector<double> holm(const std::vector<double>& p) {
  std::vector<double> adjusted(p.size(), kNaN);
  std::vector<size_t> order;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!std::isnan(p[i])) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  const size_t m = order.size();
  double running = 0;
  for (size_t i = 0; i < m; ++i) {
    running = std::max(running, static_cast<double>(m - i) * p[order[i]]);
    adjusted[order[i]] = std::min(1.0, running);
  }
  return adjusted;
}

double vargha_delaney_a12(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.empty() || y.empty()) return kNaN;
  std::vector<double> xy = x;
  xy.insert(xy.end(), y.begin(), y.end());
  const detail::Ranks ranked = detail::rank_with_ties(xy);
  if (std::isnan(ranked.ranks[0])) return kNaN;
  double r1 = 0;
  for (size_t i = 0; i < x.size(); ++i) r1 += ranked.ranks[i];
  const auto n1 = static_cast<double>(x.size()), n2 = static_cast<double>(y.size());
  return (r1 - n1 * (n1 + 1) / 2) / (n1 * n2);
}

double cliffs_delta(const std::vector<double>& x, const std::vector<double>& y) {
  return 2 * vargha_delaney_a12(x, y) - 1;
}

std::string cliffs_label(double delta) {
  if (std::isnan(delta)) return "undefined";
  const double d = std::fabs(delta);
  if (d < 0.147) return "negligible";
  if (d < 0.33) return "small";
  if (d < 0.474) return "medium";
  return "large";
}

TestResult spearman(const std::vector<double>& x, const std::vector<double>& y) {
  TestResult r;
  r.statistic = r.p = kNaN;
  if (x.size() != y.size()) {
    r.method = "x and y differ in length";
    return r;
  }
  if (x.size() < 3) {
    r.method = "fewer than 3 pairs";
    return r;
  }
  if (detail::has_nan(x) || detail::has_nan(y)) {
    r.method = "NaN in the data";
    return r;
  }
  const auto constant = [](const std::vector<double>& v) {
    return std::all_of(v.begin(), v.end(), [&](double e) { return e == v.front(); });
  };
  if (constant(x) || constant(y)) {
    r.method = "constant input";
    return r;
  }
  const std::vector<double> rx = rankdata(x), ry = rankdata(y);
  const auto n = static_cast<double>(x.size());
  // Ranks average (n + 1) / 2 exactly.
  const double center = (n + 1) / 2;
  double sxx = 0, syy = 0, sxy = 0;
  for (size_t i = 0; i < rx.size(); ++i) {
    const double dx = rx[i] - center, dy = ry[i] - center;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const double rho = std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
  const double dof = n - 2;
  const double t = rho * std::sqrt(std::max(0.0, dof / ((rho + 1.0) * (1.0 - rho))));
  r.statistic = rho;
  r.p = std::min(1.0, 2 * detail::t_sf(std::fabs(t), dof));
  r.valid = true;
  r.method = "t";
  return r;
}

}  // namespace wattserve::report::stats
