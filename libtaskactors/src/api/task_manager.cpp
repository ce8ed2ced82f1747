#include "taskactors/task_manager.hpp"

#include <atomic>
#include <stdexcept>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message.hpp>
#include <caf/policy/work_sharing.hpp>
#include <caf/policy/work_stealing.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>

#include "api/facade_errors.hpp"
#include "core/units.hpp"
#include "runtime/scheduler.hpp"
#include "taskactors/errc.hpp"

namespace taskactors {

start_error::start_error(caf::error err)
    : std::runtime_error(render(err)), error_(std::move(err)) {}

namespace {

// The scheduler of an actor system the facade starts: CAF's coordinator with `Policy` and the
// library's quiet clock.
template <class Policy>
caf::actor_system::module* make_coordinator(caf::actor_system& sys) {
  return new detail::quiet_coordinator<Policy>(sys);
}

std::unique_ptr<caf::actor_system_config> make_system_config(const manager_config& cfg) {
  auto result = std::make_unique<caf::actor_system_config>();
  auto threads = cfg.scheduler_threads != 0 ? cfg.scheduler_threads : std::size_t{cpu_count()};
  result->set("scheduler.max-threads", threads);
  result->set("scheduler.max-throughput", cfg.scheduler_max_throughput);
  if (cfg.scheduler_policy == "handoff")
    result->module_factories.emplace_back(make_coordinator<detail::handoff_policy>);
  else if (cfg.scheduler_policy == "sharing")
    result->module_factories.emplace_back(make_coordinator<caf::policy::work_sharing>);
  else if (cfg.scheduler_policy == "stealing") {
    result->module_factories.emplace_back(make_coordinator<caf::policy::work_stealing>);
    // CAF polls 100 times without a pause, then 500 times with 50 µs sleeps that nothing cuts
    // short, before a thread blocks on a condition variable that enqueues signal. On few cores
    // the spinning takes the CPU from worker processes and thread-task threads, and a message
    // from outside waits out the sleeps: the process round trip and `cpu` measured better
    // with no polling at all (docs/performance.md).
    result->set("work-stealing.aggressive-poll-attempts", cfg.scheduler_idle_polls);
    result->set("work-stealing.moderate-poll-attempts", std::size_t{0});
  } else
    result->set("scheduler.policy", caf::atom_from_string(cfg.scheduler_policy));
  result->add_error_category(caf::atom("taskactors"),
                             [](uint8_t code, caf::atom_value category, const caf::message& ctx) {
                               return render(caf::error{code, category, ctx});
                             });
  return result;
}

} // namespace

struct task_manager::impl {
  std::unique_ptr<caf::actor_system_config> own_config;
  std::unique_ptr<caf::actor_system> own_system;
  caf::actor_system* sys = nullptr;
  manager_actor mgr;
  caf::timespan shutdown_timeout{};
  /// Set once a shutdown answered: `actor()` is null from then on (asks still reach the stopped
  /// manager's handle and fail with `not_running`).
  std::atomic<bool> stopped{false};
  /// The state of a moved-from task_manager: every call fails with `not_running`.
  bool moved_from = false;

  ~impl() {
    if (mgr) {
      // Bounded: the manager answers by its deadline; the margin covers the answer's trip.
      auto report =
          ask<shutdown_report>(shutdown_timeout + std::chrono::seconds{1}, shutdown_atom::value,
                               shutdown_mode::cancel, shutdown_timeout);
      if (!report && !is(report.error(), errc::not_running))
        caf::anon_send_exit(mgr, caf::exit_reason::kill);
      mgr = nullptr;
    }
    own_system.reset();
    own_config.reset();
  }

  template <class Result, class... Ts>
  caf::expected<Result> ask(caf::timespan timeout, Ts&&... xs) const {
    if (!mgr)
      return caf::make_error(errc::not_running, moved_from ? "this task_manager was moved from"
                                                           : "the manager has stopped");
    caf::scoped_actor self{*sys, true};
    caf::expected<Result> result{caf::error{}};
    auto on_error = [&](caf::error& err) { result = detail::translate(std::move(err)); };
    auto on_result = [&](Result& x) { result = std::move(x); };
    if (timeout == no_timeout)
      self->request(mgr, caf::infinite, std::forward<Ts>(xs)...).receive(on_result, on_error);
    else
      self->request(mgr, timeout, std::forward<Ts>(xs)...).receive(on_result, on_error);
    return result;
  }
};

task_manager::task_manager(std::unique_ptr<impl> ptr) noexcept : impl_(std::move(ptr)) {}

const task_manager::impl& task_manager::state() const noexcept {
  if (impl_)
    return *impl_;
  static const auto* moved = [] {
    auto* x = new impl; // never destroyed: usable until the process ends
    x->moved_from = true;
    return x;
  }();
  return *moved;
}

caf::expected<task_manager> task_manager::start(manager_config cfg) {
  if (auto err = cfg.validate())
    return err;
  auto ptr = std::make_unique<impl>();
  ptr->own_config = make_system_config(cfg);
  ptr->own_system = std::make_unique<caf::actor_system>(*ptr->own_config);
  ptr->sys = ptr->own_system.get();
  ptr->shutdown_timeout = cfg.shutdown_timeout;
  auto mgr = spawn_manager(*ptr->sys, std::move(cfg));
  if (!mgr)
    return std::move(mgr.error());
  ptr->mgr = std::move(*mgr);
  return task_manager{std::move(ptr)};
}

caf::expected<task_manager> task_manager::attach(caf::actor_system& sys, manager_config cfg) {
  if (auto err = cfg.validate())
    return err;
  auto ptr = std::make_unique<impl>();
  ptr->sys = &sys;
  ptr->shutdown_timeout = cfg.shutdown_timeout;
  auto mgr = spawn_manager(sys, std::move(cfg));
  if (!mgr)
    return std::move(mgr.error());
  ptr->mgr = std::move(*mgr);
  return task_manager{std::move(ptr)};
}

namespace {

template <class F>
auto unwrap(F&& make) {
  auto result = make();
  if (!result)
    throw start_error(std::move(result.error()));
  return std::move(*result);
}

} // namespace

task_manager::task_manager(manager_config cfg)
    : task_manager(unwrap([&] { return start(std::move(cfg)); })) {}

task_manager::task_manager(caf::actor_system& sys, manager_config cfg)
    : task_manager(unwrap([&] { return attach(sys, std::move(cfg)); })) {}

task_manager::task_manager(task_manager&&) noexcept = default;

task_manager& task_manager::operator=(task_manager&&) noexcept = default;

task_manager::~task_manager() = default;

caf::expected<task_id> task_manager::submit(task_spec spec) {
  return state().ask<task_id>(no_timeout, submit_atom::value, std::move(spec));
}

caf::expected<task_info> task_manager::run(task_spec spec) {
  return state().ask<task_info>(no_timeout, run_atom::value, std::move(spec));
}

caf::expected<task_info> task_manager::cancel(const task_id& id) {
  return state().ask<task_info>(no_timeout, cancel_atom::value, id);
}

caf::expected<task_info> task_manager::status(const task_id& id) {
  return state().ask<task_info>(no_timeout, status_atom::value, id);
}

caf::expected<std::vector<task_info>> task_manager::list(task_filter filter) {
  return state().ask<std::vector<task_info>>(no_timeout, list_atom::value, std::move(filter));
}

caf::expected<task_info> task_manager::wait(const task_id& id, caf::timespan wait_limit) {
  if (wait_limit <= caf::timespan::zero())
    return caf::make_error(errc::invalid_argument, "the wait limit must be positive");
  // The manager answers wait_timeout when the limit passes and forgets the waiter; our own
  // timeout, a second later, only covers a manager too busy to answer in time.
  auto slack = std::chrono::seconds{1};
  auto ours = wait_limit < no_timeout - slack ? wait_limit + slack : no_timeout;
  auto result = state().ask<task_info>(ours, wait_atom::value, id, wait_limit);
  if (!result && result.error() == caf::sec::request_timeout)
    return caf::make_error(errc::wait_timeout, fmt::format("task '{}' did not finish within {} ms",
                                                           id, detail::whole_ms(wait_limit)));
  return result;
}

caf::expected<manager_metrics> task_manager::metrics() {
  return state().ask<manager_metrics>(no_timeout, metrics_atom::value);
}

caf::expected<limiter_stats> task_manager::resize(quota q, std::size_t capacity) {
  return state().ask<limiter_stats>(no_timeout, resize_atom::value, q, capacity);
}

caf::expected<shutdown_report> task_manager::shutdown(shutdown_mode mode, caf::timespan deadline) {
  auto report = state().ask<shutdown_report>(no_timeout, shutdown_atom::value, mode, deadline);
  if (report && impl_)
    impl_->stopped = true;
  return report;
}

caf::expected<gather_result> task_manager::gather(gather_spec spec, caf::timespan wait_limit) {
  if (wait_limit <= caf::timespan::zero())
    return caf::make_error(errc::invalid_argument, "the wait limit must be positive");
  // The request's sender is a scoped actor gone when this returns: a gather whose caller gave
  // up waiting sees it go and cancels itself.
  auto result = state().ask<gather_result>(wait_limit, gather_atom::value, std::move(spec));
  if (!result && result.error() == caf::sec::request_timeout)
    return caf::make_error(errc::wait_timeout,
                           fmt::format("the gather did not finish within {} ms and was cancelled",
                                       detail::whole_ms(wait_limit)));
  return result;
}

caf::expected<gather_stats> task_manager::cancel_gather(const task_id& id) {
  return state().ask<gather_stats>(no_timeout, cancel_atom::value, gather_atom::value, id);
}

caf::expected<outcome_stream> task_manager::as_completed(gather_spec spec, std::size_t buffer) {
  auto mgr = actor();
  if (!mgr)
    return caf::make_error(errc::not_running,
                           impl_ ? "the manager has stopped" : "this task_manager was moved from");
  return outcome_stream::open(*state().sys, std::move(mgr), std::move(spec), buffer);
}

manager_actor task_manager::actor() const {
  auto& st = state();
  return st.stopped ? manager_actor{} : st.mgr;
}

caf::actor_system& task_manager::system() const {
  if (!impl_)
    throw std::logic_error("task_manager::system(): this task_manager was moved from");
  return *impl_->sys;
}

} // namespace taskactors
