#pragma once

#include <cstddef>

#include <caf/meta/type_name.hpp>

#include "taskactors/task_info.hpp"
#include "taskactors/task_state.hpp"

namespace taskactors {

/// A gather's counters, live (in `manager_metrics::gathers`) or final (in `gather_result`).
struct gather_stats {
  task_id id;
  task_kind kind = task_kind::async;
  /// The gather's bound on inputs in flight.
  std::size_t concurrency = 0;
  /// Inputs drawn so far.
  std::size_t started = 0;
  /// Inputs waiting out their jitter, pending or running now, and the most there ever were.
  std::size_t in_flight = 0;
  std::size_t peak_in_flight = 0;
  /// Ended inputs, by how they ended (named after their `task_state`).
  std::size_t completed = 0;
  std::size_t failed = 0;
  std::size_t cancelled = 0;
  std::size_t timeout = 0;

  /// Ended inputs.
  std::size_t done() const noexcept { return completed + failed + cancelled + timeout; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gather_stats& x) {
  return f(caf::meta::type_name("gather_stats"), x.id, x.kind, x.concurrency, x.started,
           x.in_flight, x.peak_in_flight, x.completed, x.failed, x.cancelled, x.timeout);
}

} // namespace taskactors
