#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace taskactors::detail {

/// A pool of OS threads for blocking code, with no actor inside. It starts a thread only when a
/// job finds no idle one and fewer than `max_threads` exist, and a thread that stays idle for
/// `idle_timeout` exits. The pool never runs more than `max_threads` jobs at once; whoever posts
/// bounds that further (the manager posts only for tasks holding a thread token).
class thread_pool {
public:
  /// A unit of work. `run` executes on a pool thread, then `finish` on the same thread once the
  /// pool already counts that thread as available again: a job that publishes its result from
  /// `finish` lets the next job reuse the thread instead of starting one. Neither may throw.
  /// `abandon` is called instead, from the thread that stops the pool, for a job that never
  /// started, and as well for a job still running when the pool gives up waiting for it at
  /// shutdown: it must then drop every reference the job holds to things that will not outlive
  /// the pool.
  struct job {
    std::function<void()> run;
    std::function<void()> finish;
    std::function<void()> abandon;
  };

  struct stats {
    /// Threads alive.
    std::size_t threads = 0;
    /// Threads running a job.
    std::size_t busy = 0;
    /// Jobs waiting for a thread.
    std::size_t queued = 0;
    std::size_t max_threads = 0;
    /// Threads started since the pool was created.
    std::size_t created = 0;
  };

  thread_pool(std::size_t max_threads, std::chrono::nanoseconds idle_timeout);

  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  /// Stops the pool at once (see `shutdown`).
  ~thread_pool();

  /// Runs `j` on an idle thread, on a new thread if none is idle and fewer than `max_threads`
  /// exist, or later, first in first out. A new thread is started outside the pool's lock.
  /// Returns nothing when `j` is queued; otherwise why not (dropping `j`): the pool stopped, or
  /// no thread could be started and none is alive to run it.
  struct refusal {
    bool stopped = false; // the pool stopped; otherwise no thread could be started
    std::string reason;
  };
  std::optional<refusal> post(job j);

  /// Changes the thread limit; surplus threads exit when they become idle.
  void set_max_threads(std::size_t n);

  stats snapshot() const;

  /// Stops accepting jobs and abandons the queued ones; waits until `deadline` for running
  /// jobs to return, abandons those still running then, and returns how many that were. It never
  /// joins a thread (every thread is detached and holds only the pool's shared state, so a
  /// scheduler thread may call it with `deadline` now): the only wait past `deadline` is for
  /// threads between a job's end and its `finish` returning, which after this call send
  /// nothing. Idempotent.
  std::size_t shutdown(std::chrono::steady_clock::time_point deadline);

  /// Waits until at most `n` threads are alive (idle ones retire after the idle timeout), or
  /// until `deadline`. Returns whether the pool got there.
  bool wait_threads_at_most(std::size_t n, std::chrono::steady_clock::time_point deadline);

  /// Starts a detached thread that runs `body`; throws `std::system_error` when the system has
  /// no thread to give (EAGAIN). Replaceable, for tests.
  using thread_starter = std::function<void(std::function<void()> body)>;
  void set_thread_starter(thread_starter start);

private:
  struct queued_job {
    uint64_t number;
    job work;
  };

  struct shared_state {
    mutable std::mutex mtx;
    std::condition_variable work;
    std::condition_variable changed;
    std::deque<queued_job> queue;
    uint64_t posted = 0;
    std::size_t max_threads = 0;
    std::size_t threads = 0;
    std::size_t busy = 0;
    std::size_t idle = 0;
    /// Threads between a job's `run` and the end of its `finish`: they look for work right
    /// after.
    std::size_t finishing = 0;
    std::size_t created = 0;
    std::chrono::nanoseconds idle_timeout{0};
    bool stopping = false;
    /// The job each busy thread runs, for abandoning it if it outlives the pool.
    std::map<std::thread::id, job*> running;
  };

  static void work(std::shared_ptr<shared_state> st);

  std::shared_ptr<shared_state> st_;
  thread_starter start_;
};

} // namespace taskactors::detail
