#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/logger.hpp"
#include "taskactors/worker_config.hpp"

namespace taskactors::detail {

/// Identifies a worker process of one pool.
using worker_id = uint64_t;

/// What to start, and the sandbox to start it in: the executable, its arguments, resource limits
/// and stderr bounds of the `workers.*` settings, and the environment made of them.
struct launch_spec {
  worker_config workers;
  /// The whole environment, as `NAME=value`: nothing else is inherited.
  std::vector<std::string> env;
};

/// Receives what happens to the workers a launcher started, on the launcher's own thread.
class worker_events {
public:
  virtual ~worker_events();
  virtual void started(worker_id id, int pid) = 0;
  virtual void start_failed(worker_id id, std::string reason) = 0;
  virtual void output(worker_id id, std::vector<char> bytes) = 0;
  /// The process ended; `status` as `waitpid` reports it.
  virtual void exited(worker_id id, int status) = 0;
};

/// The operating-system seam of the worker pool: everything that touches processes goes through
/// it, so that the pool is tested with a fake one (no processes, no threads, no sleeps).
class process_launcher {
public:
  virtual ~process_launcher();

  /// Starts a worker in its own process group; reports `started` or `start_failed`.
  virtual void launch(worker_id id, const launch_spec& spec) = 0;

  /// Writes to the worker's stdin, in order.
  virtual void write(worker_id id, std::vector<char> bytes) = 0;

  /// Sends `sig` to the worker's process group.
  virtual void signal(worker_id id, int sig) = 0;

  /// Closes the worker's stdin (a worker exits on end of input).
  virtual void close_input(worker_id id) = 0;

  /// The worker's resident memory, if it still runs.
  virtual std::optional<std::size_t> resident_bytes(worker_id id) = 0;

  /// Kills every worker still running, waits for them and stops the launcher's thread.
  virtual void stop() = 0;

  /// `stop` without waiting, for a caller that must not block on the launcher's thread (an actor
  /// on a scheduler thread, or the launcher's own thread). Kills every
  /// worker and reports no event from then on; the launcher's thread frees the launcher once the
  /// workers are reaped, so the caller must release it. Returns false if the launcher cannot
  /// stop that way, and then `stop` is needed.
  virtual bool stop_later() { return false; }
};

/// The real launcher: Boost.Process v2 (vfork and exec, no shell) and Boost.Asio pipes on one
/// thread of its own. Worker stderr goes to `log`, line by line, with the worker's pid, within
/// the bounds of the launch spec.
std::unique_ptr<process_launcher> make_process_launcher(std::shared_ptr<worker_events> events,
                                                        std::shared_ptr<log_sink> log);

/// Returns whether `path` names an executable file, or why not.
std::optional<std::string> check_executable(const std::string& path);

} // namespace taskactors::detail
