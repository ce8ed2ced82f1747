#pragma once

#include <cstddef>

#include <boost/histogram.hpp>
#include <caf/timespan.hpp>

namespace taskactors::detail {

/// Wait times on a logarithmic scale, 16 bins per decade from 1 us to 10,000 s (bins are ~15%
/// wide). Waits under 1 us (immediate grants) count as zero.
class wait_histogram {
public:
  wait_histogram();

  void record(caf::timespan wait);

  /// The `q`-quantile (0 < q <= 1) as the upper edge of its bin; zero when nothing was recorded.
  caf::timespan quantile(double q) const;

  std::size_t count() const noexcept { return count_; }

private:
  using axis_type = boost::histogram::axis::regular<double, boost::histogram::axis::transform::log>;
  using histogram_type = decltype(boost::histogram::make_histogram(std::declval<axis_type>()));

  histogram_type hist_;
  std::size_t count_ = 0;
};

} // namespace taskactors::detail
