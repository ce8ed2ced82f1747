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

#pragma once

#include <cstddef>
#include <deque>

#include <caf/actor.hpp>
#include <caf/execution_unit.hpp>
#include <caf/message.hpp>

namespace caf {
class resumable;
namespace scheduler {
class abstract_coordinator;
} // namespace scheduler
} // namespace caf

namespace taskactors::detail {

class helping_unit final : public caf::execution_unit {
public:
  /// Actor turns one `run` may take before it hands the rest to the scheduler.
  static constexpr std::size_t budget = 64;

  explicit helping_unit(caf::actor_system& sys);

  helping_unit(const helping_unit&) = delete;
  helping_unit& operator=(const helping_unit&) = delete;

  /// Hands whatever `run` left to the scheduler.
  ~helping_unit() override;

  /// Keeps `job` for `run` while every scheduler thread sleeps; gives it to the scheduler
  /// otherwise.
  void exec_later(caf::resumable* job) override;

  /// Runs the jobs kept so far and those they start, up to `budget` turns, while the scheduler
  /// stays asleep; hands the rest to it.
  void run();

  /// Sends `msg` to `dest` with no sender and runs what it starts (see `run`).
  static void deliver(const caf::actor& dest, caf::message msg);

private:
  bool scheduler_idle() const;

  caf::actor_system& sys_;
  /// The system's scheduler when it is the library's `handoff` one; null otherwise.
  caf::scheduler::abstract_coordinator* handoff_ = nullptr;
  std::deque<caf::resumable*> jobs_;
};

} // namespace taskactors::detail
