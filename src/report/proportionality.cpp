// Energy proportionality against batch size or concurrency (analysis.h, docs/report.md
// "Energy proportionality"): the J-per-item curve and its knee, the idle share of power and the
// proportionality index.
#include <algorithm>
#include <cmath>
#include <map>

#include "report/analysis.h"
#include "report/metrics.h"

namespace wattserve::report {

namespace {

// Factor names (by their last dotted part) that set how much work runs at once.
bool is_load_factor(const std::string& name) {
  const auto dot = name.rfind('.');
  const auto last = dot == std::string::npos ? name : name.substr(dot + 1);
  for (const char* n : {"batch", "batch_size", "max_batch", "streams", "concurrency", "parallel",
                        "slots", "max_in_flight"}) {
    if (last == n) return true;
  }
  return false;
}

double idle_watts(const nlohmann::json& record) {
  const nlohmann::json::json_pointer ptr("/energy/idle_baseline/watts_by_domain");
  if (!record.contains(ptr) || !record.at(ptr).is_object()) return NAN;
  double sum = 0;
  for (const auto& [id, w] : record.at(ptr).items()) {
    if (!w.is_number()) return NAN;
    sum += w.get<double>();
  }
  return sum;
}

}  // namespace

double kneedle(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() < 3 || x.size() != y.size()) return NAN;
  const auto [xlo, xhi] = std::minmax_element(x.begin(), x.end());
  const auto [ylo, yhi] = std::minmax_element(y.begin(), y.end());
  const double xr = *xhi - *xlo, yr = *yhi - *ylo;
  if (!(xr > 0) || !(yr > 0)) return NAN;
  // Scaled to [0, 1]; for a decreasing curve the knee is where y_s falls farthest below the
  // chord from the first point to the last.
  const double x0 = (x.front() - *xlo) / xr, y0 = (y.front() - *ylo) / yr;
  const double x1 = (x.back() - *xlo) / xr, y1 = (y.back() - *ylo) / yr;
  double best = 0, knee = NAN;
  for (size_t i = 1; i + 1 < x.size(); ++i) {
    const double xs = (x[i] - *xlo) / xr, ys = (y[i] - *ylo) / yr;
    const double chord = y0 + (y1 - y0) * (xs - x0) / (x1 - x0);
    const double gap = chord - ys;
    if (gap > best + 1e-12) {
      best = gap;
      knee = x[i];
    }
  }
  return knee;
}

double proportionality_index(const std::vector<double>& throughput,
                             const std::vector<double>& watts, double idle) {
  if (throughput.empty() || throughput.size() != watts.size() || !std::isfinite(idle)) return NAN;
  std::vector<std::pair<double, double>> pts;
  const double tmax = *std::max_element(throughput.begin(), throughput.end());
  if (!(tmax > 0)) return NAN;
  pts.push_back({0.0, idle});
  for (size_t i = 0; i < throughput.size(); ++i) pts.push_back({throughput[i] / tmax, watts[i]});
  std::sort(pts.begin(), pts.end());
  // The power at the highest load is the peak of the ideal, proportional line.
  double pmax = 0;
  for (const auto& [u, w] : pts) {
    if (u == 1.0) pmax = std::max(pmax, w);
  }
  if (!(pmax > 0)) return NAN;
  double area = 0;
  for (size_t i = 1; i < pts.size(); ++i) {
    area += (pts[i].first - pts[i - 1].first) * (pts[i].second + pts[i - 1].second) / 2;
  }
  const double ideal = pmax / 2;
  return 1 - (area - ideal) / ideal;
}

std::vector<Proportionality> proportionality_analysis(const DatasetAnalysis& a,
                                                      const ReportOptions&) {
  std::vector<Proportionality> out;
  const auto& d = a.data;
  if (a.throughput_metric.empty()) return out;
  for (const auto& factor : d.factors) {
    if (!is_load_factor(factor)) continue;
    // stratum (other factors) -> configurations
    std::map<std::string, std::vector<size_t>> strata;
    for (size_t c = 0; c < d.configs.size(); ++c) {
      const auto& f = d.configs[c].factors;
      if (!f.contains(factor) || !f.at(factor).is_number()) continue;
      std::string label;
      for (const auto& [name, level] : f.items()) {
        if (name != factor) label += (label.empty() ? "" : ", ") + name + "=" + level_text(level);
      }
      strata[label].push_back(c);
    }
    for (auto& [stratum, configs] : strata) {
      if (configs.size() < 2) continue;
      Proportionality p;
      p.factor = factor;
      p.stratum = stratum;
      p.energy_metric = a.energy_metric;
      p.throughput_metric = a.throughput_metric;
      std::sort(configs.begin(), configs.end(), [&](size_t i, size_t j) {
        return d.configs[i].factors.at(factor).get<double>() <
               d.configs[j].factors.at(factor).get<double>();
      });
      std::vector<double> xs, ys, tput, watts, idles;
      for (size_t c : configs) {
        const auto& cs = a.configs[c];
        const auto* e = cs.find(a.energy_metric);
        const auto* t = cs.find(a.throughput_metric);
        const auto* w = cs.find("avg_watts");
        if (!e || !t || !w) continue;
        ProportionalityLevel l;
        l.x = d.configs[c].factors.at(factor).get<double>();
        l.runs = d.configs[c].runs.size();
        l.energy_per_item = e->median_ci;
        l.energy_per_item.estimate = e->summary.median;
        l.throughput = t->summary.median;
        l.avg_watts = w->summary.median;
        std::vector<double> idle;
        for (size_t r : d.configs[c].runs) {
          const double v = idle_watts(d.runs[r].record);
          if (std::isfinite(v)) idle.push_back(v);
        }
        l.idle_watts = idle.empty() ? NAN : stats::median(idle);
        xs.push_back(l.x);
        ys.push_back(l.energy_per_item.estimate);
        tput.push_back(l.throughput);
        watts.push_back(l.avg_watts);
        if (std::isfinite(l.idle_watts)) idles.push_back(l.idle_watts);
        p.levels.push_back(l);
      }
      if (p.levels.size() < 2) continue;
      p.knee_x = kneedle(xs, ys);
      const auto top =
          static_cast<size_t>(std::max_element(tput.begin(), tput.end()) - tput.begin());
      const double idle = idles.empty() ? NAN : stats::median(idles);
      p.idle_share = std::isfinite(idle) && watts[top] > 0 ? idle / watts[top] : NAN;
      p.index = proportionality_index(tput, watts, idle);
      out.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace wattserve::report
