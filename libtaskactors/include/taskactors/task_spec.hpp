#pragma once

#include <optional>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/timespan.hpp>

#include "taskactors/async_context.hpp"
#include "taskactors/export.hpp"
#include "taskactors/task_info.hpp"
#include "taskactors/task_state.hpp"

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
};

/// Everything the manager needs to admit and run one task.
struct task_spec {
  submit_options options;
  task_kind kind = task_kind::async;
  /// The code of an async task.
  async_body body;
};

/// Builds the spec of an async task from a callable (see `make_async_body` for the forms).
template <class F>
task_spec async_task(F&& fn, submit_options options = {}) {
  return task_spec{std::move(options), task_kind::async, make_async_body(std::forward<F>(fn))};
}

} // namespace taskactors

// A spec carries user code: a local message, never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(taskactors::task_spec)
