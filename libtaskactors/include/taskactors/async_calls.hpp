#pragma once

#include <memory>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>

#include "taskactors/async_context.hpp"
#include "taskactors/gather.hpp"
#include "taskactors/manager_actor.hpp"
#include "taskactors/task_spec.hpp"
#include "taskactors/thread_task.hpp"

namespace taskactors {

/// From inside an async task: runs blocking code `fn` (see `make_thread_body`) as a thread task
/// without blocking the task's actor, and calls `on_result(caf::expected<R>)` on that actor when
/// it is done (R is what `fn` returns; it must be copyable).
///
/// The call is a child of the calling task: it takes a thread token but shares the caller's
/// global token (so callers waiting for their calls can never hold up those calls), it is
/// cancelled if the caller ends first, and like every task it can be looked up, cancelled and
/// timed out through the manager (`options.timeout`, `options.id`).
template <class F, class Callback>
void run_in_thread(async_context& ctx, F&& fn, Callback on_result, submit_options options = {}) {
  using result_type = thread_result_t<std::decay_t<F>>;
  options.parent = ctx.id();
  auto callback = std::make_shared<Callback>(std::move(on_result));
  auto mgr = caf::actor_cast<manager_actor>(ctx.manager());
  ctx.self()
      ->request(mgr, caf::infinite, run_atom::value,
                thread_task(std::forward<F>(fn), std::move(options)))
      .then(
          [callback](task_info& info) { (*callback)(result_of<result_type>(info)); },
          [callback](caf::error& err) { (*callback)(caf::expected<result_type>{std::move(err)}); });
}

/// From inside an async task: runs a worker job (see `call`) as a process task without blocking
/// the task's actor, and calls `on_result(caf::expected<R>)` on that actor when it is done. Like
/// `run_in_thread`, the call is a child of the calling task: it shares the caller's global token,
/// takes a process token, and is cancelled if the caller ends first.
template <class R, class Callback>
void run_in_process(async_context& ctx, typed_call<R> call, Callback on_result,
                    submit_options options = {}) {
  options.parent = ctx.id();
  auto callback = std::make_shared<Callback>(std::move(on_result));
  auto mgr = caf::actor_cast<manager_actor>(ctx.manager());
  ctx.self()
      ->request(mgr, caf::infinite, run_atom::value,
                process_task(std::move(call), std::move(options)))
      .then([callback](task_info& info) { (*callback)(result_of<R>(info)); },
            [callback](caf::error& err) { (*callback)(caf::expected<R>{std::move(err)}); });
}

/// From inside an async task: runs a gather (see `make_gather`) without blocking the task's
/// actor, and calls `on_result(caf::expected<gather_result>)` on that actor at its end. The
/// gather's tasks are children of the calling task: they share its global token (so a task
/// waiting for its gather can never hold up the gather), and the gather is cancelled if the
/// task ends first.
template <class Callback>
void gather(async_context& ctx, gather_spec spec, Callback on_result) {
  spec.options.parent = ctx.id();
  auto callback = std::make_shared<Callback>(std::move(on_result));
  auto mgr = caf::actor_cast<manager_actor>(ctx.manager());
  ctx.self()
      ->request(mgr, caf::infinite, gather_atom::value, std::move(spec))
      .then(
          [callback](gather_result& x) { (*callback)(caf::expected<gather_result>{std::move(x)}); },
          [callback](caf::error& err) {
            (*callback)(caf::expected<gather_result>{std::move(err)});
          });
}

/// From inside an async task: like `gather`, with each outcome handed to `on_outcome(
/// gather_outcome)` on the task's actor as it ends, in completion order, and `on_end(
/// caf::expected<gather_result>)` called after the last one (the result carries no outcomes).
template <class OnOutcome, class OnEnd>
void as_completed(async_context& ctx, gather_spec spec, OnOutcome on_outcome, OnEnd on_end) {
  auto post = ctx.dispatcher();
  auto callback = std::make_shared<OnOutcome>(std::move(on_outcome));
  spec.on_outcome = [post, callback](gather_outcome&& x) {
    post([callback, x = std::move(x)]() mutable { (*callback)(std::move(x)); });
  };
  gather(ctx, std::move(spec), std::move(on_end));
}

} // namespace taskactors
