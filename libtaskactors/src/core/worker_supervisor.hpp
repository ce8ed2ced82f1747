#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/timespan.hpp>

#include "os/process_launcher.hpp"
#include "taskactors/log.hpp"
#include "taskactors/task_info.hpp"
#include "taskactors/worker_config.hpp"
#include "wire/wire.hpp"

namespace taskactors::detail {

/// Identifies a job: the manager's key of the task that runs it.
using job_key = uint64_t;

/// What the supervisor of a pool needs: the `workers.*` settings as configured, and the size of
/// the pool.
struct pool_settings {
  worker_config workers;
  /// The most workers alive at once (the process quota).
  std::size_t max_workers = 1;
  /// Workers kept started while idle.
  std::size_t prespawn = 1;

  /// The heartbeat timeout in force: zero (never) when workers send no heartbeat.
  caf::timespan heartbeat_timeout() const noexcept {
    return workers.heartbeat > caf::timespan::zero() ? workers.heartbeat_timeout
                                                     : caf::timespan::zero();
  }

  /// The largest frame a worker may send.
  uint32_t max_frame() const noexcept {
    return static_cast<uint32_t>(std::min<std::size_t>(workers.max_frame, UINT32_MAX));
  }
};

/// What happened to a job.
struct job_result {
  bool ok = false;
  /// The serialized result (when `ok`).
  std::vector<char> value;
  /// Why it failed (when not `ok`).
  caf::error error;
  /// For a job stopped on request or killed: the signal that ended its worker.
  stop_stage stage = stop_stage::none;
  /// The worker that ran it (0 if none did).
  int pid = 0;
};

/// Why a job is stopped before it finished.
enum class stop_reason : uint8_t { cancelled, timeout };

/// What the supervisor asks of the world: its actor shell in production, a recorder in tests.
class pool_driver {
public:
  virtual ~pool_driver();
  virtual void spawn(worker_id id) = 0;
  virtual void send(worker_id id, std::vector<char> bytes) = 0;
  virtual void signal(worker_id id, int sig) = 0;
  virtual void close_input(worker_id id) = 0;
  virtual std::optional<std::size_t> resident_bytes(worker_id id) = 0;
  virtual void job_done(job_key key, job_result result) = 0;
  /// A job went to the worker with process id `pid`.
  virtual void job_started(job_key key, int pid);
  virtual void jobs_offered(const std::vector<std::string>& names) = 0;
  virtual void note(log_level level, std::string text) = 0;
};

struct pool_stats {
  std::size_t workers = 0;
  std::size_t idle = 0;
  std::size_t busy = 0;
  std::size_t queued = 0;
  std::size_t started = 0;
  std::size_t crashed = 0;
  std::size_t recycled = 0;
  std::size_t killed = 0;
  bool backing_off = false;
};

/// Supervises a pool of worker processes, OTP style, with no actor and no process inside: it
/// takes events (a worker started, sent bytes, exited; a job arrived or must stop; time passed)
/// and tells its driver what to do. It never trusts a worker: a malformed, oversized, unexpected
/// or out-of-order frame gets the worker killed and its job failed with `protocol_error`.
class worker_supervisor {
public:
  worker_supervisor(pool_settings settings, pool_driver& driver);

  /// Starts the pre-spawned workers.
  void start(time_point now);

  /// Runs `job` with `args` on a worker, as soon as one is free.
  void submit(job_key key, std::string job, std::vector<char> args, time_point now);

  /// Stops a job: drops it if it waits, otherwise terminates its worker (SIGTERM, then SIGKILL
  /// after the grace period). Its result reports the stage that ended it.
  void stop_job(job_key key, stop_reason why, time_point now);

  void on_started(worker_id id, int pid, time_point now);
  void on_start_failed(worker_id id, const std::string& reason, time_point now);
  /// `arrived`: when the launcher read the bytes. A worker is judged hung by when its frames
  /// arrived, not by when the pool got round to them.
  void on_output(worker_id id, const char* data, std::size_t n, time_point now, time_point arrived);
  void on_exit(worker_id id, int status, time_point now);

  /// Handles every deadline that passed: start timeouts, grace periods, heartbeats, memory
  /// checks, the end of a back-off.
  void tick(time_point now);

  /// When `tick` has something to do next, if ever.
  std::optional<time_point> next_timer() const;

  /// Fails waiting jobs, lets idle workers exit and terminates busy ones.
  void shutdown(time_point now);

  /// Shutdown is complete: no worker is left.
  bool stopped() const noexcept { return stopping_ && workers_.empty(); }

  void set_max_workers(std::size_t n, time_point now);

  pool_stats stats() const;

  /// The jobs the workers offered in their handshake (empty before the first one).
  const std::vector<std::string>& offered() const noexcept { return offered_; }

private:
  enum class state : uint8_t { starting, handshaking, idle, busy, retiring, stopping, killed };

  struct worker {
    worker_id id = 0;
    int pid = 0;
    state st = state::starting;
    wire::decoder input;
    bool has_job = false;
    job_key job = 0;
    std::string job_name;
    uint64_t request = 0;
    std::size_t jobs_done = 0;
    time_point deadline = time_point::max();
    time_point last_seen{};
    /// What the current job gets when the worker exits after being stopped or killed.
    caf::error fate;
    stop_stage stage = stop_stage::none;
    /// The worker was stopped on purpose: its exit is not a crash.
    bool expected_exit = false;
  };

  struct pending_job {
    job_key key = 0;
    std::string name;
    std::vector<char> args;
  };

  worker* find(worker_id id);
  void spawn_one(time_point now);
  void dispatch(time_point now);
  void assign(worker& w, pending_job job, time_point now);
  void handle_frame(worker& w, wire::frame& f, time_point now);
  void finish_job(worker& w, job_result result, time_point now);
  /// Kills a worker at once; its job (if any) fails with `fate`.
  void kill(worker& w, caf::error fate, bool counts_as_crash, time_point now);
  /// Asks a worker to exit (SIGTERM, or closing its input when idle), SIGKILL after the grace.
  void terminate(worker& w, caf::error fate, time_point now);
  void retire(worker& w, time_point now);
  void record_crash(const std::string& what, time_point now);
  void fail_queue(const caf::error& err);
  std::string describe_exit(const worker& w, int status) const;

  pool_settings cfg_;
  pool_driver& driver_;
  std::map<worker_id, worker> workers_;
  std::deque<pending_job> queue_;
  std::map<job_key, worker_id> running_;
  std::deque<time_point> crashes_;
  std::vector<std::string> offered_;
  time_point backoff_until_ = time_point::min();
  time_point next_rss_check_ = time_point::max();
  worker_id next_id_ = 1;
  uint64_t next_request_ = 1;
  bool stopping_ = false;
  pool_stats counters_;
};

} // namespace taskactors::detail
