#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/timestamp.hpp>

#include "taskactors/export.hpp"
#include "taskactors/task_state.hpp"
#include "taskactors/task_value.hpp"

namespace taskactors {

/// A task's id: chosen by the caller or generated (`t-<n>`), unique among live and retained tasks.
using task_id = std::string;

/// The clock of every time stamp and deadline (CAF's actor clock is a steady clock).
using clock_type = std::chrono::steady_clock;

/// A point in time on `clock_type`.
using time_point = clock_type::time_point;

/// Marks "no timeout" where a timeout is expected.
inline constexpr caf::timespan no_timeout = caf::timespan::max();

/// For a process task that was cancelled or timed out: the signal that ended its worker.
enum class stop_stage : uint8_t {
  /// Not stopped by a signal (or not a process task).
  none,
  /// The worker exited after SIGTERM, within the grace period.
  sigterm,
  /// The worker needed SIGKILL (it ignored SIGTERM for the whole grace period, or was killed for
  /// memory or a protocol violation).
  sigkill,
};

/// Returns `"none"`, `"sigterm"` or `"sigkill"`.
TASKACTORS_API std::string_view to_string(stop_stage x) noexcept;

/// A snapshot of one task's record, as returned by status, list and wait.
struct TASKACTORS_API task_info {
  task_id id;
  task_kind kind = task_kind::async;
  task_state state = task_state::pending;
  /// When the task was admitted.
  time_point submitted_at{};
  /// When it started running (`time_point{}` if it never did).
  time_point started_at{};
  /// When it reached its terminal state (`time_point{}` while live).
  time_point finished_at{};
  /// The deadline in force: the absolute deadline while pending, the earlier of it and
  /// start + timeout while running. `time_point::max()` when there is none.
  time_point deadline = time_point::max();
  /// The value of a `completed` task (may be empty if the task produced none).
  task_value value;
  /// Why a `failed`, `cancelled` or `timeout` task ended.
  caf::error error;
  /// For a process task stopped by signal: which one ended its worker.
  stop_stage stage = stop_stage::none;
  /// For a process task: the worker process that ran it (0 if none did).
  int worker_pid = 0;

  bool terminal() const noexcept { return is_terminal(state); }

  /// Time spent pending (up to now for a task that is still pending: zero).
  caf::timespan queued_for() const noexcept;

  /// Time spent running (zero unless the task started and finished).
  caf::timespan ran_for() const noexcept;
};

/// Renders `x` on one line, e.g. `t-3 async completed value=42`.
TASKACTORS_API std::string to_string(const task_info& x);

} // namespace taskactors

// Task snapshots carry arbitrary C++ values: they are local messages and are never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(taskactors::task_info)
