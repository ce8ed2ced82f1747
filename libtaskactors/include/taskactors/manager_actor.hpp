#pragma once

#include <cstddef>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include "taskactors/atoms.hpp"
#include "taskactors/export.hpp"
#include "taskactors/gather.hpp"
#include "taskactors/limiter_stats.hpp"
#include "taskactors/manager_config.hpp"
#include "taskactors/manager_metrics.hpp"
#include "taskactors/task_filter.hpp"
#include "taskactors/task_info.hpp"
#include "taskactors/task_spec.hpp"
#include "taskactors/task_state.hpp"

namespace taskactors {

/// The manager's typed interface, for actor code. Every request is answered, on every path:
/// with the result or with a `caf::error` (category `taskactors`, see `errc`).
///
/// - `(submit, spec)` -> id: admits a task (`invalid_argument`, `duplicate_id`, `queue_full`,
///   `shutting_down` otherwise).
/// - `(run, spec)` -> info: admits a task and answers once it is terminal (or with the reason it
///   was not admitted).
/// - `(cancel, id)` -> info: cancels a task in any state; idempotent. The reply shows the state
///   after the call: `cancelled`, or the terminal state the task had already reached.
/// - `(status, id)` -> info; `(list, filter)` -> infos; `(wait, id)` -> info once terminal;
///   `(wait, id, limit)` the same, or `wait_timeout` once `limit` passes (the manager forgets
///   the waiter then, so a caller that polls with short limits costs it nothing).
/// - `(metrics)` -> counters and limiter statistics.
/// - `(resize, quota, capacity)` -> the limiter's statistics after the change.
/// - `(shutdown, mode, deadline)` -> report; the manager stops after replying.
/// - `(gather, spec)` -> result: runs a gather (see `make_gather`) and answers at its end
///   (`invalid_argument`, `unknown_job`, `duplicate_id`, `shutting_down` before anything starts).
/// - `(cancel, gather, id)` -> stats: cancels a running gather.
/// - `(ack, id, n)`: the consumer of an `as_completed` gather with a window took `n` outcomes.
using manager_actor = caf::typed_actor<
    caf::replies_to<submit_atom, task_spec>::with<task_id>,
    caf::replies_to<run_atom, task_spec>::with<task_info>,
    caf::replies_to<cancel_atom, task_id>::with<task_info>,
    caf::replies_to<status_atom, task_id>::with<task_info>,
    caf::replies_to<list_atom, task_filter>::with<std::vector<task_info>>,
    caf::replies_to<wait_atom, task_id>::with<task_info>,
    caf::replies_to<wait_atom, task_id, caf::timespan>::with<task_info>,
    caf::replies_to<metrics_atom>::with<manager_metrics>,
    caf::replies_to<resize_atom, quota, std::size_t>::with<limiter_stats>,
    caf::replies_to<shutdown_atom, shutdown_mode, caf::timespan>::with<shutdown_report>,
    caf::replies_to<gather_atom, gather_spec>::with<gather_result>,
    caf::replies_to<cancel_atom, gather_atom, task_id>::with<gather_stats>,
    caf::reacts_to<ack_atom, task_id, uint64_t>>;

/// Spawns a manager (and its limiters) in `sys`. Fails with `errc::invalid_config` if `cfg`
/// does not validate. The caller ends it with a `shutdown` request.
TASKACTORS_API caf::expected<manager_actor> spawn_manager(caf::actor_system& sys,
                                                          manager_config cfg);

} // namespace taskactors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<taskactors::task_info>)
