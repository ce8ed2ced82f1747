#include "taskactors/task_manager.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>
#include <fmt/format.h>

#include "taskactors/errc.hpp"

namespace taskactors {

start_error::start_error(caf::error err)
    : std::runtime_error(render(err)), error_(std::move(err)) {}

namespace {

std::unique_ptr<caf::actor_system_config> make_system_config(const manager_config& cfg) {
  auto result = std::make_unique<caf::actor_system_config>();
  auto threads = cfg.scheduler_threads != 0 ? cfg.scheduler_threads : std::size_t{cpu_count()};
  result->set("scheduler.max-threads", threads);
  result->set("scheduler.max-throughput", cfg.scheduler_max_throughput);
  result->set("scheduler.policy", caf::atom_from_string(cfg.scheduler_policy));
  result->add_error_category(caf::atom("taskactors"),
                             [](uint8_t code, caf::atom_value category, const caf::message& ctx) {
                               return render(caf::error{code, category, ctx});
                             });
  return result;
}

// Maps CAF's transport errors to the library's vocabulary.
caf::error translate(caf::error err) {
  if (err == caf::sec::request_receiver_down)
    return caf::make_error(errc::not_running, "the manager has stopped");
  return err;
}

} // namespace

struct task_manager::impl {
  std::unique_ptr<caf::actor_system_config> own_config;
  std::unique_ptr<caf::actor_system> own_system;
  caf::actor_system* sys = nullptr;
  manager_actor mgr;
  caf::timespan shutdown_timeout{};

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
      return caf::make_error(errc::not_running, "the manager has stopped");
    caf::scoped_actor self{*sys, true};
    caf::expected<Result> result{caf::error{}};
    auto on_error = [&](caf::error& err) { result = translate(std::move(err)); };
    auto on_result = [&](Result& x) { result = std::move(x); };
    if (timeout == no_timeout)
      self->request(mgr, caf::infinite, std::forward<Ts>(xs)...).receive(on_result, on_error);
    else
      self->request(mgr, timeout, std::forward<Ts>(xs)...).receive(on_result, on_error);
    return result;
  }
};

task_manager::task_manager(std::unique_ptr<impl> ptr) noexcept : impl_(std::move(ptr)) {}

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
  return impl_->ask<task_id>(no_timeout, submit_atom::value, std::move(spec));
}

caf::expected<task_info> task_manager::run(task_spec spec) {
  return impl_->ask<task_info>(no_timeout, run_atom::value, std::move(spec));
}

caf::expected<task_info> task_manager::cancel(const task_id& id) {
  return impl_->ask<task_info>(no_timeout, cancel_atom::value, id);
}

caf::expected<task_info> task_manager::status(const task_id& id) {
  return impl_->ask<task_info>(no_timeout, status_atom::value, id);
}

caf::expected<std::vector<task_info>> task_manager::list(task_filter filter) {
  return impl_->ask<std::vector<task_info>>(no_timeout, list_atom::value, std::move(filter));
}

caf::expected<task_info> task_manager::wait(const task_id& id, caf::timespan wait_limit) {
  if (wait_limit <= caf::timespan::zero())
    return caf::make_error(errc::invalid_argument, "the wait limit must be positive");
  auto result = impl_->ask<task_info>(wait_limit, wait_atom::value, id);
  if (!result && result.error() == caf::sec::request_timeout)
    return caf::make_error(
        errc::wait_timeout,
        fmt::format("task '{}' did not finish within {} ms", id,
                    std::chrono::duration_cast<std::chrono::milliseconds>(wait_limit).count()));
  return result;
}

caf::expected<manager_metrics> task_manager::metrics() {
  return impl_->ask<manager_metrics>(no_timeout, metrics_atom::value);
}

caf::expected<limiter_stats> task_manager::resize(quota q, std::size_t capacity) {
  return impl_->ask<limiter_stats>(no_timeout, resize_atom::value, q, capacity);
}

caf::expected<shutdown_report> task_manager::shutdown(shutdown_mode mode, caf::timespan deadline) {
  return impl_->ask<shutdown_report>(no_timeout, shutdown_atom::value, mode, deadline);
}

manager_actor task_manager::actor() const {
  return impl_->mgr;
}

caf::actor_system& task_manager::system() const {
  return *impl_->sys;
}

} // namespace taskactors
