#pragma once

#include <caf/event_based_actor.hpp>

#include "actors/manager_internal.hpp"
#include "actors/worker_pool.hpp"
#include "taskactors/process_task.hpp"

namespace taskactors::detail {

/// The actor of one process task: asks the worker pool to run the job and waits, non-blocking.
/// Cancellation and timeouts arrive as exit messages, which it traps: it asks the pool to stop
/// the job (terminating that job's worker only) and reports once the worker is gone, with the
/// signal that ended it; until then the task keeps its process token.
class process_task_actor final : public caf::event_based_actor {
public:
  process_task_actor(caf::actor_config& cfg, uint64_t key, task_parent_actor parent,
                     process_call call, worker_pool_actor pool);

  caf::behavior make_behavior() override;

  void on_exit() override;

private:
  void report(task_outcome outcome);

  uint64_t key_;
  task_parent_actor parent_;
  process_call call_;
  worker_pool_actor pool_;
  bool stopping_ = false;
  bool reported_ = false;
};

} // namespace taskactors::detail
