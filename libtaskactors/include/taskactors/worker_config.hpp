#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/timespan.hpp>

namespace taskactors {

/// How the manager runs the worker processes of process tasks (the `workers.*` keys).
struct worker_config {
  /// `workers.executable`: the worker program (empty: process tasks are disabled).
  std::string executable;
  /// `workers.args`: its arguments.
  std::vector<std::string> args;
  /// `workers.prespawn`: workers started with the manager, so that a job does not pay a process
  /// start (unset: as many as the process quota).
  std::optional<std::size_t> prespawn;
  /// `workers.max-jobs`: recycle a worker after this many jobs (0: never).
  std::size_t max_jobs = 0;
  /// `workers.max-rss`: bytes of resident memory above which a worker is killed during a job
  /// (the job fails with `memory_limit`) or recycled after one (0: no limit).
  std::size_t max_rss = 0;
  /// `workers.rss-interval`: how often a busy worker's memory is checked.
  caf::timespan rss_interval = std::chrono::milliseconds{100};
  /// `workers.kill-grace`: from SIGTERM to SIGKILL when a job is cancelled or times out.
  caf::timespan kill_grace = std::chrono::seconds{2};
  /// `workers.start-timeout`: a worker that does not complete its handshake in time is killed.
  caf::timespan start_timeout = std::chrono::seconds{10};
  /// `workers.restart-intensity`, `workers.restart-period`, `workers.restart-backoff`: more
  /// than `restart_intensity` unexpected worker deaths within `restart_period` pause restarts for
  /// `restart_backoff`; process jobs fail with `pool_unavailable` meanwhile.
  std::size_t restart_intensity = 5;
  caf::timespan restart_period = std::chrono::seconds{10};
  caf::timespan restart_backoff = std::chrono::seconds{5};
  /// `workers.heartbeat`: how often workers send a heartbeat (0: never).
  caf::timespan heartbeat = std::chrono::seconds{1};
  /// `workers.heartbeat-timeout`: a worker silent this long is killed (0: never).
  caf::timespan heartbeat_timeout = std::chrono::seconds{10};
  /// `workers.max-frame`: the largest message a worker may send, in bytes.
  std::size_t max_frame = 64u << 20;
  /// `workers.rlimit-as`, `workers.rlimit-cpu`, `workers.rlimit-nofile`: resource limits of
  /// each worker: address space in bytes, CPU seconds, open files (0: inherited).
  uint64_t rlimit_address_space = 0;
  uint64_t rlimit_cpu_seconds = 0;
  uint64_t rlimit_open_files = 0;
  /// `workers.env-allow`: the host's environment variables a worker sees; nothing else is
  /// inherited.
  std::vector<std::string> env_allow{"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"};
  /// `workers.stderr-line-max`: the longest line of a worker's stderr the host buffers, in
  /// bytes; a longer one is logged in pieces of this size, so that a worker writing without a
  /// newline costs the host no more than this.
  std::size_t stderr_line_max = 4096;
  /// `workers.stderr-lines-per-second`: lines of each worker's stderr logged per second; what
  /// is past that is dropped and counted, and the count is logged once the rate allows (0: no
  /// limit).
  std::size_t stderr_lines_per_second = 100;
};

} // namespace taskactors
