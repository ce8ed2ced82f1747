#pragma once

#include <chrono>
#include <concepts>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "taskactors/async_context.hpp"
#include "taskactors/export.hpp"
#include "taskactors/gather.hpp"
#include "taskactors/limiter_stats.hpp"
#include "taskactors/manager_actor.hpp"
#include "taskactors/manager_config.hpp"
#include "taskactors/manager_metrics.hpp"
#include "taskactors/outcome_stream.hpp"
#include "taskactors/task_filter.hpp"
#include "taskactors/task_info.hpp"
#include "taskactors/task_spec.hpp"
#include "taskactors/thread_task.hpp"

namespace taskactors {

/// Thrown by the constructors of `task_manager` when the configuration is invalid.
class TASKACTORS_API start_error : public std::runtime_error {
public:
  explicit start_error(caf::error err);

  const caf::error& error() const noexcept { return error_; }

private:
  caf::error error_;
};

/// The task runtime for non-actor code: an RAII handle on a manager actor.
///
/// Thread-safe: any thread may call any member at any time. Every call is a request to the
/// manager actor and waits for its answer; errors come back as `caf::expected` (see `errc`).
/// The destructor shuts down (cancelling what still runs) within `manager_config::
/// shutdown_timeout`, and, when the object started its own actor system, stops that system:
/// no actor, thread or token outlives it.
class TASKACTORS_API task_manager {
public:
  /// Starts an actor system of its own, sized by `cfg`, and a manager in it.
  /// @throws start_error if `cfg` does not validate.
  explicit task_manager(manager_config cfg = {});

  /// Runs a manager in the caller's actor system, which must outlive this object.
  /// @throws start_error if `cfg` does not validate.
  task_manager(caf::actor_system& sys, manager_config cfg = {});

  /// Like the constructor, with the error as a value instead of an exception.
  static caf::expected<task_manager> start(manager_config cfg = {});

  /// Like the constructor, with the error as a value instead of an exception.
  static caf::expected<task_manager> attach(caf::actor_system& sys, manager_config cfg = {});

  task_manager(task_manager&&) noexcept;
  task_manager& operator=(task_manager&&) noexcept;
  ~task_manager();

  /// Submits an async task (see `make_async_body` for the accepted callables). Returns its id
  /// once admitted.
  template <class F>
  requires(!std::same_as<std::decay_t<F>, task_spec>) caf::expected<task_id> submit(
      F&& fn, submit_options options = {}) {
    return submit(async_task(std::forward<F>(fn), std::move(options)));
  }

  /// Submits a task described by `spec`.
  caf::expected<task_id> submit(task_spec spec);

  /// Submits a task and waits until it is terminal; returns its record.
  caf::expected<task_info> run(task_spec spec);

  /// Runs blocking code `fn` (see `make_thread_body`) on one of the library's threads and waits
  /// for its result. `timeout` is the task's execution timeout (unset: the configured default):
  /// when it passes, the callable's stop token is requested and the call returns
  /// `errc::timeout` at once, while the thread finishes on its own. `R` must be copyable.
  template <class F>
  caf::expected<thread_result_t<std::decay_t<F>>>
  run_in_thread(F&& fn, std::optional<caf::timespan> timeout = std::nullopt) {
    submit_options options;
    options.timeout = timeout;
    auto info = run(thread_task(std::forward<F>(fn), std::move(options)));
    if (!info)
      return std::move(info.error());
    return result_of<thread_result_t<std::decay_t<F>>>(*info);
  }

  /// Runs a job in one of the worker processes and waits for its result:
  /// `tm.run_in_process(call<uint64_t>("fib", uint64_t{30}), 2s)`. `timeout` is the task's
  /// execution timeout (unset: the configured default): when it passes, the job's worker is
  /// terminated (SIGTERM, then SIGKILL after `workers.kill-grace`) and the call returns
  /// `errc::timeout`.
  template <class R>
  caf::expected<R> run_in_process(typed_call<R> call,
                                  std::optional<caf::timespan> timeout = std::nullopt) {
    submit_options options;
    options.timeout = timeout;
    auto info = run(process_task(std::move(call), std::move(options)));
    if (!info)
      return std::move(info.error());
    return result_of<R>(*info);
  }

  /// Runs a gather (see `make_gather`) and waits for its end: one outcome per input, in input
  /// order. `wait_limit` bounds how long the caller waits: when it passes, the call returns
  /// `errc::wait_timeout` and the gather is cancelled, since nobody is left to read it.
  caf::expected<gather_result> gather(gather_spec spec, caf::timespan wait_limit = no_timeout);

  /// Shorthand for `gather(make_gather(fn, inputs, options), wait_limit)`.
  template <class F, class Inputs>
  caf::expected<gather_result> gather(F fn, Inputs&& inputs, gather_options options = {},
                                      caf::timespan wait_limit = no_timeout) {
    return gather(make_gather(std::move(fn), std::forward<Inputs>(inputs), std::move(options)),
                  wait_limit);
  }

  /// Starts a gather whose outcomes are read in completion order from the returned stream, at
  /// most `buffer` of them waiting unread. Fails as `gather` does if the gather is not admitted.
  caf::expected<outcome_stream> as_completed(gather_spec spec, std::size_t buffer = 64);

  /// Cancels a running gather: what runs is cancelled, inputs not started end `cancelled`, and
  /// its caller gets every outcome. Returns its counters at the time of the call.
  caf::expected<gather_stats> cancel_gather(const task_id& id);

  /// Cancels a task in any state; idempotent. Returns the task's state after the call.
  caf::expected<task_info> cancel(const task_id& id);

  /// Returns a live or retained task's record.
  caf::expected<task_info> status(const task_id& id);

  /// Returns the records `filter` selects, oldest first.
  caf::expected<std::vector<task_info>> list(task_filter filter = {});

  /// Waits until the task is terminal and returns its record. `wait_limit` bounds how long the
  /// caller waits (`errc::wait_timeout`); the task itself is not affected.
  caf::expected<task_info> wait(const task_id& id, caf::timespan wait_limit = no_timeout);

  /// Returns the counters and the limiters' statistics.
  caf::expected<manager_metrics> metrics();

  /// Changes a quota at run time (growing wakes waiters; shrinking never preempts).
  caf::expected<limiter_stats> resize(quota q, std::size_t capacity);

  /// Stops admitting, then drains or cancels what is left, returns every token and stops the
  /// manager. Later calls fail with `errc::not_running`.
  caf::expected<shutdown_report> shutdown(shutdown_mode mode = shutdown_mode::drain,
                                          caf::timespan deadline = std::chrono::seconds{10});

  /// The manager's typed handle, for actor code. Null once `shutdown` answered, and for a
  /// moved-from task_manager (whose every call fails with `errc::not_running`).
  manager_actor actor() const;

  /// The actor system the manager runs in.
  /// @throws std::logic_error for a moved-from task_manager.
  caf::actor_system& system() const;

private:
  struct impl;

  explicit task_manager(std::unique_ptr<impl> ptr) noexcept;

  const impl& state() const noexcept; // `*impl_`, or a stopped stand-in once moved from

  std::unique_ptr<impl> impl_;
};

} // namespace taskactors
