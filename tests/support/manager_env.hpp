#pragma once

#include <cstdlib>
#include <utility>

#include <catch2/catch.hpp>

#include "deterministic.hpp"
#include "taskactors/async_context.hpp"
#include "taskactors/manager_actor.hpp"
#include "taskactors/task_spec.hpp"

namespace taskactors::test {

/// A small manager for deterministic tests: global quota 4 unless the test says otherwise.
inline manager_config small_config(std::size_t global = 4) {
  manager_config cfg;
  cfg.global_quota = global;
  cfg.max_queue = 1000;
  cfg.log =
      std::getenv("TASKACTORS_TEST_LOG") ? make_stderr_sink(log_level::debug) : make_null_sink();
  return cfg;
}

/// A deterministic actor system with one manager in it, and shorthands for its requests.
class manager_env : public deterministic {
public:
  explicit manager_env(manager_config cfg = small_config()) {
    auto spawned = spawn_manager(sys(), std::move(cfg));
    REQUIRE(spawned);
    mgr = std::move(*spawned);
    run();
  }

  ~manager_env() {
    if (mgr)
      self()->send_exit(mgr, caf::exit_reason::kill);
    run();
  }

  caf::expected<task_id> submit(task_spec spec) {
    return ask<task_id>(mgr, submit_atom::value, std::move(spec));
  }

  template <class F>
  caf::expected<task_id> submit(F&& fn, submit_options options = {}) {
    return submit(async_task(std::forward<F>(fn), std::move(options)));
  }

  /// Submits and REQUIREs admission.
  template <class F>
  task_id add(F&& fn, submit_options options = {}) {
    auto id = submit(std::forward<F>(fn), std::move(options));
    REQUIRE(id);
    return *id;
  }

  task_info status(const task_id& id) {
    auto info = ask<task_info>(mgr, status_atom::value, id);
    REQUIRE(info);
    return *info;
  }

  task_state state(const task_id& id) { return status(id).state; }

  caf::expected<task_info> cancel(const task_id& id) {
    return ask<task_info>(mgr, cancel_atom::value, id);
  }

  manager_metrics metrics() {
    auto m = ask<manager_metrics>(mgr, metrics_atom::value);
    REQUIRE(m);
    return *m;
  }

  shutdown_report shutdown(shutdown_mode mode, caf::timespan deadline) {
    auto report = ask<shutdown_report>(mgr, shutdown_atom::value, mode, deadline);
    REQUIRE(report);
    return *report;
  }

  /// The shutdown report that answers `response` (a request made with `self()`); FAILs on an
  /// error.
  template <class Handle>
  shutdown_report take_report(Handle& response) {
    shutdown_report report;
    response.receive([&](shutdown_report& r) { report = std::move(r); },
                     [](caf::error& err) { FAIL(render(err)); });
    return report;
  }

  manager_actor mgr;
};

/// A body that completes with `value` after `delay` (on the test clock).
inline auto sleeper(caf::timespan delay, int value = 0) {
  return [delay, value](async_context& ctx) {
    ctx.after(delay, [&ctx, value] { ctx.complete(value); });
    return ctx.pending();
  };
}

/// A body that never finishes by itself.
inline auto forever() {
  return [](async_context& ctx) { return ctx.pending(); };
}

} // namespace taskactors::test
