// The path of a task through the manager: tokens, start, end, timers.

#include <algorithm>
#include <chrono>

#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>
#include <caf/make_message.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>
#include <fmt/format.h>

#include "actors/async_task_actor.hpp"
#include "actors/manager_state.hpp"
#include "actors/process_task_actor.hpp"
#include "actors/thread_task_actor.hpp"
#include "core/units.hpp"
#include "taskactors/errc.hpp"

namespace taskactors::detail {

namespace {

// The manager is the only client of its token arbiter; the tickets are task keys.
constexpr client_id manager_client = 1;

void start_task(manager_pointer self, task_key key);

} // namespace

void start_granted(manager_pointer self) {
  auto& st = self->state;
  for (auto& g : st.tokens.grant(self->clock().now())) {
    auto key = static_cast<task_key>(g.ticket);
    auto rec = st.table.find(key);
    auto& rt = runtime_of(self, key);
    if (rec == nullptr || rec->state != task_state::pending || rt.key != key || !rt.requested) {
      st.tokens.release(manager_client, g.quotas); // cannot happen: ended tasks withdraw
      continue;
    }
    rt.requested = false;
    rt.held = g.quotas;
    start_task(self, key);
  }
}

namespace {

// Returns the tokens the manager holds for a task that will not run.
void return_held(manager_pointer self, task_runtime& rt) {
  auto held = rt.held;
  rt.held = 0;
  if (held != 0)
    give_back(self, held);
}

caf::actor spawn_task_actor(manager_pointer self, task_key key, const task_record& rec,
                            task_runtime& rt) {
  auto parent = caf::actor_cast<task_parent_actor>(self);
  auto body = std::move(rt.body); // the actor takes the code; the slot keeps none
  if (rec.kind == task_kind::process)
    return self->spawn<process_task_actor>(
        key, std::move(parent), std::get<process_call>(std::move(*body)), self->state.workers);
  if (rec.kind == task_kind::thread)
    return self->spawn<thread_task_actor>(
        key, rec.id, std::move(parent), std::get<thread_body>(std::move(*body)), self->state.pool);
  return self->spawn<async_task_actor>(key, rec.id, std::move(parent),
                                       std::get<async_body>(std::move(*body)));
}

void release(manager_pointer self, task_runtime& rt, quota q) {
  if (rt.held & mask_of(q)) {
    rt.held = static_cast<quota_mask>(rt.held & ~mask_of(q));
    give_back(self, mask_of(q));
  }
}

// A task ended while its code still runs (a thread task's callable, a process task's job in
// its worker): it keeps only its thread or process token. `threads.abandoned` counts callables.
void abandon(manager_pointer self, task_runtime& rt, task_kind kind) {
  if (rt.abandoned)
    return;
  rt.abandoned = true;
  rt.abandoned_callable = kind == task_kind::thread;
  if (rt.abandoned_callable)
    ++self->state.abandoned;
  release(self, rt, quota::global);
}

// The code of an abandoned task ended: its thread or process token goes back.
void settle_abandoned(manager_pointer self, task_runtime& rt) {
  if (rt.abandoned) {
    rt.abandoned = false;
    if (rt.abandoned_callable)
      --self->state.abandoned;
    rt.abandoned_callable = false;
  }
  return_held(self, rt);
}

caf::error timeout_reason(const task_record& rec, time_point now) {
  if (rec.state == task_state::pending)
    return caf::make_error(errc::timeout, "deadline passed before the task started");
  if (rec.timeout != no_timeout && now - rec.started_at >= rec.timeout)
    return caf::make_error(
        errc::timeout, fmt::format("execution timeout of {} ms exceeded", whole_ms(rec.timeout)));
  return caf::make_error(errc::timeout, "deadline passed while running");
}

void start_task(manager_pointer self, task_key key) {
  auto& st = self->state;
  auto now = self->clock().now();
  auto rec = st.table.find(key);
  auto& rt = runtime_of(self, key);
  if (rec->deadline <= now) {
    // Its deadline passed while it waited for tokens: it never starts.
    stop_task(self, key, task_state::timeout, timeout_reason(*rec, now));
    return;
  }
  rt.actor = spawn_task_actor(self, key, *rec, rt);
  ++st.live_actors;
  st.table.start(key, now);
  st.log->debug("task {} started ({})", rec->id, to_string(rec->kind));
  rearm(self);
}

void notify(manager_pointer self, task_key key) {
  auto& st = self->state;
  auto i = st.waiters.find(key);
  if (i != st.waiters.end()) {
    auto info = st.table.info(key);
    for (auto& w : i->second) {
      if (w.number != 0) {
        st.wait_deadlines.remove(w.number);
        st.waiting_on.erase(w.number);
      }
      w.promise.deliver(info);
    }
    st.waiters.erase(i);
  }
}

void log_end(manager_pointer self, const task_record& rec) {
  auto& log = *self->state.log;
  switch (rec.state) {
  case task_state::completed:
    log.debug("task {} completed", rec.id);
    break;
  case task_state::cancelled:
    log.debug("task {} cancelled", rec.id);
    break;
  default:
    log.info("task {} {}: {}", rec.id, to_string(rec.state), render(rec.error));
  }
}

} // namespace

quota_mask quotas_for(task_kind kind, bool inherits_global) {
  quota_mask own = 0;
  if (kind == task_kind::thread)
    own = mask_of(quota::thread);
  else if (kind == task_kind::process)
    own = mask_of(quota::process);
  return inherits_global ? own : static_cast<quota_mask>(own | mask_of(quota::global));
}

task_runtime& runtime_of(manager_pointer self, task_key key) {
  auto& runtimes = self->state.runtimes;
  auto slot = static_cast<uint32_t>(key);
  if (slot >= runtimes.size())
    runtimes.resize(slot + 1);
  return runtimes[slot];
}

void request_tokens(manager_pointer self, task_key key) {
  auto rec = self->state.table.find(key);
  auto& rt = runtime_of(self, key);
  auto quotas = quotas_for(rec->kind, rt.inherits_global);
  if (quotas == 0) {
    start_task(self, key); // An async child runs on its parent's global token.
    return;
  }
  rt.requested = true;
  self->state.tokens.enqueue(manager_client, key, quotas, self->clock().now());
  start_granted(self);
}

void stop_actor(manager_pointer self, const caf::actor& actor, caf::error reason) {
  auto& st = self->state;
  const void* turn = self->current_mailbox_element();
  if (turn != st.stops_turn) {
    st.stops_turn = turn;
    st.stops_this_turn = 0;
  }
  if (st.deferred_stops.empty() && st.stops_this_turn < stop_batch) {
    ++st.stops_this_turn;
    self->send_exit(actor, std::move(reason));
    return;
  }
  if (st.deferred_stops.empty())
    self->send(caf::actor_cast<manager_internal_actor>(self), stops_atom::value);
  st.deferred_stops.emplace_back(actor, std::move(reason));
}

void send_deferred_stops(manager_pointer self) {
  auto& st = self->state;
  for (std::size_t i = 0; i < stop_batch && !st.deferred_stops.empty(); ++i) {
    auto& [actor, reason] = st.deferred_stops.front();
    self->send_exit(actor, std::move(reason));
    st.deferred_stops.pop_front();
  }
  if (!st.deferred_stops.empty())
    self->send(caf::actor_cast<manager_internal_actor>(self), stops_atom::value);
}

void give_back(manager_pointer self, quota_mask quotas) {
  auto& st = self->state;
  st.tokens.release(manager_client, quotas);
  start_granted(self);
  if (st.awaiting_tokens && st.tokens.idle())
    report_tokens_now(self);
}

transition finish_task(manager_pointer self, task_key key, task_state terminal, task_value value,
                       caf::error error, bool then_check_shutdown) {
  auto& st = self->state;
  auto now = self->clock().now();
  auto result = st.table.finish(key, terminal, now, std::move(value), std::move(error));
  if (result == transition::applied) {
    log_end(self, *st.table.find(key));
    notify(self, key);
    stop_children(self, key);
    st.table.prune(now);
    if (then_check_shutdown)
      check_shutdown(self);
  }
  return result;
}

transition stop_task(manager_pointer self, task_key key, task_state terminal, caf::error reason) {
  auto rec = self->state.table.find(key);
  if (rec != nullptr && !rec->terminal()) {
    auto& rt = runtime_of(self, key);
    if (rec->state == task_state::pending) {
      if (rt.requested) {
        rt.requested = false;
        self->state.tokens.withdraw(manager_client, key);
        start_granted(self); // a withdrawn request may have held tokens on its way
      }
      return_held(self, rt);
      rt.body.reset();
    } else if (rt.actor) {
      rt.stopping = true;
      if (rec->kind != task_kind::async)
        abandon(self, rt,
                rec->kind); // ends now; its thread or worker keeps its own token until it is done
      stop_actor(self, rt.actor, reason);
    }
  }
  return finish_task(self, key, terminal, {}, std::move(reason));
}

void on_task_report(manager_pointer self, task_key key, task_outcome& outcome) {
  auto& st = self->state;
  auto& rt = runtime_of(self, key);
  if (rt.key != key || !rt.actor)
    return; // Not from a live task actor of ours: nothing to settle.
  rt.actor = nullptr;
  --st.live_actors;
  st.table.annotate(key, outcome.stage, outcome.worker_pid);
  auto rec = st.table.find(key);
  if (outcome.callable_running) {
    // The actor is gone but its code still runs (a thread's callable, a worker's job): keep its
    // thread or process token until its pool reports the end.
    rt.orphaned = true;
    abandon(self, rt, rec != nullptr ? rec->kind : task_kind::thread);
  }
  bool live = rec != nullptr && !rec->terminal();
  // The answer goes out before the tokens go back and start the next tasks in line. Shutdown is
  // looked at after both.
  if (outcome.stopped && !live) {
    // Confirms the stop the manager asked for: nothing late about it.
  } else if (!outcome.exited) {
    finish_task(self, key, outcome.state, std::move(outcome.value), std::move(outcome.error),
                false);
  } else if (live) {
    finish_task(self, key, task_state::failed, {}, std::move(outcome.error), false);
  }
  if (!outcome.callable_running)
    settle_abandoned(self, rt);
  check_shutdown(self);
}

void on_orphan_done(manager_pointer self, task_key key, task_outcome& outcome) {
  auto& rt = runtime_of(self, key);
  if (rt.key != key || !rt.orphaned)
    return;
  rt.orphaned = false;
  settle_abandoned(self, rt);
  if (outcome.exited) {
    // A stopped process job: its worker is gone, which is all this says.
    self->state.table.annotate(key, outcome.stage, outcome.worker_pid);
    return;
  }
  // The task ended when its actor stopped: this result is late (counted, not applied).
  finish_task(self, key, outcome.state, std::move(outcome.value), std::move(outcome.error));
}

void stop_children(manager_pointer self, task_key parent) {
  auto& st = self->state;
  if (!st.gathers.empty())
    cancel_gathers(self, parent);
  auto i = st.children.find(parent);
  if (i == st.children.end())
    return;
  auto children = std::move(i->second);
  st.children.erase(i);
  for (auto child : children)
    if (auto rec = st.table.find(child); rec != nullptr && !rec->terminal())
      stop_task(self, child, task_state::cancelled,
                caf::make_error(errc::cancelled, "its parent task ended"));
}

void rearm(manager_pointer self) {
  auto& st = self->state;
  auto next = std::min(st.table.next_deadline().value_or(time_point::max()),
                       st.wait_deadlines.next().value_or(time_point::max()));
  if (st.phase == manager_phase::shutting_down && !st.stop_deadline_handled)
    next = std::min(next, st.stop_deadline);
  if (st.awaiting_tokens)
    next = std::min(next, st.report_deadline);
  if (next != time_point::max())
    st.timer.wake_at(self, next, [self] { on_tick(self); });
}

void expire_waiters(manager_pointer self, const std::vector<uint64_t>& due) {
  auto& st = self->state;
  for (auto number : due) {
    auto on = st.waiting_on.find(number);
    if (on == st.waiting_on.end())
      continue;
    auto key = on->second;
    st.waiting_on.erase(on);
    auto i = st.waiters.find(key);
    if (i == st.waiters.end())
      continue;
    auto& list = i->second;
    auto w = std::find_if(list.begin(), list.end(), [&](auto& x) { return x.number == number; });
    if (w == list.end())
      continue;
    auto rec = st.table.find(key);
    w->promise.deliver(caf::make_error(
        errc::wait_timeout, fmt::format("task '{}' did not finish within {} ms",
                                        rec != nullptr ? rec->id : task_id{}, whole_ms(w->limit))));
    list.erase(w);
    if (list.empty())
      st.waiters.erase(i);
  }
}

void on_tick(manager_pointer self) {
  auto& st = self->state;
  auto now = self->clock().now();
  for (auto key : st.table.take_due(now)) {
    auto rec = st.table.find(key);
    if (rec != nullptr && !rec->terminal())
      stop_task(self, key, task_state::timeout, timeout_reason(*rec, now));
  }
  if (st.wait_deadlines.size() != 0)
    expire_waiters(self, st.wait_deadlines.take_due(now));
  if (st.phase == manager_phase::shutting_down && !st.stop_deadline_handled &&
      st.stop_deadline <= now)
    on_shutdown_deadline(self);
  if (st.awaiting_tokens && st.report_deadline <= now) {
    report_tokens_now(self);
    return;
  }
  rearm(self);
}

} // namespace taskactors::detail
