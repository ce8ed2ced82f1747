#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "taskactors/export.hpp"

namespace taskactors {

/// The life cycle of a task: `pending` (admitted, waiting for tokens), `running`, then exactly
/// one terminal state.
enum class task_state : uint8_t {
  pending,
  running,
  completed,
  failed,
  cancelled,
  timeout,
};

/// Number of values of `task_state`.
inline constexpr std::size_t task_state_count = 6;

/// Returns whether `x` is final (`completed`, `failed`, `cancelled` or `timeout`).
constexpr bool is_terminal(task_state x) noexcept {
  return x != task_state::pending && x != task_state::running;
}

/// Returns the lower-case name of `x`, e.g. `"running"`.
TASKACTORS_API std::string_view to_string(task_state x) noexcept;

/// Parses a state name as printed by `to_string`.
TASKACTORS_API std::optional<task_state> parse_task_state(std::string_view name) noexcept;

/// Where a task's code runs, which decides the quotas it holds.
enum class task_kind : uint8_t {
  /// Non-blocking code on the task's own actor; holds a global token.
  async,
  /// Blocking code on a library-owned OS thread; holds a global and a thread token.
  thread,
  /// A job in a worker process; holds a global and a process token.
  process,
};

/// Number of values of `task_kind`.
inline constexpr std::size_t task_kind_count = 3;

/// Returns the name of `x`: `"async"`, `"thread"` or `"process"`.
TASKACTORS_API std::string_view to_string(task_kind x) noexcept;

/// Parses a kind name as printed by `to_string`.
TASKACTORS_API std::optional<task_kind> parse_task_kind(std::string_view name) noexcept;

/// The three quotas, each enforced by one limiter actor.
enum class quota : uint8_t {
  global,
  thread,
  process,
};

/// Number of values of `quota`.
inline constexpr std::size_t quota_count = 3;

/// Returns the name of `x`: `"global"`, `"thread"` or `"process"`.
TASKACTORS_API std::string_view to_string(quota x) noexcept;

/// Parses a quota name as printed by `to_string`.
TASKACTORS_API std::optional<quota> parse_quota(std::string_view name) noexcept;

} // namespace taskactors
