// Shutdown, abort and metrics: the manager's answers that involve every task or every limiter.

#include <caf/exit_reason.hpp>
#include <caf/make_message.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>

#include "actors/fan_in.hpp"
#include "actors/manager_state.hpp"
#include "taskactors/errc.hpp"

namespace taskactors::detail {

namespace {

caf::error stopped_error() {
  return caf::make_error(errc::not_running, "the manager stopped");
}

void cancel_live(manager_pointer self, task_state terminal, const caf::error& reason) {
  for (auto key : self->state.table.live_keys())
    if (stop_task(self, key, terminal, reason) == transition::applied)
      ++self->state.report.cancelled;
}

// Stops the manager's own actors: the worker pool (which kills any worker left).
void stop_helpers(manager_pointer self, const caf::error& reason) {
  if (self->state.workers)
    self->send_exit(self->state.workers, reason);
}

void complete_shutdown(manager_pointer self, std::vector<limiter_stats> stats) {
  auto& st = self->state;
  // Callables still running now ignored their stop token past the deadline: their threads are
  // detached when the manager stops.
  for (auto& rt : st.runtimes)
    if (rt.orphaned) {
      auto rec = st.table.find(rt.key);
      st.report.stragglers.push_back(rec ? rec->id : fmt::format("task-{}", rt.key));
    }
  st.report.deadline_passed = st.stop_deadline_handled;
  fill_metrics(self, st.report.metrics);
  st.report.metrics.limiters = std::move(stats);
  for (auto& rp : st.shutdown_promises)
    rp.deliver(st.report);
  st.shutdown_promises.clear();
  st.log->info("manager stopped: {} tasks finished, {} cancelled by shutdown, {} tokens not "
               "returned",
               st.report.metrics.finished(), st.report.cancelled, st.report.leaked_tokens());
  stop_helpers(self, caf::exit_reason::user_shutdown);
  self->quit();
}

void finalize_tokens(manager_pointer self);

// Every task ended and every task actor is gone: stop the worker processes, then wait until each
// token is back, then report and stop.
void finalize(manager_pointer self) {
  auto& st = self->state;
  st.finalizing = true;
  // Gathers still waiting out a jitter would only be refused from now on.
  cancel_gathers(self);
  if (!st.workers) {
    finalize_tokens(self);
    return;
  }
  auto now = self->clock().now();
  auto grace = caf::timespan{std::chrono::milliseconds{100}};
  auto wait =
      st.report_deadline > now ? std::max(caf::timespan{st.report_deadline - now}, grace) : grace;
  self->request(st.workers, wait + st.cfg.workers.kill_grace, shutdown_atom::value)
      .then(
          [self](process_metrics& m) {
            self->state.report.metrics.processes = m;
            finalize_tokens(self);
          },
          [self](caf::error&) { finalize_tokens(self); });
}

void finalize_tokens(manager_pointer self) {
  auto& st = self->state;
  // Past the deadline, what is still out is held by a callable that ignored its stop token,
  // and waiting for it would only make the report late.
  if (st.tokens.idle() || st.report_deadline <= self->clock().now()) {
    report_tokens_now(self);
    return;
  }
  // `give_back` reports once the last token is back, `on_tick` at the deadline.
  st.awaiting_tokens = true;
  rearm(self);
}

} // namespace

void report_tokens_now(manager_pointer self) {
  self->state.awaiting_tokens = false;
  complete_shutdown(self, self->state.tokens.stats());
}

caf::result<shutdown_report> begin_shutdown(manager_pointer self, shutdown_mode mode,
                                            caf::timespan deadline) {
  auto& st = self->state;
  if (deadline <= caf::timespan::zero())
    return caf::make_error(errc::invalid_argument, "the shutdown deadline must be positive");
  auto rp = self->make_response_promise<shutdown_report>();
  st.shutdown_promises.push_back(rp);
  if (st.phase == manager_phase::shutting_down)
    return rp; // Already under way: this caller gets the same report.
  auto now = self->clock().now();
  st.phase = manager_phase::shutting_down;
  st.stop_mode = mode;
  st.report.mode = mode;
  if (deadline == no_timeout || deadline > time_point::max() - now) {
    st.stop_deadline = st.report_deadline = time_point::max();
  } else {
    // What still runs is cancelled a little before the deadline, so that code that stops when
    // asked has returned its tokens by the time the report is due.
    auto grace = std::min(caf::timespan{std::chrono::milliseconds{100}}, deadline / 4);
    st.report_deadline = now + deadline;
    st.stop_deadline = st.report_deadline - grace;
  }
  st.log->info("manager shutting down ({}), {} tasks pending or running", to_string(mode),
               st.table.in_flight());
  if (mode == shutdown_mode::cancel) {
    cancel_gathers(self);
    cancel_live(self, task_state::cancelled,
                caf::make_error(errc::cancelled, "cancelled by shutdown"));
  }
  check_shutdown(self);
  rearm(self);
  return rp;
}

void check_shutdown(manager_pointer self) {
  auto& st = self->state;
  if (st.phase != manager_phase::shutting_down || st.finalizing)
    return;
  if (st.table.in_flight() > 0 || st.live_actors > 0)
    return;
  // A drain lets a running gather draw its remaining inputs, until the deadline.
  if (st.stop_mode == shutdown_mode::drain && !st.stop_deadline_handled && !st.gathers.empty())
    return;
  finalize(self);
}

void on_shutdown_deadline(manager_pointer self) {
  auto& st = self->state;
  st.stop_deadline_handled = true;
  st.log->warn("shutdown deadline passed with {} tasks pending or running and {} task actors "
               "alive",
               st.table.in_flight(), st.live_actors);
  // Async actors told to stop before the deadline and still here ignored their cancellation.
  // (Thread callables get until the report: see complete_shutdown.)
  for (auto& rt : st.runtimes) {
    if (rt.actor && rt.stopping && rt.kind == task_kind::async) {
      auto rec = st.table.find(rt.key);
      st.report.stragglers.push_back(rec ? rec->id : fmt::format("task-{}", rt.key));
    }
  }
  cancel_gathers(self); // they would only draw inputs that are refused from now on
  cancel_live(self, task_state::cancelled,
              caf::make_error(errc::cancelled, "cancelled when the shutdown deadline passed"));
  // Whatever is still alive gets `kill` right behind its cancellation: an actor that stops on
  // the cancellation never sees it, one that traps it stops anyway (`kill` cannot be trapped).
  for (auto& rt : st.runtimes)
    if (rt.actor)
      stop_actor(self, rt.actor, caf::exit_reason::kill);
  check_shutdown(self);
}

void abort_all(manager_pointer self, const caf::error& reason) {
  auto& st = self->state;
  st.log->error("manager aborting: {}", render(reason));
  st.phase = manager_phase::shutting_down;
  st.finalizing = true;
  cancel_live(self, task_state::failed, reason);
  for (auto& rt : st.runtimes)
    if (rt.actor)
      self->send_exit(rt.actor, caf::exit_reason::kill);
  stop_helpers(self, reason);
  for (auto& rp : st.shutdown_promises)
    rp.deliver(reason);
  st.shutdown_promises.clear();
  self->quit(reason);
}

void fill_metrics(manager_pointer self, manager_metrics& out) {
  auto& st = self->state;
  st.table.fill(out);
  out.rejected = st.rejected;
  out.live_actors = st.live_actors;
  for (auto& [key, list] : st.waiters)
    out.waiters += list.size();
  auto pool = st.pool->snapshot();
  out.threads.alive = pool.threads;
  out.threads.busy = pool.busy;
  out.threads.created = pool.created;
  out.threads.abandoned = st.abandoned;
}

caf::result<manager_metrics> collect_metrics(manager_pointer self) {
  manager_metrics initial;
  fill_metrics(self, initial);
  initial.limiters = self->state.tokens.stats();
  auto& workers = self->state.workers;
  auto& gathers = self->state.gathers;
  if (!workers && gathers.empty())
    return initial; // nothing to ask another actor
  auto rp = self->make_response_promise<manager_metrics>();
  auto fan =
      make_fan_in(rp, std::move(initial), (workers ? 1 : 0) + gathers.size(), stopped_error());
  for (auto& [id, entry] : gathers)
    self->request(entry.actor, caf::infinite, stats_atom::value)
        .then(
            [fan](gather_stats& stats) {
              fan->result().gathers.push_back(std::move(stats));
              fan->arrive();
            },
            [fan](caf::error&) { fan->arrive(); }); // It ended meanwhile.
  if (workers)
    self->request(workers, caf::infinite, stats_atom::value)
        .then(
            [fan](process_metrics& m) {
              fan->result().processes = m;
              fan->arrive();
            },
            [fan](caf::error& err) { fan->fail(std::move(err)); });
  return rp;
}

manager_state::manager_state() : table(table_limits{}), tokens({1, 1, 1}) {}

manager_state::~manager_state() {
  // Every promise is answered, on every path, even when the manager is killed.
  for (auto& [key, list] : waiters)
    for (auto& w : list)
      w.promise.deliver(stopped_error());
  for (auto& rp : shutdown_promises)
    rp.deliver(stopped_error());
  for (auto& rt : runtimes)
    if (rt.actor)
      caf::anon_send_exit(rt.actor, caf::exit_reason::kill);
  // Joins the pool's threads; a callable that still runs (it ignores its stop token) keeps its
  // thread, detached, and no longer reaches back into the actor system.
  if (pool)
    pool->shutdown(clock_type::now());
}

} // namespace taskactors::detail
