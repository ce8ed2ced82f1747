#pragma once

#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include <caf/event_based_actor.hpp>

#include "actors/manager_internal.hpp"
#include "actors/self_timer.hpp"
#include "taskactors/async_context.hpp"

namespace taskactors::detail {

/// What a debug build does when an `async_context` is used off its actor: from another thread,
/// or on the right thread outside the actor's turns. `call` names the member. The default prints
/// the task and the call to stderr and aborts; a handler that returns makes the call do nothing.
using context_misuse_handler = void (*)(const task_id& task, const char* call);

/// Replaces the misuse handler (for tests); returns the previous one.
context_misuse_handler set_context_misuse_handler(context_misuse_handler handler) noexcept;

/// The actor of one async task: runs the body once, then its timers and handlers, and stops.
/// It reports to its manager exactly once: its result when the code finishes, or, from its exit
/// hook, the reason it stopped without one (cancellation and timeouts arrive as exit messages,
/// exceptions end it with an error). CAF runs `on_exit` on every termination path.
class async_task_actor final : public caf::event_based_actor {
public:
  async_task_actor(caf::actor_config& cfg, uint64_t key, task_id id, task_parent_actor parent,
                   async_body body);

  caf::behavior make_behavior() override;

  void on_exit() override;

#ifndef NDEBUG
  /// Marks the thread that runs this actor's turn, for the debug check of the context's use.
  resume_result resume(caf::execution_unit* unit, size_t max_throughput) override;
#endif

private:
  class context final : public async_context {
  public:
    explicit context(async_task_actor* owner) noexcept : owner_(owner) {}

    const task_id& id() const noexcept override { return owner_->id_; }

    caf::event_based_actor* self() noexcept override;

    caf::actor manager() const override;

    void fail(caf::error reason) override;

    bool finished() const noexcept override;

    timer_id after(caf::timespan delay, std::function<void()> callback) override;

    void cancel_timer(timer_id id) noexcept override;

    void on_exit(std::function<void(const caf::error&)> cleanup) override;

    std::function<void(std::function<void()>)> dispatcher() const override;

  protected:
    void complete_with(task_value value) override;

  private:
    /// Whether `call` may go on: always in a release build; in a debug build, only during one of
    /// the actor's turns, on the thread running it (else the misuse handler runs).
    bool on_turn(const char* call) const noexcept;

    async_task_actor* owner_;
  };

  /// What only some tasks use, allocated on first use: an idle task stays small.
  struct extras {
    timer_id next_timer = 0;
    std::unordered_map<timer_id, std::function<void()>> timers;
    deadline_queue<timer_id> deadlines;
    self_timer<caf::actor, timer_atom> timer;
    std::vector<std::function<void(const caf::error&)>> exit_hooks;
    /// The reason handed to the exit hooks.
    caf::error exit_reason;
  };

  extras& more();

  void finish(task_outcome outcome);

  void fire(timer_id id);

  /// Arms the actor's timer for the earliest of its timers.
  void arm_timer();

  /// The timer came: runs the timers that are due.
  void on_timer();

  uint64_t key_;
  task_id id_;
  task_parent_actor parent_;
  async_body body_;
  context ctx_;
  bool finished_ = false;
  std::unique_ptr<extras> extras_;
};

} // namespace taskactors::detail
