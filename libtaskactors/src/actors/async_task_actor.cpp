#include "actors/async_task_actor.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include <caf/actor_cast.hpp>
#include <caf/delegated.hpp>
#include <caf/result.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>

#include "taskactors/errc.hpp"

namespace taskactors::detail {

namespace {

void abort_on_misuse(const task_id& task, const char* call) {
  std::fprintf(stderr,
               "taskactors: async_context::%s of task %s called outside the task's actor (from "
               "another thread, or outside its callbacks); hand work to the actor with "
               "ctx.dispatcher()\n",
               call, task.c_str());
  std::abort();
}

std::atomic<context_misuse_handler> misuse_handler{abort_on_misuse};

#ifndef NDEBUG
/// The async task actor whose turn this thread is running, if any.
thread_local const async_task_actor* turn_owner = nullptr;

/// Marks this thread as running `owner`'s turn until destroyed.
class turn_mark {
public:
  explicit turn_mark(const async_task_actor* owner) noexcept : previous_(turn_owner) {
    turn_owner = owner;
  }
  turn_mark(const turn_mark&) = delete;
  turn_mark& operator=(const turn_mark&) = delete;
  ~turn_mark() { turn_owner = previous_; }

private:
  const async_task_actor* previous_;
};
#endif

} // namespace

context_misuse_handler set_context_misuse_handler(context_misuse_handler handler) noexcept {
  return misuse_handler.exchange(handler ? handler : abort_on_misuse);
}

async_task_actor::async_task_actor(caf::actor_config& cfg, uint64_t key, task_id id,
                                   task_parent_actor parent, async_body body)
    : caf::event_based_actor(cfg), key_(key), id_(std::move(id)), parent_(std::move(parent)),
      body_(std::move(body)), ctx_(this) {}

caf::behavior async_task_actor::make_behavior() {
  set_exception_handler(
      [](std::exception_ptr& ptr) -> caf::error { return exception_to_error(ptr); });
  try {
    body_(ctx_);
  } catch (...) {
    finish(task_outcome{task_state::failed, {}, exception_to_error(std::current_exception())});
  }
  if (finished_)
    return {};
  return {
      [](timer_atom, timer_id) -> caf::result<void> { return caf::delegated<void>{}; },
      [](exec_atom, closure& callback) { callback.fn(); },
  };
}

async_task_actor::extras& async_task_actor::more() {
  if (!extras_)
    extras_ = std::make_unique<extras>();
  return *extras_;
}

#ifndef NDEBUG
caf::resumable::resume_result async_task_actor::resume(caf::execution_unit* unit,
                                                       size_t max_throughput) {
  // Only this thread's marker is touched: once the base returns, another thread may already be
  // running the actor's next turn.
  turn_mark mark{this};
  return caf::event_based_actor::resume(unit, max_throughput);
}
#endif

void async_task_actor::on_exit() {
#ifndef NDEBUG
  // Whoever runs the clean-up owns the actor now: the exit hooks may use the context.
  turn_mark mark{this};
#endif
  caf::error reason;
  if (!finished_) {
    // Stopped without a result: tell the manager why, so that it can settle the task and return
    // the tokens.
    reason = fail_state() ? fail_state()
                          : caf::make_error(errc::task_vanished,
                                            "the task's actor stopped without a result");
    send(parent_, done_atom::value, key_, task_outcome{task_state::failed, {}, reason, true});
  }
  if (extras_) {
    if (!reason)
      reason = extras_->exit_reason;
    auto hooks = std::move(extras_->exit_hooks);
    for (auto& hook : hooks) {
      try {
        hook(reason);
      } catch (...) {
        // Cleanup must not throw; an exception here has nowhere to go.
      }
    }
    extras_.reset();
  }
  body_ = nullptr;
}

void async_task_actor::finish(task_outcome outcome) {
  if (finished_)
    return;
  finished_ = true;
  if (outcome.state == task_state::failed && extras_)
    extras_->exit_reason = outcome.error;
  send(parent_, done_atom::value, key_, std::move(outcome));
  quit();
}

void async_task_actor::arm_timer() {
  auto& more = *extras_;
  if (auto next = more.deadlines.next())
    more.timer.wake_at(
        this, *next, [this] { on_timer(); },
        [this](const caf::error&) {
          finish(task_outcome{task_state::failed,
                              {},
                              caf::make_error(errc::invalid_argument,
                                              "the task's behavior was replaced (become): its "
                                              "timers no longer run; use ctx.after and handlers "
                                              "set through the context instead")});
        });
}

void async_task_actor::on_timer() {
  if (!extras_ || finished_)
    return;
  for (auto id : extras_->deadlines.take_due(clock().now())) {
    fire(id);
    if (finished_)
      return;
  }
  arm_timer();
}

void async_task_actor::fire(timer_id id) {
  if (!extras_)
    return;
  auto& timers = extras_->timers;
  auto i = timers.find(id);
  if (i == timers.end())
    return;
  auto callback = std::move(i->second);
  timers.erase(i);
  if (finished_)
    return;
  try {
    callback();
  } catch (...) {
    finish(task_outcome{task_state::failed, {}, exception_to_error(std::current_exception())});
  }
}

bool async_task_actor::context::on_turn([[maybe_unused]] const char* call) const noexcept {
#ifndef NDEBUG
  if (turn_owner != owner_) {
    misuse_handler.load()(owner_->id_, call);
    return false;
  }
#endif
  return true;
}

caf::event_based_actor* async_task_actor::context::self() noexcept {
  static_cast<void>(on_turn("self"));
  return owner_;
}

bool async_task_actor::context::finished() const noexcept {
  static_cast<void>(on_turn("finished"));
  return owner_->finished_;
}

caf::actor async_task_actor::context::manager() const {
  return caf::actor_cast<caf::actor>(owner_->parent_);
}

void async_task_actor::context::complete_with(task_value value) {
  if (!on_turn("complete"))
    return;
  owner_->finish(task_outcome{task_state::completed, std::move(value), {}});
}

void async_task_actor::context::fail(caf::error reason) {
  if (!on_turn("fail"))
    return;
  if (!reason)
    reason = caf::make_error(errc::task_failed, "failed without a reason");
  owner_->finish(task_outcome{task_state::failed, {}, std::move(reason)});
}

timer_id async_task_actor::context::after(caf::timespan delay, std::function<void()> callback) {
  if (!on_turn("after"))
    return 0;
  auto& more = owner_->more();
  auto id = ++more.next_timer;
  more.timers.emplace(id, std::move(callback));
  more.deadlines.add(owner_->clock().now() + std::max(delay, caf::timespan::zero()), id);
  owner_->arm_timer();
  return id;
}

void async_task_actor::context::cancel_timer(timer_id id) noexcept {
  if (on_turn("cancel_timer") && owner_->extras_) {
    owner_->extras_->timers.erase(id);
    owner_->extras_->deadlines.remove(id);
  }
}

std::function<void(std::function<void()>)> async_task_actor::context::dispatcher() const {
  return [addr = owner_->address()](std::function<void()> fn) {
    if (auto handle = caf::actor_cast<caf::actor>(addr))
      caf::anon_send(handle, exec_atom::value, closure{std::move(fn)});
  };
}

void async_task_actor::context::on_exit(std::function<void(const caf::error&)> cleanup) {
  if (!on_turn("on_exit"))
    return;
  owner_->more().exit_hooks.push_back(std::move(cleanup));
}

} // namespace taskactors::detail
