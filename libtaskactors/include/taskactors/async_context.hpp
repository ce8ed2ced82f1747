#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "taskactors/export.hpp"
#include "taskactors/result_traits.hpp"
#include "taskactors/task_info.hpp"
#include "taskactors/task_value.hpp"

namespace taskactors {

/// Returned by an async task body that finishes later, through `async_context::complete` or
/// `async_context::fail`.
struct async_pending {};

/// Identifies a timer armed with `async_context::after`.
using timer_id = uint64_t;

/// What an async task's code sees: its id, its actor, completion, timers and cleanup hooks.
///
/// An async task runs non-blocking code on its own actor. The body is called once, on the actor;
/// it either returns a result right away or returns `ctx.pending()` and finishes later from a
/// timer or a response handler. Every callback runs on the task's actor, one at a time, so no
/// locking is needed. When the task ends for any reason (completion, failure, cancellation,
/// timeout) its actor stops: pending timers and response handlers are dropped and the `on_exit`
/// hooks run.
class TASKACTORS_API async_context {
public:
  async_context(const async_context&) = delete;
  async_context& operator=(const async_context&) = delete;

  /// The task's id.
  virtual const task_id& id() const noexcept = 0;

  /// The task's actor, for sending messages and requests to other actors.
  virtual caf::event_based_actor* self() noexcept = 0;

  /// The manager running this task (a `manager_actor`; see `run_in_thread` in
  /// `taskactors/async_calls.hpp` for the common use).
  virtual caf::actor manager() const = 0;

  /// Returns the marker a body returns when it finishes later.
  [[nodiscard]] async_pending pending() const noexcept { return {}; }

  /// Finishes the task as `completed` with `value`. Ignored if the task already finished.
  template <class T>
  void complete(T&& value) {
    complete_with(task_value::make(std::forward<T>(value)));
  }

  /// Finishes the task as `completed` without a value. Ignored if the task already finished.
  void complete() { complete_with(task_value{}); }

  /// Finishes the task as `failed` with `reason`. Ignored if the task already finished.
  virtual void fail(caf::error reason) = 0;

  /// Finishes the task as `failed` with `errc::task_failed` and `message`.
  void fail(std::string message);

  /// Returns whether the task has finished (completed or failed from this context).
  virtual bool finished() const noexcept = 0;

  /// Runs `callback` on the task's actor after `delay`. The timer dies with the task: it neither
  /// fires after the task ended nor keeps the task's memory alive.
  virtual timer_id after(caf::timespan delay, std::function<void()> callback) = 0;

  /// Disarms a timer; a no-op if it already fired or was cancelled.
  virtual void cancel_timer(timer_id id) noexcept = 0;

  /// Registers cleanup that runs when the task's actor stops, whatever the reason; `reason` is
  /// empty after a normal completion and says why otherwise (e.g. `errc::cancelled`).
  virtual void on_exit(std::function<void(const caf::error& reason)> cleanup) = 0;

  /// Returns a function that any thread or actor may call to run a callback on this task's
  /// actor, in call order, like its other callbacks. Callbacks sent after the task ended are
  /// dropped; the function does not keep the task alive.
  virtual std::function<void(std::function<void()>)> dispatcher() const = 0;

protected:
  async_context() = default;
  ~async_context() = default;

  virtual void complete_with(task_value value) = 0;
};

/// The type-erased body of an async task.
using async_body = std::function<void(async_context&)>;

namespace detail {

/// Turns the exception in flight into an `errc::task_exception` error naming its type and message.
TASKACTORS_API caf::error exception_to_error(std::exception_ptr ptr);

/// Delivers what a body returned to the context.
template <class R>
void deliver_result(async_context& ctx, R&& result) {
  using value_type = std::decay_t<R>;
  if constexpr (std::is_same_v<value_type, async_pending>) {
    // The body finishes later.
  } else if constexpr (std::is_same_v<value_type, caf::error>) {
    if (result)
      ctx.fail(std::forward<R>(result));
    else
      ctx.complete();
  } else if constexpr (is_expected<value_type>::value) {
    if (!result)
      ctx.fail(std::move(result.error()));
    else if constexpr (std::is_void_v<typename value_type::value_type>)
      ctx.complete();
    else
      ctx.complete(std::move(*result));
  } else {
    ctx.complete(std::forward<R>(result));
  }
}

template <class F>
void invoke_body(F& fn, async_context& ctx) {
  if constexpr (std::is_invocable_v<F&, async_context&>) {
    using result_type = std::invoke_result_t<F&, async_context&>;
    if constexpr (std::is_void_v<result_type>) {
      fn(ctx);
      ctx.complete();
    } else {
      deliver_result(ctx, fn(ctx));
    }
  } else {
    using result_type = std::invoke_result_t<F&>;
    if constexpr (std::is_void_v<result_type>) {
      fn();
      ctx.complete();
    } else {
      deliver_result(ctx, fn());
    }
  }
}

} // namespace detail

/// Wraps a callable as an async task body. Accepted forms, with `R` any value type:
/// - `R(async_context&)` or `R()`: the task completes with the returned value;
/// - `void(async_context&)` or `void()`: the task completes without a value;
/// - `async_pending(async_context&)`: the task finishes later through the context;
/// - returning `caf::expected<R>` or `caf::error`: the task completes or fails accordingly.
/// An exception escaping the callable fails the task with `errc::task_exception`.
template <class F>
async_body make_async_body(F&& fn) {
  using fn_type = std::decay_t<F>;
  static_assert(std::is_invocable_v<fn_type&, async_context&> || std::is_invocable_v<fn_type&>,
                "an async task body takes an async_context& or nothing");
  if constexpr (std::is_copy_constructible_v<fn_type>) {
    return [f = fn_type(std::forward<F>(fn))](async_context& ctx) mutable {
      detail::invoke_body(f, ctx);
    };
  } else {
    // std::function needs a copyable target: share the move-only callable.
    auto shared = std::make_shared<fn_type>(std::forward<F>(fn));
    return [shared](async_context& ctx) { detail::invoke_body(*shared, ctx); };
  }
}

} // namespace taskactors
