#include "taskactors/manager_metrics.hpp"

#include <chrono>

#include <fmt/format.h>

#include "taskactors/limiter_stats.hpp"

namespace taskactors {

std::size_t manager_metrics::total(task_state state) const noexcept {
  std::size_t result = 0;
  for (auto& per_kind : by_kind_state)
    result += per_kind[static_cast<std::size_t>(state)];
  return result;
}

std::size_t manager_metrics::finished() const noexcept {
  return total(task_state::completed) + total(task_state::failed) + total(task_state::cancelled) +
         total(task_state::timeout);
}

std::size_t shutdown_report::leaked_tokens() const noexcept {
  std::size_t result = 0;
  for (auto& lim : metrics.limiters)
    result += lim.borrowed;
  return result;
}

std::string to_string(const limiter_stats& x) {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  return fmt::format("{} {}/{} (peak {}) waiting={} grants={} wait_p50={}us wait_p99={}us", x.name,
                     x.borrowed, x.capacity, x.peak_borrowed, x.waiting, x.grants,
                     duration_cast<microseconds>(x.wait_p50).count(),
                     duration_cast<microseconds>(x.wait_p99).count());
}

} // namespace taskactors
