#pragma once

#include <cstddef>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "taskactors/task_state.hpp"

namespace taskactors {

/// Selects tasks for `list`: every filter left empty matches everything.
struct task_filter {
  /// States to include (empty: all).
  std::vector<task_state> states;
  /// Kinds to include (empty: all).
  std::vector<task_kind> kinds;
  /// At most this many records (0: no limit), oldest submission first.
  std::size_t limit = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_filter& x) {
  return f(caf::meta::type_name("task_filter"), x.states, x.kinds, x.limit);
}

} // namespace taskactors
