#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include "taskactors/export.hpp"

namespace taskactors {

/// Error codes of the library. Every error the library reports is a `caf::error` of category
/// `taskactors` with one of these codes and a context message that names what went wrong.
enum class errc : uint8_t {
  /// Not an error (CAF reserves code 0).
  none = 0,
  /// An argument to an API call is malformed; the context names the argument.
  invalid_argument,
  /// The manager has stopped (or was never started).
  not_running,
  /// The manager is shutting down and admits no new tasks.
  shutting_down,
  /// A live or retained task already has this id.
  duplicate_id,
  /// Pending plus running tasks reached `max_queue`.
  queue_full,
  /// No live or retained task has this id.
  unknown_task,
  /// The task was cancelled.
  cancelled,
  /// The task exceeded its execution timeout or its deadline.
  timeout,
  /// The task's code reported a failure.
  task_failed,
  /// The task's code threw an exception; the context holds its type and message.
  task_exception,
  /// The task's actor terminated without reporting a result.
  task_vanished,
  /// A limiter terminated unexpectedly; tasks waiting on it cannot run.
  limiter_down,
  /// The caller stopped waiting (its wait limit elapsed); the task itself is unaffected.
  wait_timeout,
  /// A configuration value is invalid; the context names the key, the value and its source.
  invalid_config,
  /// A worker process broke the wire protocol; it was killed.
  protocol_error,
  /// The worker process running the job died (the context has its pid and exit code or signal).
  worker_crashed,
  /// Worker processes failed too often; the pool waits before it starts new ones.
  pool_unavailable,
  /// The worker process used more memory than allowed and was killed.
  memory_limit,
  /// No worker offers a job of that name.
  unknown_job,
  /// The job's arguments do not match its parameters.
  bad_args,
  /// The job's result does not decode as the requested type.
  bad_result,
};

/// Returns the name of `x`, e.g. `"queue_full"`.
TASKACTORS_API std::string_view to_string(errc x) noexcept;

/// The CAF error category of the library's errors.
inline constexpr std::string_view error_category_name = "taskactors";

/// Returns whether `err` belongs to the library's category and carries `code`.
TASKACTORS_API bool is(const caf::error& err, errc code) noexcept;

/// Renders any `caf::error`: the library's errors as `taskactors::<code>: <context>`, others as
/// CAF prints them. Works whether or not the actor system knows the category.
TASKACTORS_API std::string render(const caf::error& err);

/// The message an error carries, without its code (`"no worker offers job 'fib'"`); for errors
/// of other categories, what `render` gives.
TASKACTORS_API std::string message_of(const caf::error& err);

} // namespace taskactors

CAF_ERROR_CODE_ENUM(taskactors::errc, "taskactors")
