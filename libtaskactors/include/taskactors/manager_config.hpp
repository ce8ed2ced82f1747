#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/timespan.hpp>

#include "taskactors/export.hpp"
#include "taskactors/log.hpp"
#include "taskactors/task_info.hpp"
#include "taskactors/worker_config.hpp"

namespace taskactors {

/// The sizes of the three quotas.
struct quota_sizes {
  std::size_t global = 0;
  std::size_t thread = 0;
  std::size_t process = 0;
};

/// The seed system's defaults for `cpu_count` cores: global `min(max(32, 4*cpu), 256)`,
/// thread `min(max(16, 2*global/3), 128)`, process `max(1, min(cpu, 8))`.
TASKACTORS_API quota_sizes default_quotas(unsigned cpu_count) noexcept;

/// The number of cores the defaults are computed from (`std::thread::hardware_concurrency`, at
/// least 1).
TASKACTORS_API unsigned cpu_count() noexcept;

/// The manager's policy. Every field has a working default; `validate` names any bad value by
/// its configuration key.
struct manager_config {
  /// `quota.global`: tasks running at once, all kinds (0: the default for this machine).
  std::size_t global_quota = 0;
  /// `quota.thread`: thread tasks running at once (0: the default, `min(max(16, 2*global/3),
  /// 128)` of the global quota in force, configured or default, and at most that quota).
  std::size_t thread_quota = 0;
  /// `quota.process`: process tasks running at once (0: the default for this machine, at most
  /// the global quota).
  std::size_t process_quota = 0;
  /// `manager.max-queue`: pending plus running tasks admitted at once.
  std::size_t max_queue = 100'000;
  /// `manager.default-timeout`: execution timeout of tasks submitted without one.
  caf::timespan default_timeout = no_timeout;
  /// `retention.count`: finished records kept for queries (oldest dropped first).
  std::size_t retain_count = 10'000;
  /// `retention.age`: how long a finished record is kept.
  caf::timespan retain_age = std::chrono::minutes{10};
  /// `threads.idle-timeout`: how long an idle thread of the thread-task pool waits for work
  /// before it exits.
  caf::timespan thread_idle_timeout = std::chrono::seconds{10};
  /// `manager.shutdown-timeout`: how long the facade's destructor lets a shutdown take.
  caf::timespan shutdown_timeout = std::chrono::seconds{10};
  /// `scheduler.threads`: CAF scheduler threads when the facade starts its own actor system
  /// (0: one per core).
  std::size_t scheduler_threads = 0;
  /// `scheduler.max-throughput`: messages an actor handles before yielding its thread.
  std::size_t scheduler_max_throughput = 300;
  /// `scheduler.policy`: `stealing` (the default: CAF's work stealing), `handoff` (one queue; a
  /// message sent from a scheduler thread runs on that thread next unless other work waits) or
  /// `sharing` (CAF's work sharing: one queue, a thread woken for every job).
  std::string scheduler_policy = "stealing";
  /// `scheduler.idle-polls`: under `stealing`, how often a thread that finds no work polls for
  /// some before it blocks until woken. 0 (the default): it blocks at once. CAF's own default
  /// spins through 600 polls first, which on a machine with few cores takes the CPU from worker
  /// processes and the threads of thread tasks.
  std::size_t scheduler_idle_polls = 0;
  /// The worker processes of process tasks (`workers.*`).
  worker_config workers;
  /// Where the library logs (nullptr: warnings and errors to stderr).
  std::shared_ptr<log_sink> log;

  /// The quotas with defaults filled in for `cpus` cores.
  TASKACTORS_API quota_sizes quotas(unsigned cpus = cpu_count()) const noexcept;

  /// Checks every value; the error (`errc::invalid_config`) names the key and the value.
  TASKACTORS_API caf::error validate(unsigned cpus = cpu_count()) const;
};

} // namespace taskactors
