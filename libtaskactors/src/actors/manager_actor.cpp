#include "taskactors/manager_actor.hpp"

#include <algorithm>
#include <cstdlib>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/make_message.hpp>
#include <caf/system_messages.hpp>
#include <fmt/format.h>

#include "actors/manager_state.hpp"
#include "core/units.hpp"
#include "os/worker_env.hpp"
#include "taskactors/errc.hpp"

namespace taskactors {

namespace detail {

namespace {

bool has_body(const async_body& fn) {
  return static_cast<bool>(fn);
}

bool has_body(const thread_body& fn) {
  return static_cast<bool>(fn);
}

bool has_body(const process_call& call) {
  return !call.job.empty() && static_cast<bool>(call.decode);
}

caf::error check_spec(const task_spec& spec) {
  auto body = std::visit([](const auto& x) { return has_body(x); }, spec.body);
  if (!body)
    return caf::make_error(errc::invalid_argument,
                           fmt::format("a {} task needs a body", to_string(spec.kind())));
  if (spec.options.timeout && *spec.options.timeout <= caf::timespan::zero())
    return caf::make_error(
        errc::invalid_argument,
        fmt::format("timeout must be positive, got {} ns", spec.options.timeout->count()));
  return {};
}

// The environment of a worker: the allowed variables of ours, and what it needs from us.
std::vector<std::string> worker_environment(const worker_config& w) {
  std::vector<std::string> env;
  for (auto& name : w.env_allow)
    if (auto value = std::getenv(name.c_str()))
      env.push_back(name + "=" + value);
  env.push_back(fmt::format("{}={}", env_parent_pid, ::getpid()));
  env.push_back(fmt::format("{}={}", env_heartbeat_ms, whole_ms(w.heartbeat)));
  return env;
}

worker_pool_config make_pool_config(const manager_config& cfg, const quota_sizes& q,
                                    launcher_factory factory) {
  auto& w = cfg.workers;
  worker_pool_config result;
  result.settings.workers = w;
  result.settings.max_workers = q.process;
  result.settings.prespawn = w.prespawn.value_or(q.process);
  result.launch.workers = w;
  result.launch.env = worker_environment(w);
  result.log = cfg.log;
  result.make_launcher = std::move(factory);
  return result;
}

} // namespace

caf::expected<task_key> running_parent(manager_pointer self, const task_id& parent) {
  if (parent.empty())
    return invalid_task_key;
  auto key = self->state.table.lookup(parent);
  auto rec = self->state.table.find(key);
  if (rec == nullptr || rec->state != task_state::running)
    return caf::make_error(errc::invalid_argument,
                           fmt::format("parent task '{}' is not running", parent));
  return key;
}

caf::error check_job(manager_pointer self, const std::string& job) {
  auto& st = self->state;
  if (!st.workers)
    return caf::make_error(errc::invalid_argument,
                           "process tasks need a worker executable (workers.executable)");
  auto& jobs = st.offered_jobs;
  if (!jobs.empty() && std::find(jobs.begin(), jobs.end(), job) == jobs.end())
    return caf::make_error(errc::unknown_job, fmt::format("no worker offers job '{}' (they offer: "
                                                          "{})",
                                                          job, fmt::join(jobs, ", ")));
  return {};
}

namespace {

// Records a live child of `parent`; finished children are dropped from time to time, so a
// parent that starts many children one after another (a gather) keeps a short list.
void add_child(manager_pointer self, task_key parent, task_key child) {
  auto& st = self->state;
  auto& children = st.children[parent];
  if (children.size() >= 64 && (children.size() & (children.size() - 1)) == 0)
    std::erase_if(children, [&](task_key k) {
      auto rec = st.table.find(k);
      return rec == nullptr || rec->terminal();
    });
  children.push_back(child);
}

// Whether `spec` is an input that one of the manager's running gathers asks to run. A drain lets
// admitted work finish, and a gather was admitted as a whole: it may go on drawing its inputs
// until the drain's deadline.
bool from_draining_gather(manager_pointer self, const task_spec& spec) {
  auto& st = self->state;
  if (st.phase != manager_phase::shutting_down || st.stop_mode != shutdown_mode::drain ||
      st.stop_deadline_handled || st.finalizing)
    return false;
  const auto& id = spec.options.id;
  auto gather = st.gathers.find(id.substr(0, id.find('/')));
  return gather != st.gathers.end() && gather->second.actor.address() == self->current_sender();
}

caf::expected<task_id> submit(manager_pointer self, task_spec& spec) {
  auto& st = self->state;
  if (st.phase != manager_phase::running && !from_draining_gather(self, spec))
    return reject(self, caf::make_error(errc::shutting_down, "the manager is shutting down"));
  if (auto err = check_spec(spec))
    return reject(self, std::move(err));
  // A process task needs workers, and a job they offer (once they told which).
  if (auto call = std::get_if<process_call>(&spec.body))
    if (auto err = check_job(self, call->job))
      return reject(self, std::move(err));
  auto parent = running_parent(self, spec.options.parent);
  if (!parent)
    return reject(self, std::move(parent.error()));
  auto now = self->clock().now();
  auto timeout = spec.options.timeout.value_or(st.cfg.default_timeout);
  auto deadline = spec.options.deadline.value_or(time_point::max());
  auto key = st.table.admit(std::move(spec.options.id), spec.kind(), now, timeout, deadline);
  if (!key)
    return reject(self, std::move(key.error()));
  auto& rt = runtime_of(self, *key);
  rt = task_runtime{};
  rt.key = *key;
  rt.kind = spec.kind();
  rt.body = std::make_unique<task_body>(std::move(spec.body));
  if (*parent != invalid_task_key) {
    rt.inherits_global = true;
    add_child(self, *parent, *key);
  }
  auto rec = st.table.find(*key);
  task_id id = rec->id;
  st.log->debug("task {} submitted ({})", id, to_string(rec->kind));
  if (deadline <= now) {
    stop_task(self, *key, task_state::timeout,
              caf::make_error(errc::timeout, "deadline passed before the task started"));
    return id;
  }
  request_tokens(self, *key);
  rearm(self);
  return id;
}

caf::error unknown(const task_id& id);

// Answers with the task's record once it is terminal, or with wait_timeout once `limit` passes.
caf::result<task_info> wait_for(manager_pointer self, const task_id& id,
                                caf::timespan limit = no_timeout) {
  auto& st = self->state;
  if (limit <= caf::timespan::zero())
    return caf::make_error(errc::invalid_argument, "the wait limit must be positive");
  auto key = st.table.lookup(id);
  if (key == invalid_task_key)
    return unknown(id);
  if (st.table.find(key)->terminal())
    return st.table.info(key);
  task_waiter w{self->make_response_promise<task_info>(), 0, limit};
  auto rp = w.promise;
  auto now = self->clock().now();
  if (limit != no_timeout && limit < time_point::max() - now) {
    w.number = ++st.waiters_seen;
    st.wait_deadlines.add(now + limit, w.number);
    st.waiting_on.emplace(w.number, key);
  }
  auto limited = w.number != 0;
  st.waiters[key].push_back(std::move(w));
  if (limited)
    rearm(self);
  return rp;
}

caf::error unknown(const task_id& id) {
  return caf::make_error(errc::unknown_task,
                         fmt::format("no live or retained task has id '{}'", id));
}

} // namespace

manager_internal_actor::behavior_type manager_behavior(manager_pointer self, manager_config cfg,
                                                       launcher_factory factory) {
  auto& state = self->state;
  auto quotas = cfg.quotas();
  state.table = task_table(table_limits{cfg.max_queue, cfg.retain_count, cfg.retain_age});
  state.log = std::make_unique<logger>(cfg.log);
  state.pool = std::make_shared<thread_pool>(quotas.thread, cfg.thread_idle_timeout);
  if (!cfg.workers.executable.empty())
    state.workers = spawn_worker_pool(self, caf::actor_cast<jobs_listener_actor>(self),
                                      make_pool_config(cfg, quotas, std::move(factory)));
  state.cfg = std::move(cfg);
  state.tokens = token_arbiter{{quotas.global, quotas.thread, quotas.process}};
  state.log->info("manager started: quota.global={} quota.thread={} quota.process={} "
                  "max_queue={}",
                  quotas.global, quotas.thread, quotas.process, state.cfg.max_queue);
  self->set_exit_handler([self](caf::exit_msg& msg) {
    if (!msg.reason)
      return;
    abort_all(self, msg.reason);
  });
  // The manager monitors its gathers, and nothing else.
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& gathers = self->state.gathers;
    std::erase_if(gathers, [&](auto& kv) { return kv.second.actor.address() == msg.source; });
    check_shutdown(self); // a drain waits for its gathers
  });
  return {
      [self](submit_atom, task_spec& spec) -> caf::result<task_id> { return submit(self, spec); },
      [self](run_atom, task_spec& spec) -> caf::result<task_info> {
        auto id = submit(self, spec);
        if (!id)
          return std::move(id.error());
        return wait_for(self, *id);
      },
      [self](cancel_atom, const task_id& id) -> caf::result<task_info> {
        auto& st = self->state;
        auto key = st.table.lookup(id);
        if (key == invalid_task_key)
          return unknown(id);
        stop_task(self, key, task_state::cancelled,
                  caf::make_error(errc::cancelled, "cancelled by request"));
        return st.table.info(key);
      },
      [self](status_atom, const task_id& id) -> caf::result<task_info> {
        auto& st = self->state;
        st.table.prune(self->clock().now());
        auto key = st.table.lookup(id);
        if (key == invalid_task_key)
          return unknown(id);
        return st.table.info(key);
      },
      [self](list_atom, const task_filter& filter) -> std::vector<task_info> {
        auto& st = self->state;
        st.table.prune(self->clock().now());
        return st.table.list(filter);
      },
      [self](wait_atom, const task_id& id) -> caf::result<task_info> { return wait_for(self, id); },
      [self](wait_atom, const task_id& id, caf::timespan limit) -> caf::result<task_info> {
        return wait_for(self, id, limit);
      },
      [self](metrics_atom) -> caf::result<manager_metrics> { return collect_metrics(self); },
      [self](resize_atom, quota q, std::size_t capacity) -> caf::result<limiter_stats> {
        if (static_cast<std::size_t>(q) >= quota_count)
          return caf::make_error(errc::invalid_argument, "unknown quota");
        if (capacity == 0)
          return caf::make_error(errc::invalid_argument,
                                 fmt::format("quota.{} must be at least 1, got 0", to_string(q)));
        self->state.log->info("quota.{} resized to {}", to_string(q), capacity);
        if (q == quota::thread)
          self->state.pool->set_max_threads(capacity);
        if (q == quota::process && self->state.workers)
          self->send(self->state.workers, resize_atom::value, capacity);
        auto& tokens = self->state.tokens;
        tokens.resize(q, capacity);
        start_granted(self);
        return tokens.pool(q).stats();
      },
      [self](shutdown_atom, shutdown_mode mode, caf::timespan deadline) {
        return begin_shutdown(self, mode, deadline);
      },
      [self](stops_atom) { send_deferred_stops(self); },
      [self](done_atom, uint64_t key, task_outcome& outcome) {
        on_task_report(self, key, outcome);
      },
      [self](orphan_done_atom, uint64_t key, task_outcome& outcome) {
        on_orphan_done(self, key, outcome);
      },
      [self](job_pid_atom, uint64_t key, int32_t pid) {
        self->state.table.annotate(key, stop_stage::none, pid);
      },
      [self](jobs_atom, std::vector<std::string>& jobs) {
        self->state.offered_jobs = std::move(jobs);
      },
      [](tick_atom, uint64_t) -> caf::result<void> { return caf::delegated<void>{}; },
      [self](gather_atom, gather_spec& spec) { return start_gather(self, spec); },
      [self](cancel_atom, gather_atom, const task_id& id) -> caf::result<gather_stats> {
        auto unknown_gather = [](const task_id& gid) {
          return caf::make_error(errc::unknown_task,
                                 fmt::format("no running gather has id '{}'", gid));
        };
        auto i = self->state.gathers.find(id);
        if (i == self->state.gathers.end())
          return unknown_gather(id);
        // A gather that just answered its caller may be gone before its monitor tells us.
        auto rp = self->make_response_promise<gather_stats>();
        self->request(i->second.actor, caf::infinite, cancel_atom::value)
            .then(
                [rp](gather_stats& stats) mutable { rp.deliver(std::move(stats)); },
                [rp, id, unknown_gather](caf::error&) mutable { rp.deliver(unknown_gather(id)); });
        return rp;
      },
      [self](gather_done_atom, const task_id& id) {
        auto& gathers = self->state.gathers;
        if (auto i = gathers.find(id);
            i != gathers.end() && i->second.actor.address() == self->current_sender()) {
          gathers.erase(i);
          check_shutdown(self);
        }
      },
      [self](ack_atom, const task_id& id, uint64_t n) {
        if (auto i = self->state.gathers.find(id); i != self->state.gathers.end())
          self->send(i->second.actor, ack_atom::value, n);
      },
  };
}

} // namespace detail

caf::expected<manager_actor> spawn_manager(caf::actor_system& sys, manager_config cfg) {
  return detail::spawn_manager_with(sys, std::move(cfg), {});
}

namespace detail {

caf::expected<manager_actor> spawn_manager_with(caf::actor_system& sys, manager_config cfg,
                                                launcher_factory factory) {
  if (auto err = cfg.validate())
    return err;
  return caf::actor_cast<manager_actor>(
      sys.spawn(manager_behavior, std::move(cfg), std::move(factory)));
}

} // namespace detail

} // namespace taskactors
