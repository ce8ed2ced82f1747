// The summary statistics the apps print.

#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace apps {

/// The `q` quantile of `xs` (0 <= q <= 1) by the nearest rank; 0 for no samples.
inline double percentile(std::vector<double> xs, double q) {
  if (xs.empty())
    return 0;
  auto i = static_cast<std::size_t>(q * static_cast<double>(xs.size() - 1) + 0.5);
  i = std::min(i, xs.size() - 1);
  std::nth_element(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(i), xs.end());
  return xs[i];
}

} // namespace apps
