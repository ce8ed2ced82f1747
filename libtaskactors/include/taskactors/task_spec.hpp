#pragma once

#include <optional>
#include <variant>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/timespan.hpp>

#include "taskactors/async_context.hpp"
#include "taskactors/export.hpp"
#include "taskactors/process_task.hpp"
#include "taskactors/task_info.hpp"
#include "taskactors/task_state.hpp"
#include "taskactors/thread_task.hpp"

namespace taskactors {

/// Per-task options given at submission. Designated initializers read well:
/// `{.id = "fetch-7", .timeout = 2s}`.
struct submit_options {
  /// The task's id; empty to have one generated.
  task_id id{};
  /// Execution timeout, counted from the start; unset takes the manager's default,
  /// `no_timeout` disables it. Must be positive.
  std::optional<caf::timespan> timeout{};
  /// Absolute deadline: the task ends `timeout` when it passes, pending or running, and a task
  /// whose deadline passed while pending never starts.
  std::optional<time_point> deadline{};
  /// For a task started from inside a running task (e.g. an async task calling blocking code,
  /// or the tasks of its gather): that task's id. The child then shares its parent's global
  /// token, taking only its own kind's token (none for an async child), so a parent waiting for
  /// its child can never hold up the child; and it is cancelled when the parent ends.
  task_id parent{};
};

/// The code of a task; its alternative decides the task's kind.
using task_body = std::variant<async_body, thread_body, process_call>;

/// Everything the manager needs to admit and run one task.
struct task_spec {
  submit_options options;
  task_body body;

  /// The kind the body makes this task.
  task_kind kind() const noexcept { return static_cast<task_kind>(body.index()); }
};

/// Builds the spec of an async task from a callable (see `make_async_body` for the forms).
template <class F>
task_spec async_task(F&& fn, submit_options options = {}) {
  return task_spec{std::move(options), task_body{make_async_body(std::forward<F>(fn))}};
}

/// Builds the spec of a process task: a job run in one of the manager's worker processes.
inline task_spec process_task(process_call call, submit_options options = {}) {
  return task_spec{std::move(options), task_body{std::in_place_index<2>, std::move(call)}};
}

/// Builds the spec of a thread task from a callable (see `make_thread_body` for the forms).
template <class F>
task_spec thread_task(F&& fn, submit_options options = {}) {
  return task_spec{std::move(options),
                   task_body{std::in_place_index<1>, make_thread_body(std::forward<F>(fn))}};
}

} // namespace taskactors

// A spec carries user code: a local message, never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(taskactors::task_spec)
