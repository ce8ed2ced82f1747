#pragma once

#include <cstddef>
#include <string>

#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>

#include "taskactors/export.hpp"

namespace taskactors {

/// A limiter's statistics at one moment.
struct limiter_stats {
  /// The quota the limiter enforces, e.g. `"global"`.
  std::string name;
  /// Tokens it may lend at once.
  std::size_t capacity = 0;
  /// Tokens lent out now (may exceed `capacity` right after a shrink: holders are never preempted).
  std::size_t borrowed = 0;
  /// The highest `borrowed` ever seen.
  std::size_t peak_borrowed = 0;
  /// Requests waiting for a token.
  std::size_t waiting = 0;
  /// Tokens granted since start.
  std::size_t grants = 0;
  /// Median and 99th percentile of the time requests waited before their grant.
  caf::timespan wait_p50{0};
  caf::timespan wait_p99{0};

  /// Tokens that could be granted now.
  std::size_t available() const noexcept { return borrowed >= capacity ? 0 : capacity - borrowed; }

  /// Returns whether every token is back and nobody waits.
  bool idle() const noexcept { return borrowed == 0 && waiting == 0; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, limiter_stats& x) {
  return f(caf::meta::type_name("limiter_stats"), x.name, x.capacity, x.borrowed, x.peak_borrowed,
           x.waiting, x.grants, x.wait_p50, x.wait_p99);
}

/// Renders `x` on one line, e.g. `global 3/256 (peak 17) waiting=0 grants=120 p50=0us p99=12us`.
TASKACTORS_API std::string to_string(const limiter_stats& x);

} // namespace taskactors
