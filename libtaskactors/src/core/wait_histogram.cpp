#include "core/wait_histogram.hpp"

#include <chrono>
#include <cmath>

namespace taskactors::detail {

namespace {

constexpr double min_seconds = 1e-6;
constexpr double max_seconds = 1e4;
constexpr unsigned bins_per_decade = 16;
constexpr unsigned decades = 10;

} // namespace

wait_histogram::wait_histogram()
    : hist_(boost::histogram::make_histogram(
          axis_type(bins_per_decade * decades, min_seconds, max_seconds))) {}

void wait_histogram::record(caf::timespan wait) {
  hist_(std::chrono::duration<double>(wait).count());
  ++count_;
}

caf::timespan wait_histogram::quantile(double q) const {
  if (count_ == 0)
    return caf::timespan{0};
  auto target = static_cast<double>(count_) * q;
  double seen = 0;
  for (auto&& bin : boost::histogram::indexed(hist_, boost::histogram::coverage::all)) {
    seen += *bin;
    if (seen >= target && seen > 0) {
      if (bin.index() < 0)
        return caf::timespan{0};
      auto upper = std::isinf(bin.bin().upper()) ? max_seconds : bin.bin().upper();
      return std::chrono::duration_cast<caf::timespan>(std::chrono::duration<double>(upper));
    }
  }
  return std::chrono::duration_cast<caf::timespan>(std::chrono::duration<double>(max_seconds));
}

} // namespace taskactors::detail
