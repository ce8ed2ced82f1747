#pragma once

#include <memory>
#include <mutex>
#include <stop_token>

#include <caf/actor_control_block.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/manager_internal.hpp"
#include "runtime/thread_pool.hpp"
#include "taskactors/thread_task.hpp"

namespace taskactors::detail {

/// What a thread task's actor and the pool thread running its callable share. Whoever learns
/// last of the two events "the callable returned" and "the actor stopped" reports the callable's
/// end, so it is reported exactly once: by the actor when it sees the return, from its exit hook
/// if it stopped after the return but before handling it, or by the pool thread straight to the
/// manager if the actor was already gone.
struct thread_call {
  std::mutex mtx;
  std::stop_source stop;
  uint64_t key = 0;
  /// The task actor, while it lives.
  caf::weak_actor_ptr actor;
  /// The manager, for a callable that outlives its actor. Cleared if the pool abandons the call.
  orphan_sink_actor manager;
  bool returned = false;
  bool actor_gone = false;
  task_outcome outcome;
};

/// The actor of one thread task. It hands the callable to the library's thread pool and waits
/// for it to return, non-blocking. Cancellation and timeouts arrive as exit messages: the actor
/// traps them, requests the callable's stop token and keeps waiting, because a thread cannot be
/// killed and the task's thread token must stay held until the callable actually returns.
class thread_task_actor final : public caf::event_based_actor {
public:
  thread_task_actor(caf::actor_config& cfg, uint64_t key, task_id id, task_parent_actor parent,
                    thread_body body, std::shared_ptr<thread_pool> pool);

  caf::behavior make_behavior() override;

  void on_exit() override;

private:
  void report(task_outcome outcome);

  uint64_t key_;
  task_id id_;
  task_parent_actor parent_;
  thread_body body_;
  std::shared_ptr<thread_pool> pool_;
  std::shared_ptr<thread_call> call_;
  bool reported_ = false;
};

/// Runs a thread body, turning exceptions into a failure.
task_outcome run_thread_body(thread_body& body, std::stop_token stop);

} // namespace taskactors::detail
