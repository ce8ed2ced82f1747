#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "taskactors/export.hpp"
#include "taskactors/gather_stats.hpp"
#include "taskactors/limiter_stats.hpp"
#include "taskactors/task_info.hpp"
#include "taskactors/task_state.hpp"

namespace taskactors {

/// The library's OS threads for thread tasks.
struct thread_metrics {
  /// Threads alive (busy or idle).
  std::size_t alive = 0;
  /// Threads running a callable.
  std::size_t busy = 0;
  /// Threads started since the manager started.
  std::size_t created = 0;
  /// Callables still running although their task ended (cancelled or timed out): each keeps its
  /// thread token until it returns.
  std::size_t abandoned = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, thread_metrics& x) {
  return f(caf::meta::type_name("thread_metrics"), x.alive, x.busy, x.created, x.abandoned);
}

/// The worker processes of process tasks.
struct process_metrics {
  /// Worker processes alive (starting, ready, busy or being stopped).
  std::size_t workers = 0;
  std::size_t idle = 0;
  std::size_t busy = 0;
  /// Jobs waiting for a worker.
  std::size_t queued = 0;
  /// Workers started since the manager started.
  std::size_t started = 0;
  /// Workers that died unexpectedly (crash, protocol error, failed start).
  std::size_t crashed = 0;
  /// Workers replaced after `max_jobs_per_worker` jobs or for their memory.
  std::size_t recycled = 0;
  /// Workers killed (cancel or timeout past the grace period, memory, protocol).
  std::size_t killed = 0;
  /// Restarts are paused after too many failures.
  bool backing_off = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, process_metrics& x) {
  return f(caf::meta::type_name("process_metrics"), x.workers, x.idle, x.busy, x.queued, x.started,
           x.crashed, x.recycled, x.killed, x.backing_off);
}

/// A snapshot of the manager's counters and its limiters' statistics.
struct manager_metrics {
  /// Tasks per kind and state: gauges for `pending` and `running`, totals since start for the
  /// terminal states. Index with `count(kind, state)`.
  std::array<std::array<std::size_t, task_state_count>, task_kind_count> by_kind_state{};
  /// Tasks admitted since start.
  std::size_t submitted = 0;
  /// Submissions refused since start (invalid, duplicate, queue full, shutting down).
  std::size_t rejected = 0;
  /// Finished records kept for queries.
  std::size_t retained = 0;
  /// Results, cancels and timeouts that arrived after their task's terminal state.
  std::size_t late_results = 0;
  std::size_t late_cancels = 0;
  std::size_t late_timeouts = 0;
  /// Task actors alive (a cancelled task's actor may still be stopping).
  std::size_t live_actors = 0;
  /// Requests waiting for a task to end (`wait`, `run`), limited or not.
  std::size_t waiters = 0;
  /// The limiters' statistics: global, thread, process.
  std::vector<limiter_stats> limiters;
  /// The thread pool of thread tasks.
  thread_metrics threads;
  /// The worker processes of process tasks (all zero when none are configured).
  process_metrics processes;
  /// The gathers running now.
  std::vector<gather_stats> gathers;

  std::size_t count(task_kind kind, task_state state) const noexcept {
    return by_kind_state[static_cast<std::size_t>(kind)][static_cast<std::size_t>(state)];
  }

  /// The count of `state` over all kinds.
  TASKACTORS_API std::size_t total(task_state state) const noexcept;

  /// Pending tasks: the queue depth.
  std::size_t pending() const noexcept { return total(task_state::pending); }

  /// Running tasks.
  std::size_t running() const noexcept { return total(task_state::running); }

  /// Pending plus running: what counts against `max_queue`.
  std::size_t in_flight() const noexcept { return pending() + running(); }

  /// Tasks that reached a terminal state since start.
  TASKACTORS_API std::size_t finished() const noexcept;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, manager_metrics& x) {
  return f(caf::meta::type_name("manager_metrics"), x.by_kind_state, x.submitted, x.rejected,
           x.retained, x.late_results, x.late_cancels, x.late_timeouts, x.live_actors, x.waiters,
           x.limiters, x.threads, x.processes, x.gathers);
}

/// How `shutdown` treats what is still pending or running.
enum class shutdown_mode : uint8_t {
  /// Let pending and running tasks finish; cancel what is left when the deadline passes.
  drain,
  /// Cancel every pending and running task at once.
  cancel,
};

/// Returns `"drain"` or `"cancel"`.
TASKACTORS_API std::string_view to_string(shutdown_mode x) noexcept;

/// What a shutdown did and found.
struct shutdown_report {
  shutdown_mode mode = shutdown_mode::drain;
  /// Whether the deadline passed before every task had stopped.
  bool deadline_passed = false;
  /// Tasks that shutdown cancelled (all of them in `cancel` mode, the leftovers in `drain` mode).
  std::size_t cancelled = 0;
  /// Tasks whose code was still running at the deadline and could not be stopped: thread
  /// tasks whose callable had not returned (a thread cannot be killed; its thread is detached),
  /// and async tasks whose actor ignored an earlier cancellation (it is killed).
  std::vector<task_id> stragglers;
  /// The counters after shutdown, with the limiters' final statistics.
  manager_metrics metrics;

  /// Tokens not returned to their limiter.
  TASKACTORS_API std::size_t leaked_tokens() const noexcept;

  /// Returns whether everything stopped in time and every token came back.
  bool clean() const noexcept { return stragglers.empty() && leaked_tokens() == 0; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shutdown_report& x) {
  return f(caf::meta::type_name("shutdown_report"), x.mode, x.deadline_passed, x.cancelled,
           x.stragglers, x.metrics);
}

} // namespace taskactors
