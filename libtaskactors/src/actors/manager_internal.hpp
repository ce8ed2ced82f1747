#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "taskactors/manager_actor.hpp"
#include "taskactors/task_state.hpp"
#include "taskactors/task_value.hpp"

namespace taskactors::detail {

/// Runs a callback on an async task's actor (`async_context::dispatcher`).
using exec_atom = caf::atom_constant<caf::atom("exec")>;

/// A gather tells its manager it ended, just before it answers its caller: once the caller
/// has the answer, the gather's id is free and the gather no longer listed.
using gather_done_atom = caf::atom_constant<caf::atom("gatherdone")>;

/// A callback to run on an actor.
struct closure {
  std::function<void()> fn;
};

/// A task actor reports its result.
using done_atom = caf::atom_constant<caf::atom("taskdone")>;

/// The manager's timer fires (a self-request that is never answered and times out).
using tick_atom = caf::atom_constant<caf::atom("mgrtick")>;

/// The manager to itself: send the next batch of the exit messages it deferred.
using stops_atom = caf::atom_constant<caf::atom("mgrstops")>;

/// A task actor's timer fires (same pattern, on the task's actor).
using timer_atom = caf::atom_constant<caf::atom("tasktimer")>;

/// A thread task's callable returned (pool thread -> its task actor).
using returned_atom = caf::atom_constant<caf::atom("callret")>;

/// A thread task's callable returned after its actor was gone (pool thread -> manager).
using orphan_done_atom = caf::atom_constant<caf::atom("orphandone")>;

/// The worker pool tells the manager which jobs its workers offer.
using jobs_atom = caf::atom_constant<caf::atom("jobs")>;

/// The worker pool tells the manager which worker runs a process task's job (its pid).
using job_pid_atom = caf::atom_constant<caf::atom("jobpid")>;

/// A task actor's one and only report to its manager, sent when its code finished or, failing
/// that, when the actor stopped.
struct task_outcome {
  task_state state = task_state::completed;
  task_value value;
  caf::error error;
  /// True when the actor stopped without a result (cancelled, killed, an exception, or it quit):
  /// `error` then holds its exit reason.
  bool exited = false;
  /// True when the actor stopped while its thread task's callable still runs: the callable's
  /// end is reported later, straight from the pool (`orphan_done_atom`).
  bool callable_running = false;
  /// True when this confirms a stop the manager asked for (cancel, timeout): not a late result.
  bool stopped = false;
  /// For a process task: the signal that ended its worker, and the worker's pid.
  stop_stage stage = stop_stage::none;
  int32_t worker_pid = 0;
};

/// What a task actor may send its manager.
using task_parent_actor = caf::typed_actor<caf::reacts_to<done_atom, uint64_t, task_outcome>>;

/// The manager's full interface: the public one plus the messages of its task actors, its pools
/// and its own timer.
using manager_internal_actor =
    manager_actor::extend<caf::reacts_to<done_atom, uint64_t, task_outcome>,
                          caf::reacts_to<orphan_done_atom, uint64_t, task_outcome>,
                          caf::reacts_to<jobs_atom, std::vector<std::string>>,
                          caf::reacts_to<job_pid_atom, uint64_t, int32_t>,
                          caf::reacts_to<gather_done_atom, task_id>, caf::reacts_to<stops_atom>,
                          caf::replies_to<tick_atom, uint64_t>::with<void>>;

/// Where a thread task's callable reports when its actor is gone.
using orphan_sink_actor =
    caf::typed_actor<caf::reacts_to<orphan_done_atom, uint64_t, task_outcome>>;

} // namespace taskactors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(taskactors::detail::task_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(taskactors::detail::closure)
