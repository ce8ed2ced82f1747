#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/gather_actor.hpp"
#include "actors/manager_internal.hpp"
#include "actors/self_timer.hpp"
#include "actors/worker_pool.hpp"
#include "api/logger.hpp"
#include "core/task_table.hpp"
#include "core/token_arbiter.hpp"
#include "runtime/thread_pool.hpp"
#include "taskactors/manager_actor.hpp"

namespace taskactors::detail {

/// The actor side of a task, which the table does not know about. Lives in a slot parallel to
/// the table's; `key` tells whether the slot still belongs to the same task.
struct task_runtime {
  task_key key = invalid_task_key;
  task_kind kind = task_kind::async;
  /// The code, until the task starts. On the heap, so that the slot of a running task (which
  /// no longer needs it) does not keep room for the largest kind of body.
  std::unique_ptr<task_body> body;
  /// The task's actor, from its start until its final report arrives.
  caf::actor actor;
  /// The task's tokens. The manager holds them on the task's behalf: from the grant until the
  /// task's actor is gone (or the pending task is dropped).
  quota_mask held = 0;
  /// The task's request for tokens waits in `manager_state::tokens`, not granted yet.
  bool requested = false;
  /// The actor was told to stop (cancel or timeout) and has not reported back yet.
  bool stopping = false;
  /// A child of a running task: its global token is its parent's.
  bool inherits_global = false;
  /// A thread task whose callable still runs although the task ended (cancelled, timed out, or
  /// its actor killed): its thread token stays held until the callable returns.
  bool abandoned = false;
  /// `abandoned` for a thread task's callable (counted in `threads.abandoned`).
  bool abandoned_callable = false;
  /// The callable runs and its actor is gone: the pool reports its end to the manager.
  bool orphaned = false;
};

/// A running gather.
struct gather_entry {
  gather_actor actor;
  /// The task it was started from (`invalid_task_key` if none): it is cancelled when that ends.
  task_key parent = invalid_task_key;
};

enum class manager_phase : uint8_t { running, shutting_down };

/// A request waiting for a task to end; `number` is set when it has a limit.
struct task_waiter {
  caf::typed_response_promise<task_info> promise;
  uint64_t number = 0;
  caf::timespan limit{};
};

struct manager_state {
  manager_state();
  ~manager_state();

  manager_config cfg;
  task_table table;
  std::unique_ptr<logger> log;
  /// The global, thread and process quotas. The manager is their token actor: a task's request
  /// is granted, and its tokens come back, within the manager's own turn, with no message.
  token_arbiter tokens;
  /// Indexed by the table's slot.
  std::deque<task_runtime> runtimes;
  /// Task actors started and not yet reported gone.
  std::size_t live_actors = 0;
  /// Exit messages for task actors beyond `stop_batch` in one turn, sent a batch per turn (see
  /// `stop_actor`).
  std::deque<std::pair<caf::actor, caf::error>> deferred_stops;
  /// The turn (its message) that `stops_this_turn` counts the exit messages of.
  const void* stops_turn = nullptr;
  std::size_t stops_this_turn = 0;
  /// Thread callables still running after their task ended.
  std::size_t abandoned = 0;
  /// The OS threads of thread tasks.
  std::shared_ptr<thread_pool> pool;
  /// The worker processes of process tasks (null when no worker executable is configured).
  worker_pool_actor workers;
  /// The jobs the workers offer (empty until the first handshake).
  std::vector<std::string> offered_jobs;
  /// Live children of running tasks, by parent.
  std::unordered_map<task_key, std::vector<task_key>> children;
  /// Running gathers, by id.
  std::unordered_map<task_id, gather_entry> gathers;
  uint64_t gathers_started = 0;
  /// Requests waiting for a task to end, by task; those with a limit are in `wait_deadlines`
  /// too, by waiter number.
  std::unordered_map<task_key, std::vector<task_waiter>> waiters;
  deadline_queue<uint64_t> wait_deadlines;
  std::unordered_map<uint64_t, task_key> waiting_on;
  uint64_t waiters_seen = 0;
  std::size_t rejected = 0;
  manager_phase phase = manager_phase::running;
  /// Wakes the manager for task deadlines, wait limits and the shutdown deadline.
  self_timer<manager_internal_actor, tick_atom> timer;
  /// Shutdown in progress.
  shutdown_mode stop_mode = shutdown_mode::drain;
  /// When what still runs is cancelled: `report_deadline` less the stop grace, the time
  /// cancelled code gets to return before the report.
  time_point stop_deadline = time_point::max();
  /// When the shutdown's caller gets the report: the deadline it asked for.
  time_point report_deadline = time_point::max();
  bool stop_deadline_handled = false;
  bool finalizing = false;
  /// Every task ended; the report waits for the tokens abandoned callables hold, until
  /// `report_deadline`.
  bool awaiting_tokens = false;
  shutdown_report report;
  std::vector<caf::typed_response_promise<shutdown_report>> shutdown_promises;

  static inline const char* name = "taskactors.manager";
};

using manager_pointer = manager_internal_actor::stateful_pointer<manager_state>;

/// The quotas a task of `kind` needs: its kind's own (thread, process) and the global one. The
/// token arbiter acquires the kind's quota first, so that a task never holds a global token while
/// it waits for a scarcer one. A child of a running task shares its parent's global token.
quota_mask quotas_for(task_kind kind, bool inherits_global = false);

task_runtime& runtime_of(manager_pointer self, task_key key);

/// Counts a refused request (submit or gather) and returns why it was refused.
inline caf::error reject(manager_pointer self, caf::error reason) {
  ++self->state.rejected;
  return reason;
}

/// Starts acquiring the tokens of a freshly admitted task.
void request_tokens(manager_pointer self, task_key key);

/// Returns one token of each quota in `quotas` and starts the tasks that can start now.
void give_back(manager_pointer self, quota_mask quotas);

/// Starts every pending task whose tokens can be granted now, in the token arbiter's order.
void start_granted(manager_pointer self);

/// The most exit messages the manager sends task actors in one turn.
inline constexpr std::size_t stop_batch = 256;

/// Tells a task actor to stop. Up to `stop_batch` exit messages go out in a turn; the rest
/// wait, in order, for the next turns (`send_deferred_stops`). A turn that stops a million
/// actors at once would otherwise queue a million jobs on one scheduler thread, and CAF's work
/// stealing takes a job from the far end of that queue by walking the whole list while it holds
/// the queue's locks: the stealer and the sender then take turns for minutes.
void stop_actor(manager_pointer self, const caf::actor& actor, caf::error reason);

/// Sends the next batch of deferred exit messages.
void send_deferred_stops(manager_pointer self);

/// Moves `key` to `terminal` and, if that applied, answers its waiters and (unless told not to,
/// by a caller that has more to settle first) looks whether a shutdown is complete.
transition finish_task(manager_pointer self, task_key key, task_state terminal, task_value value,
                       caf::error error, bool then_check_shutdown = true);

/// Ends a live task as `terminal` (cancelled or timeout) whatever it is doing: a pending task
/// leaves its limiter queue, a running task's actor is told to stop.
transition stop_task(manager_pointer self, task_key key, task_state terminal, caf::error reason);

/// A task actor's one report: its result, or why it stopped without one.
void on_task_report(manager_pointer self, task_key key, task_outcome& outcome);

/// A thread task's callable returned after its actor was gone.
void on_orphan_done(manager_pointer self, task_key key, task_outcome& outcome);

/// The key of the running task `parent` names (`invalid_task_key` for none), or an error.
caf::expected<task_key> running_parent(manager_pointer self, const task_id& parent);

/// Whether process tasks can run `job`: workers are configured and (once they told) offer it.
caf::error check_job(manager_pointer self, const std::string& job);

/// Admits and starts a gather; its actor answers the request at the end.
caf::result<gather_result> start_gather(manager_pointer self, gather_spec& spec);

/// Cancels every running gather (with `parent` as their parent task, if given).
void cancel_gathers(manager_pointer self, task_key parent = invalid_task_key);

/// Cancels the live children of a task that ended, and the gathers it started.
void stop_children(manager_pointer self, task_key parent);

/// Ends every task whose deadline passed and handles the shutdown deadline.
void on_tick(manager_pointer self);

/// Arms the timer for the earliest deadline, if it is earlier than the one armed.
void rearm(manager_pointer self);

/// Answers the waiters numbered `due` with `wait_timeout` and forgets them.
void expire_waiters(manager_pointer self, const std::vector<uint64_t>& due);

/// Shutdown: starts it, and completes it once every task ended and every token came back.
caf::result<shutdown_report> begin_shutdown(manager_pointer self, shutdown_mode mode,
                                            caf::timespan deadline);
void check_shutdown(manager_pointer self);

/// Completes the shutdown with the tokens as they are now: those still out are in the report.
void report_tokens_now(manager_pointer self);
void on_shutdown_deadline(manager_pointer self);

/// Stops everything at once (a limiter died or the manager was told to exit).
void abort_all(manager_pointer self, const caf::error& reason);

/// Spawns a manager whose worker pool builds its launcher with `factory` (tests pass a fake
/// one; an empty factory means the real launcher).
caf::expected<manager_actor> spawn_manager_with(caf::actor_system& sys, manager_config cfg,
                                                launcher_factory factory);

/// Fills the table's counters into `out`.
void fill_metrics(manager_pointer self, manager_metrics& out);

caf::result<manager_metrics> collect_metrics(manager_pointer self);

} // namespace taskactors::detail
