#include "actors/worker_pool.hpp"

#include <algorithm>
#include <mutex>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/delegated.hpp>
#include <caf/local_actor.hpp>
#include <caf/send.hpp>

#include "actors/self_timer.hpp"
#include "taskactors/errc.hpp"

namespace taskactors::detail {

namespace {

struct pool_state;

using pool_pointer = worker_pool_actor::stateful_pointer<pool_state>;

// Forwards the launcher's events (from its I/O thread) to the pool actor as messages, until the
// pool detaches it.
class pool_events final : public worker_events {
public:
  pool_events(worker_pool_actor pool, caf::actor_clock& clock)
      : pool_(std::move(pool)), clock_(clock) {}

  void started(worker_id id, int pid) override {
    if (auto pool = target())
      caf::anon_send(pool, w_started_atom::value, id, static_cast<int32_t>(pid));
  }

  void start_failed(worker_id id, std::string reason) override {
    if (auto pool = target())
      caf::anon_send(pool, w_failed_atom::value, id, std::move(reason));
  }

  // Stamped with the time it arrived: heartbeats are judged by it, however long the pool's
  // mailbox or the scheduler keeps the message.
  void output(worker_id id, std::vector<char> bytes) override {
    if (auto pool = target())
      caf::anon_send(pool, w_output_atom::value, id, std::move(bytes),
                     caf::timespan{clock_.now().time_since_epoch()});
  }

  void exited(worker_id id, int status) override {
    if (auto pool = target())
      caf::anon_send(pool, w_exited_atom::value, id, static_cast<int32_t>(status));
  }

  /// No event reaches the pool from now on, and the pool is no longer referenced from here.
  void detach() {
    std::lock_guard<std::mutex> guard{mtx_};
    pool_ = nullptr;
  }

private:
  worker_pool_actor target() {
    std::lock_guard<std::mutex> guard{mtx_};
    return pool_;
  }

  std::mutex mtx_;
  worker_pool_actor pool_;
  caf::actor_clock& clock_;
};

process_metrics to_metrics(const pool_stats& s) {
  process_metrics m;
  m.workers = s.workers;
  m.idle = s.idle;
  m.busy = s.busy;
  m.queued = s.queued;
  m.started = s.started;
  m.crashed = s.crashed;
  m.recycled = s.recycled;
  m.killed = s.killed;
  m.backing_off = s.backing_off;
  return m;
}

struct pool_state : pool_driver {
  ~pool_state() override {
    // No event reaches the pool from here on. The launcher kills every worker and frees itself
    // once its thread has reaped them: a scheduler thread never waits for that.
    if (events)
      events->detach();
    if (launcher && launcher->stop_later())
      static_cast<void>(launcher.release());
    for (auto& [key, rp] : promises)
      rp.deliver(job_result{false,
                            {},
                            caf::make_error(errc::not_running, "the worker pool stopped"),
                            stop_stage::none,
                            0});
    for (auto& rp : shutdown_promises)
      rp.deliver(caf::make_error(errc::not_running, "the worker pool stopped"));
  }

  void spawn(worker_id id) override { launcher->launch(id, launch); }

  void send(worker_id id, std::vector<char> bytes) override {
    launcher->write(id, std::move(bytes));
  }

  void signal(worker_id id, int sig) override { launcher->signal(id, sig); }

  void close_input(worker_id id) override { launcher->close_input(id); }

  std::optional<std::size_t> resident_bytes(worker_id id) override {
    return launcher->resident_bytes(id);
  }

  void job_done(job_key key, job_result result) override {
    if (auto o = orphans.find(key); o != orphans.end()) {
      // Its task actor is gone: the manager holds the process token until now.
      task_outcome outcome{task_state::failed, {}, caf::make_error(errc::cancelled, "stopped")};
      outcome.exited = true;
      outcome.stage = result.stage;
      outcome.worker_pid = result.pid;
      self->send(o->second, orphan_done_atom::value, key, std::move(outcome));
      orphans.erase(o);
    }
    auto i = promises.find(key);
    if (i == promises.end())
      return;
    i->second.deliver(std::move(result));
    promises.erase(i);
  }

  void job_started(job_key key, int pid) override {
    self->send(listener, job_pid_atom::value, key, static_cast<int32_t>(pid));
  }

  void jobs_offered(const std::vector<std::string>& names) override {
    self->send(listener, jobs_atom::value, names);
  }

  void note(log_level level, std::string text) override { log->log(level, "{}", text); }

  pool_pointer self = nullptr;
  std::unique_ptr<worker_supervisor> sup;
  std::shared_ptr<pool_events> events;
  std::unique_ptr<process_launcher> launcher;
  launch_spec launch;
  jobs_listener_actor listener;
  std::unordered_map<job_key, caf::typed_response_promise<job_result>> promises;
  std::unordered_map<job_key, orphan_sink_actor> orphans;
  std::vector<caf::typed_response_promise<process_metrics>> shutdown_promises;
  std::unique_ptr<logger> log;
  self_timer<worker_pool_actor, pool_tick_atom> timer;

  static inline const char* name = "taskactors.worker_pool";
};

void after_event(pool_pointer self);

// `due`: when the wake-up was asked for. The supervisor judges the deadlines as of then: what
// arrived before it (a worker's heartbeat, say) is ahead of this wake-up in the mailbox and was
// handled, what arrived later is behind it. A pool that is late to its mailbox (every scheduler
// thread busy with slow callbacks) therefore kills no healthy worker as hung; a deadline that
// has passed meanwhile is due at the next wake-up, asked for at once.
void on_tick(pool_pointer self, caf::actor_clock::time_point due) {
  auto& st = self->state;
  st.sup->tick(std::min(due, self->clock().now()));
  after_event(self);
}

// Arms the timer for the supervisor's next deadline and completes a finished shutdown.
void after_event(pool_pointer self) {
  auto& st = self->state;
  if (st.sup->stopped() && !st.shutdown_promises.empty()) {
    auto stats = to_metrics(st.sup->stats());
    for (auto& rp : st.shutdown_promises)
      rp.deliver(stats);
    st.shutdown_promises.clear();
  }
  if (auto next = st.sup->next_timer())
    st.timer.wake_at(self, *next, [self, due = *next] { on_tick(self, due); });
}

worker_pool_actor::behavior_type pool_behavior(pool_pointer self, jobs_listener_actor listener,
                                               worker_pool_config cfg) {
  auto& state = self->state;
  state.self = self;
  state.listener = std::move(listener);
  state.log = std::make_unique<logger>(cfg.log);
  state.launch = std::move(cfg.launch);
  state.events =
      std::make_shared<pool_events>(caf::actor_cast<worker_pool_actor>(self), self->clock());
  state.launcher = cfg.make_launcher ? cfg.make_launcher(state.events)
                                     : make_process_launcher(state.events, state.log->sink());
  state.sup = std::make_unique<worker_supervisor>(cfg.settings, state);
  state.sup->start(self->clock().now());
  after_event(self);
  return {
      [self](run_job_atom, uint64_t key, std::string& job,
             std::vector<char>& args) -> caf::result<job_result> {
        auto rp = self->make_response_promise<job_result>();
        self->state.promises.emplace(key, rp);
        self->state.sup->submit(key, std::move(job), std::move(args), self->clock().now());
        after_event(self);
        return rp;
      },
      [self](stop_job_atom, uint64_t key, stop_reason why) {
        self->state.sup->stop_job(key, why, self->clock().now());
        after_event(self);
      },
      [self](orphan_job_atom, uint64_t key, orphan_sink_actor& sink) {
        auto& st = self->state;
        if (st.promises.count(key) == 0) {
          // Already over (its answer crossed the actor's end): nothing holds the token.
          task_outcome over;
          over.exited = true;
          self->send(sink, orphan_done_atom::value, key, std::move(over));
          return;
        }
        st.orphans.emplace(key, std::move(sink));
        st.sup->stop_job(key, stop_reason::cancelled, self->clock().now());
        after_event(self);
      },
      [self](stats_atom) { return to_metrics(self->state.sup->stats()); },
      [self](resize_atom, std::size_t n) {
        self->state.sup->set_max_workers(n, self->clock().now());
        after_event(self);
      },
      [self](shutdown_atom) -> caf::result<process_metrics> {
        auto& st = self->state;
        st.sup->shutdown(self->clock().now());
        if (st.sup->stopped())
          return to_metrics(st.sup->stats());
        auto rp = self->make_response_promise<process_metrics>();
        st.shutdown_promises.push_back(rp);
        after_event(self);
        return rp;
      },
      [self](w_started_atom, worker_id id, int32_t pid) {
        self->state.sup->on_started(id, pid, self->clock().now());
        after_event(self);
      },
      [self](w_failed_atom, worker_id id, std::string& reason) {
        self->state.sup->on_start_failed(id, reason, self->clock().now());
        after_event(self);
      },
      [self](w_output_atom, worker_id id, std::vector<char>& bytes, caf::timespan arrived) {
        self->state.sup->on_output(id, bytes.data(), bytes.size(), self->clock().now(),
                                   caf::actor_clock::time_point{arrived});
        after_event(self);
      },
      [self](w_exited_atom, worker_id id, int32_t status) {
        self->state.sup->on_exit(id, status, self->clock().now());
        after_event(self);
      },
      [](pool_tick_atom, uint64_t) -> caf::result<void> { return caf::delegated<void>{}; },
  };
}

} // namespace

worker_pool_actor spawn_worker_pool(caf::local_actor* owner, jobs_listener_actor listener,
                                    worker_pool_config cfg) {
  return owner->spawn<caf::linked>(pool_behavior, std::move(listener), std::move(cfg));
}

} // namespace taskactors::detail
