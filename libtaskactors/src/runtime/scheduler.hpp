// The library's `handoff` scheduler policy (`scheduler.policy = "handoff"`; the default is CAF's
// work stealing): one shared queue, like CAF's work sharing, without waking a sleeping thread for
// work the current thread will take next.
//
// CAF's `work_sharing` wakes an idle thread for every job it queues. When an actor sends a
// message to another actor, the sending thread is about to be free to run the receiver itself,
// so that wake-up only moves the chain to another core: on a machine with few cores, each step
// of a request-reply chain then costs a futex wake and a context switch, and the woken threads
// crowd out the threads that do real work (the thread pool, the process launcher). This policy
// wakes a sleeping thread when a job comes from outside the scheduler, or when the queue already
// holds work the current thread cannot take first. A job queued from a scheduler thread onto an
// empty queue waits for that thread to finish its current job; sleeping threads look at the
// queue every `poll_interval` while any thread is busy, which bounds that wait when a job runs
// long. Only while every thread sleeps does a sleeper wait without polling, and the first thread
// to wake makes the others poll again.

#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <type_traits>
#include <unordered_set>

#include <caf/actor_system.hpp>
#include <caf/config.hpp>
#include <caf/detail/thread_safe_actor_clock.hpp>
#include <caf/policy/unprofiled.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>
#include <caf/scheduler/coordinator.hpp>

namespace taskactors::detail {

/// The one CAF release this file was written against. It is the only place in the library that
/// reaches into CAF's internals (`caf::detail::thread_safe_actor_clock`, the coordinator's and
/// the policy's hooks), which change between releases without notice: a build against another
/// release stops here, until this file has been checked against that release's sources.
inline constexpr int caf_version_checked = 1706; // CAF 0.17.6

static_assert(CAF_VERSION == caf_version_checked,
              "runtime/scheduler.hpp reaches into CAF 0.17.6's internals (caf::detail, the "
              "scheduler policy hooks): check them against this CAF release, then update "
              "caf_version_checked");

class handoff_policy : public caf::policy::unprofiled {
public:
  static constexpr std::chrono::milliseconds poll_interval{1};

  /// Jobs a scheduler thread may leave queued without waking a sleeping one: it runs them itself
  /// once its current job yields. Two, because an actor's turn typically ends by queueing two
  /// short jobs (a reply to its requester and a note to a helper, such as a job for the worker
  /// pool): running both costs less than a futex wake and a context switch.
  static constexpr std::size_t spare = 2;

  struct coordinator_data {
    explicit coordinator_data(caf::scheduler::abstract_coordinator*) {}

    std::deque<caf::resumable*> queue;
    std::mutex lock;
    std::condition_variable cv;
    std::size_t sleeping = 0;
    /// Sleepers that wait without polling: they went to sleep while every thread slept.
    std::size_t deep = 0;
  };

  struct worker_data {
    explicit worker_data(caf::scheduler::abstract_coordinator*) {}
  };

  /// Whether nothing is queued and every one of `workers` threads sleeps.
  static bool idle(coordinator_data& cd, std::size_t workers) {
    std::lock_guard<std::mutex> guard{cd.lock};
    return cd.queue.empty() && cd.sleeping == workers;
  }

  template <class Coordinator>
  void central_enqueue(Coordinator* self, caf::resumable* job) {
    push(d(self), job, true);
  }

  template <class Worker>
  void external_enqueue(Worker* self, caf::resumable* job) {
    push(d(self->parent()), job, true);
  }

  template <class Worker>
  void internal_enqueue(Worker* self, caf::resumable* job) {
    push(d(self->parent()), job, false);
  }

  template <class Worker>
  void resume_job_later(Worker* self, caf::resumable* job) {
    push(d(self->parent()), job, false);
  }

  template <class Worker>
  caf::resumable* dequeue(Worker* self) {
    auto& cd = d(self->parent());
    auto workers = self->parent()->num_workers();
    std::unique_lock<std::mutex> guard{cd.lock};
    while (cd.queue.empty()) {
      ++cd.sleeping;
      if (cd.sleeping == workers) {
        ++cd.deep;
        cd.cv.wait(guard); // nobody runs: nothing can be queued without a wake-up
        --cd.deep;
      } else {
        cd.cv.wait_for(guard, poll_interval);
      }
      --cd.sleeping;
    }
    auto job = cd.queue.front();
    cd.queue.pop_front();
    // This thread is busy from now on: a thread that sleeps without polling must poll now, or a
    // job this one queues during a long turn would wait for the turn's end.
    bool rouse = cd.deep > 0;
    guard.unlock();
    if (rouse)
      cd.cv.notify_all();
    return job;
  }

  template <class Worker, class UnaryFunction>
  void foreach_resumable(Worker*, UnaryFunction) {
    // Workers keep no jobs of their own.
  }

  template <class Coordinator, class UnaryFunction>
  void foreach_central_resumable(Coordinator* self, UnaryFunction f) {
    auto& cd = d(self);
    std::unique_lock<std::mutex> guard{cd.lock};
    while (!cd.queue.empty()) {
      auto job = cd.queue.front();
      cd.queue.pop_front();
      f(job);
    }
  }

private:
  // `external`: queued by a thread that is not one of the scheduler's, which will not run it.
  static void push(coordinator_data& cd, caf::resumable* job, bool external) {
    bool wake = false;
    {
      std::lock_guard<std::mutex> guard{cd.lock};
      cd.queue.push_back(job);
      wake = cd.sleeping > 0 && (external || cd.queue.size() > spare);
    }
    if (wake)
      cd.cv.notify_one(); // after the lock: the woken thread does not wait for it
  }
};

/// The clock of the library's scheduler: CAF's clock thread, told only what concerns it.
///
/// CAF 0.17 has every actor that terminates ask the clock thread to drop its timeouts, whether
/// it set any or not: a wake-up of that thread, and a context switch, for every task actor that
/// ends. This clock passes everything on to CAF's clock but that request, which it passes on
/// only for actors that set a timeout.
class quiet_clock : public caf::detail::thread_safe_actor_clock {
public:
  explicit quiet_clock(caf::detail::thread_safe_actor_clock& inner) : inner_(inner) {}

  void set_ordinary_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                            uint64_t id) override;
  void set_request_timeout(time_point t, caf::abstract_actor* self, caf::message_id id) override;
  void set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                         uint64_t id) override;
  void cancel_ordinary_timeout(caf::abstract_actor* self, caf::atom_value type) override;
  void cancel_request_timeout(caf::abstract_actor* self, caf::message_id id) override;
  void cancel_timeouts(caf::abstract_actor* self) override;
  void schedule_message(time_point t, caf::strong_actor_ptr receiver,
                        caf::mailbox_element_ptr content) override;
  void schedule_message(time_point t, caf::group target, caf::strong_actor_ptr sender,
                        caf::message content) override;
  void cancel_all() override;

private:
  void note(caf::abstract_actor* self);

  caf::detail::thread_safe_actor_clock& inner_;
  std::mutex mtx_;
  /// Actors that set a timeout and have not terminated.
  std::unordered_set<caf::actor_id> timed_;
};

/// A CAF coordinator with the quiet clock. Actor work runs on its threads only: user code in a
/// task's actor never runs on the thread pool's or the process launcher's threads.
template <class Policy>
class quiet_coordinator : public caf::scheduler::coordinator<Policy> {
public:
  using super = caf::scheduler::coordinator<Policy>;

  explicit quiet_coordinator(caf::actor_system& sys) : super(sys), clock_(super::clock()) {}

  caf::detail::thread_safe_actor_clock& clock() noexcept override { return clock_; }

private:
  quiet_clock clock_;
};

} // namespace taskactors::detail
