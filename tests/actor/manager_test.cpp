#include <catch2/catch.hpp>

#include <future>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/system_messages.hpp>

#include "actors/manager_state.hpp"
#include "manager_env.hpp"
#include "taskactors/errc.hpp"

using namespace taskactors;
using namespace taskactors::test;
using namespace std::chrono_literals;

namespace {

int value_of(const task_info& info) {
  REQUIRE(info.value.get_if<int>() != nullptr);
  return *info.value.get_if<int>();
}

} // namespace

// -- admission ------------------------------------------------------------------------------

TEST_CASE("manager: runs an async task to completion", "[actor]") {
  manager_env env;
  auto id = env.add([] { return 42; });
  auto info = env.status(id);
  CHECK(info.state == task_state::completed);
  CHECK(value_of(info) == 42);
  CHECK(info.started_at != time_point{});
  CHECK(info.finished_at >= info.started_at);
}

TEST_CASE("manager: generates ids when none is given and keeps the caller's", "[actor]") {
  manager_env env;
  auto a = env.add([] {});
  auto b = env.add([] {});
  auto c = env.add([] {}, submit_options{"embed-doc-7", {}, {}});
  CHECK(a != b);
  CHECK(a.rfind("t-", 0) == 0);
  CHECK(c == "embed-doc-7");
  CHECK(env.state(c) == task_state::completed);
}

TEST_CASE("manager: rejects a duplicate id, live or retained", "[actor]") {
  manager_env env;
  env.add(forever(), submit_options{"same", {}, {}});
  auto live = env.submit([] {}, submit_options{"same", {}, {}});
  REQUIRE_FALSE(live);
  CHECK(is(live.error(), errc::duplicate_id));
  env.add([] {}, submit_options{"done", {}, {}});
  auto retained = env.submit([] {}, submit_options{"done", {}, {}});
  REQUIRE_FALSE(retained);
  CHECK(is(retained.error(), errc::duplicate_id));
  CHECK(env.metrics().rejected == 2);
}

TEST_CASE("manager: rejects at max_queue and keeps everything it admitted", "[actor]") {
  auto cfg = small_config(1);
  cfg.max_queue = 2;
  manager_env env{cfg};
  auto a = env.add(sleeper(10ms, 1));
  auto b = env.add(sleeper(10ms, 2));
  auto full = env.submit([] {});
  REQUIRE_FALSE(full);
  CHECK(is(full.error(), errc::queue_full));
  CHECK(render(full.error()).find("max_queue = 2") != std::string::npos);
  env.advance(10ms);
  env.advance(10ms);
  CHECK(value_of(env.status(a)) == 1);
  CHECK(value_of(env.status(b)) == 2);
  CHECK(env.submit([] {}));
}

TEST_CASE("manager: rejects malformed submissions with an error naming the problem", "[actor]") {
  manager_env env;
  task_spec no_body;
  auto r1 = env.submit(no_body);
  REQUIRE_FALSE(r1);
  CHECK(is(r1.error(), errc::invalid_argument));
  CHECK(render(r1.error()).find("body") != std::string::npos);
  auto r2 = env.submit([] {}, submit_options{{}, caf::timespan{0}, {}});
  REQUIRE_FALSE(r2);
  CHECK(is(r2.error(), errc::invalid_argument));
  CHECK(render(r2.error()).find("timeout") != std::string::npos);
  task_spec no_thread_body{{}, task_body{std::in_place_index<1>}};
  auto r3 = env.submit(no_thread_body);
  REQUIRE_FALSE(r3);
  CHECK(is(r3.error(), errc::invalid_argument));
  CHECK(render(r3.error()).find("a thread task needs a body") != std::string::npos);
  auto r5 = env.submit([] {}, submit_options{.parent = "nobody"});
  REQUIRE_FALSE(r5);
  CHECK(is(r5.error(), errc::invalid_argument));
  auto r6 = env.submit(thread_task([] {}, {.parent = "nobody"}));
  REQUIRE_FALSE(r6);
  CHECK(render(r6.error()).find("parent task 'nobody' is not running") != std::string::npos);
  auto r4 = env.submit([] {}, submit_options{std::string{"a\tb"}, {}, {}});
  REQUIRE_FALSE(r4);
  CHECK(is(r4.error(), errc::invalid_argument));
  CHECK(env.metrics().submitted == 0);
}

TEST_CASE("manager: rejects submissions while shutting down and after it stopped", "[actor]") {
  manager_env env;
  env.add(sleeper(50ms));
  auto report = env.self()->request(env.mgr, caf::infinite, shutdown_atom::value,
                                    shutdown_mode::drain, caf::timespan{1s});
  env.run();
  auto during = env.submit([] {});
  REQUIRE_FALSE(during);
  CHECK(is(during.error(), errc::shutting_down));
  env.advance(50ms);
  report.receive([](shutdown_report&) {}, [](caf::error&) { FAIL("shutdown failed"); });
  auto after = env.self()->request(env.mgr, caf::infinite, submit_atom::value, async_task([] {}));
  env.run();
  after.receive([](task_id&) { FAIL("a stopped manager admitted a task"); },
                [](caf::error& err) { CHECK(err == caf::sec::request_receiver_down); });
}

// -- running and quotas ---------------------------------------------------------------------

TEST_CASE("manager: a task that waits on a timer completes when it fires", "[actor]") {
  manager_env env;
  auto id = env.add(sleeper(100ms, 7));
  env.advance(99ms);
  CHECK(env.state(id) == task_state::running);
  env.advance(1ms);
  auto info = env.status(id);
  CHECK(info.state == task_state::completed);
  CHECK(value_of(info) == 7);
  CHECK(info.ran_for() == 100ms);
}

TEST_CASE("manager: tasks beyond the global quota wait and start in submission order", "[actor]") {
  manager_env env{small_config(2)};
  std::vector<task_id> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(env.add(sleeper(10ms, i)));
  auto m = env.metrics();
  CHECK(m.running() == 2);
  CHECK(m.pending() == 3);
  CHECK(m.limiters[0].borrowed == 2);
  CHECK(m.limiters[0].waiting == 3);
  env.advance(10ms);
  CHECK(env.state(ids[2]) == task_state::running);
  CHECK(env.state(ids[3]) == task_state::running);
  CHECK(env.state(ids[4]) == task_state::pending);
  env.advance(10ms);
  env.advance(10ms);
  std::vector<time_point> starts;
  for (auto& id : ids) {
    auto info = env.status(id);
    CHECK(info.state == task_state::completed);
    starts.push_back(info.started_at);
  }
  CHECK(std::is_sorted(starts.begin(), starts.end()));
  CHECK(env.metrics().limiters[0].peak_borrowed == 2);
}

TEST_CASE("manager: resizing the global quota starts waiting tasks", "[actor]") {
  manager_env env{small_config(1)};
  env.add(forever());
  auto second = env.add(forever());
  CHECK(env.state(second) == task_state::pending);
  auto stats = env.ask<limiter_stats>(env.mgr, resize_atom::value, quota::global, std::size_t{2});
  REQUIRE(stats);
  CHECK(stats->capacity == 2);
  env.run();
  CHECK(env.state(second) == task_state::running);
  auto zero = env.ask<limiter_stats>(env.mgr, resize_atom::value, quota::thread, std::size_t{0});
  REQUIRE_FALSE(zero);
  CHECK(is(zero.error(), errc::invalid_argument));
}

// -- failures -------------------------------------------------------------------------------

TEST_CASE("manager: every way a task can fail ends it failed with the reason", "[actor]") {
  manager_env env;
  auto by_context = env.add([](async_context& ctx) { ctx.fail("bad input"); });
  auto by_throw = env.add([]() -> int { throw std::runtime_error("boom"); });
  auto by_expected =
      env.add([]() -> caf::expected<int> { return caf::make_error(errc::task_failed, "no luck"); });
  auto in_timer = env.add([](async_context& ctx) {
    ctx.after(5ms, [] { throw std::logic_error("late boom"); });
    return ctx.pending();
  });
  env.advance(5ms);
  auto check = [&](const task_id& id, errc code, const char* text) {
    auto info = env.status(id);
    CHECK(info.state == task_state::failed);
    CHECK(is(info.error, code));
    INFO(render(info.error));
    CHECK(render(info.error).find(text) != std::string::npos);
  };
  check(by_context, errc::task_failed, "bad input");
  check(by_throw, errc::task_exception, "std::runtime_error: boom");
  check(by_expected, errc::task_failed, "no luck");
  check(in_timer, errc::task_exception, "std::logic_error: late boom");
  CHECK(env.metrics().total(task_state::failed) == 4);
  CHECK(env.metrics().limiters[0].borrowed == 0);
}

TEST_CASE("manager: a task actor that stops without a result fails the task", "[actor]") {
  manager_env env;
  auto quits = env.add([](async_context& ctx) {
    ctx.self()->quit();
    return ctx.pending();
  });
  auto quits_with_error = env.add([](async_context& ctx) {
    ctx.self()->quit(caf::make_error(caf::sec::runtime_error, "custom"));
    return ctx.pending();
  });
  auto info = env.status(quits);
  CHECK(info.state == task_state::failed);
  CHECK(is(info.error, errc::task_vanished));
  auto info2 = env.status(quits_with_error);
  CHECK(info2.state == task_state::failed);
  CHECK(info2.error == caf::sec::runtime_error);
  CHECK(env.metrics().limiters[0].borrowed == 0);
}

// -- timeouts and deadlines -----------------------------------------------------------------

TEST_CASE("manager: an execution timeout ends a running task and stops its actor", "[actor]") {
  manager_env env;
  caf::error seen_by_cleanup;
  auto id = env.add(
      [&](async_context& ctx) {
        ctx.on_exit([&](const caf::error& reason) { seen_by_cleanup = reason; });
        return ctx.pending();
      },
      submit_options{{}, caf::timespan{50ms}, {}});
  env.advance(49ms);
  CHECK(env.state(id) == task_state::running);
  env.advance(1ms);
  auto info = env.status(id);
  CHECK(info.state == task_state::timeout);
  CHECK(is(info.error, errc::timeout));
  CHECK(render(info.error).find("50 ms") != std::string::npos);
  CHECK(is(seen_by_cleanup, errc::timeout));
  auto m = env.metrics();
  CHECK(m.live_actors == 0);
  CHECK(m.limiters[0].borrowed == 0);
}

TEST_CASE("manager: an absolute deadline ends a running task", "[actor]") {
  manager_env env;
  auto now = env.sys().clock().now();
  auto id = env.add(forever(), submit_options{{}, {}, now + 30ms});
  env.advance(30ms);
  auto info = env.status(id);
  CHECK(info.state == task_state::timeout);
  CHECK(render(info.error).find("deadline passed while running") != std::string::npos);
}

TEST_CASE("manager: a task whose deadline passes while pending never starts", "[actor]") {
  manager_env env{small_config(1)};
  bool started = false;
  env.add(sleeper(100ms));
  auto now = env.sys().clock().now();
  auto late = env.add(
      [&] {
        started = true;
        return 1;
      },
      submit_options{{}, {}, now + 20ms});
  env.advance(20ms);
  auto info = env.status(late);
  CHECK(info.state == task_state::timeout);
  CHECK(info.started_at == time_point{});
  CHECK(render(info.error).find("before the task started") != std::string::npos);
  env.advance(80ms);
  CHECK_FALSE(started);
  auto m = env.metrics();
  CHECK(m.limiters[0].waiting == 0);
  CHECK(m.limiters[0].borrowed == 0);
}

TEST_CASE("manager: a deadline already past at submission ends the task at once", "[actor]") {
  manager_env env;
  bool started = false;
  auto now = env.sys().clock().now();
  auto id = env.add([&] { started = true; }, submit_options{{}, {}, now - 1ms});
  CHECK(env.state(id) == task_state::timeout);
  CHECK_FALSE(started);
}

TEST_CASE("manager: the default timeout applies unless a task sets its own", "[actor]") {
  auto cfg = small_config();
  cfg.default_timeout = 20ms;
  manager_env env{cfg};
  auto defaulted = env.add(forever());
  auto own = env.add(forever(), submit_options{{}, caf::timespan{40ms}, {}});
  auto unlimited = env.add(forever(), submit_options{{}, no_timeout, {}});
  env.advance(20ms);
  CHECK(env.state(defaulted) == task_state::timeout);
  CHECK(env.state(own) == task_state::running);
  env.advance(20ms);
  CHECK(env.state(own) == task_state::timeout);
  env.advance(1h);
  CHECK(env.state(unlimited) == task_state::running);
}

TEST_CASE("manager: a pending long timeout keeps no finished task's actor alive", "[actor]") {
  manager_env env;
  auto baseline = env.running_actors(); // the manager and its limiters
  auto id = env.add([] { return 1; }, submit_options{{}, caf::timespan{10s}, {}});
  CHECK(env.state(id) == task_state::completed);
  CHECK(env.running_actors() == baseline);
  // Nor does it hold up shutdown: the report comes without moving the clock.
  auto report = env.shutdown(shutdown_mode::drain, 1s);
  CHECK(report.clean());
  CHECK(env.running_actors() == 0);
}

// -- cancellation ---------------------------------------------------------------------------

TEST_CASE("manager: a cancelled pending task never runs and leaves its queue", "[actor]") {
  manager_env env{small_config(1)};
  bool ran = false;
  env.add(sleeper(10ms));
  auto id = env.add([&] { ran = true; });
  auto info = env.cancel(id);
  REQUIRE(info);
  CHECK(info->state == task_state::cancelled);
  CHECK(is(info->error, errc::cancelled));
  CHECK(env.metrics().limiters[0].waiting == 0);
  env.advance(10ms);
  CHECK_FALSE(ran);
  CHECK(env.metrics().limiters[0].borrowed == 0);
}

TEST_CASE("manager: a cancelled running task stops its actor and runs its cleanup", "[actor]") {
  manager_env env;
  caf::error seen_by_cleanup;
  int cleanups = 0;
  auto id = env.add([&](async_context& ctx) {
    ctx.on_exit([&](const caf::error& reason) {
      seen_by_cleanup = reason;
      ++cleanups;
    });
    ctx.after(1s, [&ctx] { ctx.complete(1); });
    return ctx.pending();
  });
  CHECK(env.metrics().live_actors == 1);
  auto info = env.cancel(id);
  REQUIRE(info);
  CHECK(info->state == task_state::cancelled);
  env.run();
  CHECK(cleanups == 1);
  CHECK(is(seen_by_cleanup, errc::cancelled));
  auto m = env.metrics();
  CHECK(m.live_actors == 0);
  CHECK(m.limiters[0].borrowed == 0);
  env.advance(1s); // the task's timer died with it
  CHECK(env.state(id) == task_state::cancelled);
  CHECK(env.metrics().late_results == 0);
}

TEST_CASE("manager: cancel is idempotent and a late cancel is only counted", "[actor]") {
  manager_env env;
  auto done = env.add([] { return 3; });
  auto info = env.cancel(done);
  REQUIRE(info);
  CHECK(info->state == task_state::completed);
  CHECK(value_of(*info) == 3);
  auto twice = env.add(forever());
  CHECK(env.cancel(twice)->state == task_state::cancelled);
  CHECK(env.cancel(twice)->state == task_state::cancelled);
  CHECK(env.metrics().late_cancels == 2);
  auto unknown = env.cancel("no-such-task");
  REQUIRE_FALSE(unknown);
  CHECK(is(unknown.error(), errc::unknown_task));
}

TEST_CASE("manager: a result that arrives after cancellation is ignored and counted", "[actor]") {
  manager_env env;
  auto id = env.add(sleeper(10ms, 5));
  // The timer fires and the task's actor is ready to complete; the cancel reaches the manager
  // before the result does.
  env.sched().advance_time(10ms);
  env.self()->send(env.mgr, cancel_atom::value, id);
  env.run();
  auto info = env.status(id);
  CHECK(info.state == task_state::cancelled);
  CHECK_FALSE(info.value.has_value());
  auto m = env.metrics();
  CHECK(m.late_results == 1);
  CHECK(m.limiters[0].borrowed == 0);
}

// -- queries --------------------------------------------------------------------------------

TEST_CASE("manager: lists records filtered by state", "[actor]") {
  manager_env env{small_config(1)};
  env.add([] {}, submit_options{"done", {}, {}});
  env.add(forever(), submit_options{"running", {}, {}});
  env.add(forever(), submit_options{"pending", {}, {}});
  auto all = env.ask<std::vector<task_info>>(env.mgr, list_atom::value, task_filter{});
  REQUIRE(all);
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].id == "done");
  auto live = env.ask<std::vector<task_info>>(
      env.mgr, list_atom::value, task_filter{{task_state::pending, task_state::running}, {}, 0});
  REQUIRE(live);
  REQUIRE(live->size() == 2);
  CHECK((*live)[0].id == "running");
  CHECK((*live)[1].id == "pending");
  auto unknown = env.ask<task_info>(env.mgr, status_atom::value, task_id{"ghost"});
  REQUIRE_FALSE(unknown);
  CHECK(is(unknown.error(), errc::unknown_task));
}

TEST_CASE("manager: retention bounds finished records by count and by age", "[actor]") {
  auto cfg = small_config();
  cfg.retain_count = 2;
  cfg.retain_age = 1min;
  manager_env env{cfg};
  env.add([] {}, submit_options{"a", {}, {}});
  env.add([] {}, submit_options{"b", {}, {}});
  env.add([] {}, submit_options{"c", {}, {}});
  auto gone = env.ask<task_info>(env.mgr, status_atom::value, task_id{"a"});
  REQUIRE_FALSE(gone);
  CHECK(is(gone.error(), errc::unknown_task));
  CHECK(env.state("b") == task_state::completed);
  CHECK(env.metrics().retained == 2);
  env.advance(1min);
  auto aged = env.ask<task_info>(env.mgr, status_atom::value, task_id{"c"});
  REQUIRE_FALSE(aged);
  CHECK(env.metrics().retained == 0);
  // An id dropped from retention may be used again.
  CHECK(env.submit([] {}, submit_options{"a", {}, {}}));
}

TEST_CASE("manager: wait answers when the task ends", "[actor]") {
  manager_env env;
  auto id = env.add(sleeper(30ms, 9));
  auto first = env.self()->request(env.mgr, caf::infinite, wait_atom::value, id);
  auto second = env.self()->request(env.mgr, caf::infinite, wait_atom::value, id);
  CHECK_FALSE(env.has_message());
  env.advance(30ms);
  for (auto* response : {&first, &second})
    response->receive([](task_info& info) { CHECK(value_of(info) == 9); },
                      [](caf::error& err) { FAIL(render(err)); });
  auto again = env.ask<task_info>(env.mgr, wait_atom::value, id);
  REQUIRE(again);
  CHECK(again->state == task_state::completed);
  auto unknown = env.ask<task_info>(env.mgr, wait_atom::value, task_id{"ghost"});
  REQUIRE_FALSE(unknown);
  CHECK(is(unknown.error(), errc::unknown_task));
}

TEST_CASE("manager: a wait with a limit times out in the manager, which then forgets it",
          "[actor]") {
  manager_env env;
  auto id = env.add(sleeper(1s, 5));
  // A caller that polls with short limits, many times over.
  for (int round = 0; round < 50; ++round) {
    std::vector<decltype(env.self()->request(env.mgr, caf::infinite, wait_atom::value, id))> polls;
    for (int i = 0; i < 20; ++i)
      polls.push_back(
          env.self()->request(env.mgr, caf::infinite, wait_atom::value, id, caf::timespan{10ms}));
    env.run();
    CHECK(env.metrics().waiters == 20);
    env.advance(10ms);
    for (auto& poll : polls)
      poll.receive([](task_info&) { FAIL("a record before the task ended"); },
                   [](caf::error& err) {
                     CHECK(is(err, errc::wait_timeout));
                     CHECK_THAT(render(err), Catch::Contains("did not finish within 10 ms"));
                   });
    CHECK(env.metrics().waiters == 0);
  }
  // One limited waiter and one without a limit, then the task ends before the limit.
  auto limited =
      env.self()->request(env.mgr, caf::infinite, wait_atom::value, id, caf::timespan{1h});
  auto plain = env.self()->request(env.mgr, caf::infinite, wait_atom::value, id);
  env.run();
  CHECK(env.metrics().waiters == 2);
  env.advance(500ms);
  for (auto* response : {&limited, &plain})
    response->receive([](task_info& info) { CHECK(value_of(info) == 5); },
                      [](caf::error& err) { FAIL(render(err)); });
  CHECK(env.metrics().waiters == 0);
  auto bad = env.ask<task_info>(env.mgr, wait_atom::value, id, caf::timespan{0});
  REQUIRE_FALSE(bad);
  CHECK(is(bad.error(), errc::invalid_argument));
}

TEST_CASE("manager: waiters are answered even when the manager is killed", "[actor]") {
  manager_env env;
  auto id = env.add(forever());
  auto waiting = env.self()->request(env.mgr, caf::infinite, wait_atom::value, id);
  env.run();
  env.self()->send_exit(env.mgr, caf::exit_reason::kill);
  env.run();
  waiting.receive([](task_info&) { FAIL("a killed manager answered with a record"); },
                  [](caf::error& err) { CHECK(is(err, errc::not_running)); });
  CHECK(env.running_actors() == 0);
}

TEST_CASE("manager: metrics count tasks per kind and state with limiter statistics", "[actor]") {
  manager_env env{small_config(2)};
  env.add([] {});
  env.add([]() -> int { throw std::runtime_error("x"); });
  env.add(forever());
  env.add(forever());
  auto pending = env.add(forever());
  env.cancel(pending);
  auto m = env.metrics();
  CHECK(m.submitted == 5);
  CHECK(m.count(task_kind::async, task_state::completed) == 1);
  CHECK(m.count(task_kind::async, task_state::failed) == 1);
  CHECK(m.count(task_kind::async, task_state::running) == 2);
  CHECK(m.count(task_kind::async, task_state::cancelled) == 1);
  CHECK(m.in_flight() == 2);
  CHECK(m.live_actors == 2);
  REQUIRE(m.limiters.size() == 3);
  CHECK(m.limiters[0].name == "global");
  CHECK(m.limiters[0].capacity == 2);
  CHECK(m.limiters[0].borrowed == 2);
  CHECK(m.limiters[1].name == "thread");
  CHECK(m.limiters[2].name == "process");
}

// -- shutdown -------------------------------------------------------------------------------

TEST_CASE("manager: a drain shutdown lets tasks finish, then returns every token", "[actor]") {
  manager_env env{small_config(2)};
  std::vector<task_id> ids;
  for (int i = 0; i < 4; ++i)
    ids.push_back(env.add(sleeper(10ms, i)));
  auto response = env.self()->request(env.mgr, caf::infinite, shutdown_atom::value,
                                      shutdown_mode::drain, caf::timespan{1s});
  CHECK_FALSE(env.has_message());
  env.advance(10ms);
  CHECK_FALSE(env.has_message());
  env.advance(10ms);
  auto report = env.take_report(response);
  CHECK(report.mode == shutdown_mode::drain);
  CHECK(report.cancelled == 0);
  CHECK_FALSE(report.deadline_passed);
  CHECK(report.clean());
  CHECK(report.metrics.total(task_state::completed) == 4);
  REQUIRE(report.metrics.limiters.size() == 3);
  for (auto& lim : report.metrics.limiters) {
    CHECK(lim.borrowed == 0);
    CHECK(lim.waiting == 0);
  }
  CHECK(env.running_actors() == 0);
}

TEST_CASE("manager: a cancel shutdown stops every task at once", "[actor]") {
  manager_env env{small_config(2)};
  int cleanups = 0;
  for (int i = 0; i < 5; ++i)
    env.add([&](async_context& ctx) {
      ctx.on_exit([&](const caf::error&) { ++cleanups; });
      return ctx.pending();
    });
  auto report = env.shutdown(shutdown_mode::cancel, 1s);
  CHECK(report.cancelled == 5);
  CHECK(report.metrics.total(task_state::cancelled) == 5);
  CHECK(report.clean());
  CHECK(cleanups == 2); // the two that ran; the pending three never started
  CHECK(env.running_actors() == 0);
}

TEST_CASE("manager: a drain that misses its deadline cancels what is left", "[actor]") {
  manager_env env{small_config(1)};
  auto quick = env.add(sleeper(10ms, 1));
  env.add(sleeper(1h, 2));
  auto response = env.self()->request(env.mgr, caf::infinite, shutdown_atom::value,
                                      shutdown_mode::drain, caf::timespan{100ms});
  env.run();
  env.advance(10ms);
  CHECK(env.state(quick) == task_state::completed);
  env.advance(90ms);
  auto report = env.take_report(response);
  CHECK(report.deadline_passed);
  CHECK(report.cancelled == 1);
  CHECK(report.clean()); // the cancelled task's actor stopped: nothing straggles
  CHECK(report.metrics.total(task_state::completed) == 1);
  CHECK(report.metrics.total(task_state::cancelled) == 1);
  CHECK(env.running_actors() == 0);
}

TEST_CASE("manager: a task that ignores its cancellation is killed at the deadline and named",
          "[actor]") {
  manager_env env;
  int cleanups = 0;
  env.add(
      [&](async_context& ctx) {
        ctx.self()->set_exit_handler([](caf::exit_msg&) {}); // traps every exit message
        ctx.on_exit([&](const caf::error&) { ++cleanups; });
        return ctx.pending();
      },
      submit_options{"stubborn", {}, {}});
  auto response = env.self()->request(env.mgr, caf::infinite, shutdown_atom::value,
                                      shutdown_mode::cancel, caf::timespan{100ms});
  CHECK_FALSE(env.has_message());
  CHECK(env.running_actors() == 2); // the manager and the stubborn task
  env.advance(100ms);
  auto report = env.take_report(response);
  CHECK(report.deadline_passed);
  CHECK(report.stragglers == std::vector<task_id>{"stubborn"});
  CHECK(report.leaked_tokens() == 0);
  CHECK(cleanups == 1);
  CHECK(env.running_actors() == 0);
}

TEST_CASE("manager: a shutdown whose deadline passed reports at once, even with a thread still "
          "holding its token",
          "[actor]") {
  manager_env env;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> started;
  auto running = started.get_future();
  REQUIRE(env.submit(thread_task(
      [released, &started] {
        started.set_value();
        released.wait(); // ignores its stop token
      },
      {.id = "stubborn-call"})));
  env.run();
  REQUIRE(running.wait_for(20s) == std::future_status::ready);
  auto response = env.self()->request(env.mgr, caf::infinite, shutdown_atom::value,
                                      shutdown_mode::drain, caf::timespan{100ms});
  env.run();
  CHECK_FALSE(env.has_message());
  env.advance(100ms);
  // No more time passes: the report must not wait for a token that the stuck callable holds.
  REQUIRE(env.has_message());
  auto report = env.take_report(response);
  CHECK(report.deadline_passed);
  CHECK(report.stragglers == std::vector<task_id>{"stubborn-call"});
  CHECK(report.leaked_tokens() == 1); // the thread token, kept until the callable returns
  release.set_value();
}

TEST_CASE("manager: every shutdown request gets the report", "[actor]") {
  manager_env env;
  env.add(sleeper(10ms));
  auto first = env.self()->request(env.mgr, caf::infinite, shutdown_atom::value,
                                   shutdown_mode::drain, caf::timespan{1s});
  auto second = env.self()->request(env.mgr, caf::infinite, shutdown_atom::value,
                                    shutdown_mode::cancel, caf::timespan{1s});
  env.advance(10ms);
  for (auto* response : {&first, &second})
    response->receive(
        [](shutdown_report& r) {
          CHECK(r.mode == shutdown_mode::drain);
          CHECK(r.metrics.total(task_state::completed) == 1);
        },
        [](caf::error& err) { FAIL(render(err)); });
}

TEST_CASE("manager: a cancel shutdown of many running tasks sends their exit messages a batch "
          "per turn, and every task still ends cancelled with its token back",
          "[actor]") {
  constexpr std::size_t tasks = 3 * detail::stop_batch + 10;
  manager_env env{small_config(tasks)};
  for (std::size_t i = 0; i < tasks; ++i)
    env.add(forever());
  env.run();
  REQUIRE(env.metrics().running() == tasks);
  auto* mgr = static_cast<std::remove_pointer_t<detail::manager_pointer>*>(
      caf::actor_cast<caf::abstract_actor*>(env.mgr));
  auto response = env.self()->request(env.mgr, caf::infinite, shutdown_atom::value,
                                      shutdown_mode::cancel, caf::timespan{1s});
  REQUIRE(env.sched().try_run_once()); // the shutdown request: every task ends cancelled now
  CHECK(mgr->state.table.in_flight() == 0);
  CHECK(mgr->state.deferred_stops.size() == tasks - detail::stop_batch);
  env.run();
  CHECK(mgr->state.deferred_stops.empty());
  auto report = env.take_report(response);
  CHECK(report.cancelled == tasks);
  CHECK(report.leaked_tokens() == 0);
  CHECK(report.metrics.total(task_state::cancelled) == tasks);
}

TEST_CASE("manager: tokens are granted within its own turn: a task with a free token is running "
          "once its submit is handled, and a returned token starts the next task in line",
          "[actor]") {
  manager_env env{small_config(1)};
  auto* mgr = static_cast<std::remove_pointer_t<detail::manager_pointer>*>(
      caf::actor_cast<caf::abstract_actor*>(env.mgr));
  auto state_of = [&](const task_id& id) {
    auto key = mgr->state.table.lookup(id);
    REQUIRE(key != detail::invalid_task_key);
    return mgr->state.table.find(key)->state;
  };
  env.self()->send(env.mgr, submit_atom::value, async_task(forever(), {.id = "first"}));
  env.self()->send(env.mgr, submit_atom::value, async_task(forever(), {.id = "second"}));
  env.self()->send(env.mgr, submit_atom::value, async_task(forever(), {.id = "third"}));
  REQUIRE(env.sched().try_run_once()); // the first submit, and nothing else
  CHECK(state_of("first") == task_state::running);
  env.run();
  CHECK(state_of("second") == task_state::pending);
  CHECK(state_of("third") == task_state::pending);
  // The token comes back when the cancelled task's actor is gone, and goes to the next in line.
  env.self()->send(env.mgr, cancel_atom::value, task_id{"first"});
  env.run();
  CHECK(state_of("second") == task_state::running);
  CHECK(state_of("third") == task_state::pending);
  env.self()->send(env.mgr, cancel_atom::value, task_id{"third"});
  env.self()->send(env.mgr, cancel_atom::value, task_id{"second"});
  env.run();
  auto m = env.metrics();
  CHECK(m.limiters[0].borrowed == 0);
  CHECK(m.limiters[0].waiting == 0);
  CHECK(m.limiters[0].peak_borrowed == 1);
}
