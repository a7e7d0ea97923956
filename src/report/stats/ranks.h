// Internal to wattserve_stats: average ranks together with the tie term sum(t^3 - t) over the
// groups of t tied values, shared by the rank-based tests.
#pragma once

#include <vector>

namespace wattserve::report::stats::detail {

struct Ranks {
  std::vector<double> ranks;  // 1-based average ranks; all NaN when the data hold a NaN
  double tie_term = 0;        // sum over groups of tied values of t^3 - t
};

Ranks rank_with_ties(const std::vector<double>& xs);

}  // namespace wattserve::report::stats::detail
