// A thread outside the scheduler that wakes an actor may run the work that follows itself.
//
// A blocking job ends on a pool thread; its task actor, the manager and the caller then each take
// a turn, and the caller's next request comes back to the pool. Handing that chain to a sleeping
// scheduler thread costs a futex wake and, on a machine whose idle cores halt, the wake-up of
// another core: more than the chain itself. While every scheduler thread sleeps, the thread that
// finished the job therefore runs the chain on its own, for a bounded number of actor turns, and
// hands the rest to the scheduler. The same idea lets a thread returning from a blocking call keep
// running its continuation in Go's runtime.
//
// Only the library's `handoff` scheduler says whether its threads sleep; with any other
// scheduler, or once a scheduler thread is awake, every job goes to the scheduler as usual.
//
// Code that may run in an actor's turn must therefore not block on a thread that may be helping:
// joining it, or waiting for it. `helping_unit::active()` tells such code where it runs.

#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

#include <caf/execution_unit.hpp>
#include <caf/fwd.hpp>

namespace taskactors::detail {

class helping_unit;

/// A scheduler that lets threads outside it run actor work: the library's coordinator.
class helping_host {
public:
  virtual ~helping_host();

  /// The unit those threads run actors with; null when the scheduler's policy has no say on
  /// whether its threads sleep.
  virtual helping_unit* helping() noexcept = 0;

  /// Whether every scheduler thread sleeps with nothing queued.
  virtual bool idle() = 0;

  /// Counts a thread that runs actor work until `remove_helper`; false once the scheduler stops.
  bool add_helper();

  void remove_helper();

protected:
  /// Refuses new helpers and waits until none is left: the scheduler's own threads are joined
  /// next, and no thread may touch an actor after that.
  void stop_helpers();

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::size_t helpers_ = 0;
  bool stopping_ = false;
};

/// The execution unit of helping threads, one per scheduler, alive as long as it is: an actor
/// keeps a pointer to the unit of its last turn.
class helping_unit final : public caf::execution_unit {
public:
  /// Actor turns one delivery may take before it hands the rest to the scheduler.
  static constexpr std::size_t budget = 64;

  helping_unit(caf::actor_system& sys, helping_host& host);

  /// On a thread in the middle of `deliver`, keeps `job` for that thread while the scheduler
  /// sleeps; gives it to the scheduler otherwise.
  void exec_later(caf::resumable* job) override;

  /// Sends `msg` to `dest` with no sender and, while the scheduler sleeps, runs what that starts
  /// on the calling thread, up to `budget` turns; the rest goes to the scheduler.
  static void deliver(caf::actor dest, caf::message msg);

  /// Whether the calling thread runs actor work for a helping unit right now.
  static bool active() noexcept;

private:
  void run(std::deque<caf::resumable*>& jobs);

  caf::actor_system& sys_;
  helping_host& host_;
};

} // namespace taskactors::detail
