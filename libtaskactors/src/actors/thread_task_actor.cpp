#include "actors/thread_task_actor.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>

#include "taskactors/errc.hpp"

namespace taskactors::detail {

task_outcome run_thread_body(thread_body& body, std::stop_token stop) {
  try {
    auto result = body(std::move(stop));
    if (result)
      return task_outcome{task_state::completed, std::move(*result), {}};
    return task_outcome{task_state::failed, {}, std::move(result.error())};
  } catch (...) {
    return task_outcome{task_state::failed, {}, exception_to_error(std::current_exception())};
  }
}

thread_task_actor::thread_task_actor(caf::actor_config& cfg, uint64_t key, task_id id,
                                     task_parent_actor parent, thread_body body,
                                     std::shared_ptr<thread_pool> pool)
    : caf::event_based_actor(cfg), key_(key), id_(std::move(id)), parent_(std::move(parent)),
      body_(std::move(body)), pool_(std::move(pool)) {}

caf::behavior thread_task_actor::make_behavior() {
  call_ = std::make_shared<thread_call>();
  call_->key = key_;
  call_->actor = caf::actor_cast<caf::weak_actor_ptr>(ctrl());
  call_->manager = caf::actor_cast<orphan_sink_actor>(parent_);
  set_exit_handler([this](caf::exit_msg& msg) {
    if (!msg.reason)
      return;
    // A thread cannot be killed: ask the callable to stop and keep waiting for it to return.
    call_->stop.request_stop();
  });
  auto call = call_;
  auto outcome = std::make_shared<task_outcome>();
  auto posted = pool_->post(thread_pool::job{
      [call, outcome, body = std::move(body_)]() mutable {
        *outcome = run_thread_body(body, call->stop.get_token());
        body = nullptr; // release what the callable captured on this thread
      },
      [call, outcome] {
        // Decide under the lock, send after it: a woken receiver must not
        // find the lock still held by the thread that woke it.
        caf::actor self;
        orphan_sink_actor manager;
        {
          std::lock_guard<std::mutex> guard{call->mtx};
          call->returned = true;
          call->outcome = std::move(*outcome);
          if (!call->actor_gone)
            self = caf::actor_cast<caf::actor>(call->actor);
          else
            manager = call->manager;
        }
        if (self)
          caf::anon_send(self, returned_atom::value);
        else if (manager)
          caf::anon_send(manager, orphan_done_atom::value, call->key, std::move(call->outcome));
      },
      [call] {
        std::lock_guard<std::mutex> guard{call->mtx};
        call->actor = nullptr;
        call->manager = nullptr;
      }});
  if (posted) {
    // Not queued: the pool stopped, or the system gave no thread (EAGAIN) and none is alive.
    auto code = posted->stopped ? errc::not_running : errc::task_failed;
    report(task_outcome{task_state::failed, {}, caf::make_error(code, posted->reason)});
    quit();
    return {};
  }
  return {
      [this](returned_atom) {
        task_outcome result;
        {
          std::lock_guard<std::mutex> guard{call_->mtx};
          result = std::move(call_->outcome);
        }
        report(std::move(result));
        quit();
      },
  };
}

void thread_task_actor::report(task_outcome outcome) {
  reported_ = true;
  send(parent_, done_atom::value, key_, std::move(outcome));
}

void thread_task_actor::on_exit() {
  if (!call_) {
    if (!reported_)
      report(task_outcome{task_state::failed, {}, fail_state(), true, false});
    return;
  }
  std::lock_guard<std::mutex> guard{call_->mtx};
  call_->actor_gone = true;
  call_->actor = nullptr;
  if (reported_)
    return;
  if (call_->returned) {
    // The callable returned but the actor stopped before handling it: report it from here.
    reported_ = true;
    send(parent_, done_atom::value, key_, std::move(call_->outcome));
  } else {
    // Stopped (killed) while the callable runs: the pool thread reports its end later.
    call_->stop.request_stop();
    reported_ = true;
    auto reason = fail_state() ? fail_state()
                               : caf::make_error(errc::task_vanished,
                                                 "the task's actor stopped while its thread ran");
    send(parent_, done_atom::value, key_, task_outcome{task_state::failed, {}, reason, true, true});
  }
}

} // namespace taskactors::detail
