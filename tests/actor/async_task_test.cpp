#include <catch2/catch.hpp>

#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/event_based_actor.hpp>

#include "actors/async_task_actor.hpp"
#include "manager_env.hpp"
#include "taskactors/errc.hpp"

using namespace taskactors;
using namespace taskactors::test;
using namespace std::chrono_literals;

TEST_CASE("async task: timers fire in order on the task's actor", "[actor]") {
  manager_env env;
  std::vector<int> fired;
  auto id = env.add([&](async_context& ctx) {
    ctx.after(30ms, [&fired, &ctx] {
      fired.push_back(30);
      ctx.complete(static_cast<int>(fired.size()));
    });
    ctx.after(10ms, [&fired] { fired.push_back(10); });
    ctx.after(20ms, [&fired] { fired.push_back(20); });
    return ctx.pending();
  });
  env.advance(10ms);
  env.advance(10ms);
  CHECK(fired == std::vector<int>{10, 20});
  env.advance(10ms);
  CHECK(fired == std::vector<int>{10, 20, 30});
  CHECK(*env.status(id).value.get_if<int>() == 3);
}

TEST_CASE("async task: a cancelled timer never fires", "[actor]") {
  manager_env env;
  bool fired = false;
  auto id = env.add([&](async_context& ctx) {
    auto t = ctx.after(10ms, [&fired] { fired = true; });
    ctx.after(20ms, [&ctx] { ctx.complete(); });
    ctx.cancel_timer(t);
    ctx.cancel_timer(t); // a no-op the second time
    return ctx.pending();
  });
  env.advance(20ms);
  CHECK_FALSE(fired);
  CHECK(env.state(id) == task_state::completed);
}

TEST_CASE("async task: only the first completion counts", "[actor]") {
  manager_env env;
  auto id = env.add([](async_context& ctx) {
    ctx.complete(1);
    ctx.complete(2);
    ctx.fail("ignored");
    CHECK(ctx.finished());
    return ctx.pending();
  });
  auto info = env.status(id);
  CHECK(info.state == task_state::completed);
  CHECK(*info.value.get_if<int>() == 1);
  CHECK(env.metrics().late_results == 0);
}

TEST_CASE("async task: exit hooks run once with the reason the task ended", "[actor]") {
  manager_env env;
  std::vector<std::string> seen;
  auto hooked = [&](std::string tag) {
    return [&seen, tag](async_context& ctx) {
      ctx.on_exit([&seen, tag](const caf::error& reason) {
        seen.push_back(tag + ":" + (reason ? render(reason) : std::string{"none"}));
      });
      if (tag == "completes")
        ctx.after(5ms, [&ctx] { ctx.complete(); });
      if (tag == "fails")
        ctx.after(5ms, [&ctx] { ctx.fail("nope"); });
      return ctx.pending();
    };
  };
  env.add(hooked("completes"));
  env.add(hooked("fails"));
  auto cancelled = env.add(hooked("cancelled"));
  env.cancel(cancelled);
  env.advance(5ms);
  std::sort(seen.begin(), seen.end());
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == "cancelled:taskactors::cancelled: cancelled by request");
  CHECK(seen[1] == "completes:none");
  CHECK(seen[2] == "fails:taskactors::task_failed: nope");
}

TEST_CASE("async task: the body can request other actors without blocking", "[actor]") {
  manager_env env;
  auto doubler = env.sys().spawn(
      [](caf::event_based_actor*, int factor) -> caf::behavior {
        return {[factor](int x) { return factor * x; }};
      },
      2);
  auto id = env.add([doubler](async_context& ctx) {
    ctx.self()
        ->request(doubler, caf::infinite, 21)
        .then([&ctx](int y) { ctx.complete(y); }, [&ctx](caf::error& err) { ctx.fail(err); });
    return ctx.pending();
  });
  CHECK(*env.status(id).value.get_if<int>() == 42);
  env.self()->send_exit(doubler, caf::exit_reason::user_shutdown);
}

TEST_CASE("async task: a failed request fails the task with its error", "[actor]") {
  manager_env env;
  auto gone = env.sys().spawn([](caf::event_based_actor* self, int) { self->quit(); }, 0);
  env.run();
  auto id = env.add([gone](async_context& ctx) {
    ctx.self()
        ->request(gone, caf::infinite, 1)
        .then([&ctx](int) { ctx.complete(); }, [&ctx](caf::error& err) { ctx.fail(err); });
    return ctx.pending();
  });
  auto info = env.status(id);
  CHECK(info.state == task_state::failed);
  CHECK(info.error == caf::sec::request_receiver_down);
}

TEST_CASE("async task: a failed request without an error handler fails the task", "[actor]") {
  manager_env env;
  auto gone = env.sys().spawn([](caf::event_based_actor* self, int) { self->quit(); }, 0);
  env.run();
  auto id = env.add([gone](async_context& ctx) {
    ctx.self()->request(gone, caf::infinite, 1).then([&ctx](int) { ctx.complete(); });
    return ctx.pending();
  });
  auto info = env.status(id);
  CHECK(info.state == task_state::failed);
  CHECK(info.error == caf::sec::request_receiver_down);
  CHECK(env.metrics().limiters[0].borrowed == 0);
}

TEST_CASE("async task: move-only callables and results are accepted", "[actor]") {
  manager_env env;
  auto payload = std::make_unique<int>(11);
  auto id = env.add([p = std::move(payload)]() mutable { return std::move(p); });
  auto info = env.status(id);
  REQUIRE(info.value.holds<std::unique_ptr<int>>());
  CHECK(**info.value.get_if<std::unique_ptr<int>>() == 11);
}

TEST_CASE("async task: re-arming a watchdog does not pile up entries in the actor clock",
          "[actor][timer]") {
  manager_env env;
  env.run();
  const auto before = env.sched().clock().schedule().size();
  std::size_t most = 0;
  int ticks = 0;
  timer_id watchdog = 0;
  std::function<void()> tick;
  auto id = env.add([&](async_context& ctx) {
    // A watchdog pushed back on every tick, and many times within one handler too: the pattern
    // of an idle timeout that traffic refreshes.
    auto expire = [&ctx] { ctx.fail("watchdog"); };
    watchdog = ctx.after(30s, expire);
    tick = [&, expire] {
      for (int i = 0; i < 1000; ++i) {
        ctx.cancel_timer(watchdog);
        watchdog = ctx.after(30s, expire);
      }
      most = std::max(most, env.sched().clock().schedule().size());
      if (++ticks == 200)
        ctx.complete(ticks);
      else
        ctx.after(1ms, tick);
    };
    ctx.after(1ms, tick);
    return ctx.pending();
  });
  for (int i = 0; i < 200; ++i)
    env.advance(1ms);
  CHECK(env.state(id) == task_state::completed);
  // 200,000 re-arms; what the clock holds for the task is its tick and one watchdog wake-up.
  CHECK(most <= before + 2);
}

TEST_CASE("async task: a task that replaces its behavior gets a clear error from its timers",
          "[actor][timer]") {
  manager_env env;
  auto id = env.add([](async_context& ctx) {
    ctx.after(1ms, [&ctx] {
      ctx.self()->become([](int x) { return x; });
      ctx.after(10ms, [&ctx] { ctx.complete(); });
    });
    return ctx.pending();
  });
  env.advance(1ms);
  env.advance(10ms);
  auto info = env.status(id);
  CHECK(info.state == task_state::failed);
  CHECK_THAT(caf::to_string(info.error), Catch::Contains("behavior was replaced"));
}

#ifndef NDEBUG
namespace {

// The misuses the check reported: task and call.
std::mutex misuse_mtx;
std::vector<std::string> misuses;

void record_misuse(const task_id& task, const char* call) {
  std::lock_guard<std::mutex> guard{misuse_mtx};
  misuses.push_back(task + " " + call);
}

} // namespace

TEST_CASE("async task: a debug build refuses a context used outside the task's actor", "[actor]") {
  auto previous = detail::set_context_misuse_handler(record_misuse);
  misuses.clear();
  manager_env env;
  async_context* leaked = nullptr;
  std::function<void(std::function<void()>)> post;
  auto id = env.add([&](async_context& ctx) {
    leaked = &ctx;
    post = ctx.dispatcher();
    ctx.after(1ms, [&ctx] { static_cast<void>(ctx.finished()); }); // on the actor: fine
    return ctx.pending();
  });
  REQUIRE(leaked != nullptr);
  env.advance(1ms);
  CHECK(misuses.empty());
  // Outside any turn of the actor, on the thread that runs it...
  leaked->complete(1);
  // ... and from another thread, as a captured context in a detached job would be.
  std::thread other{[&] {
    leaked->fail("from another thread");
    static_cast<void>(leaked->after(1ms, [] {}));
    leaked->cancel_timer(1);
    leaked->on_exit([](const caf::error&) {});
    static_cast<void>(leaked->self());
  }};
  other.join();
  CHECK(misuses == std::vector<std::string>{id + " complete", id + " fail", id + " after",
                                            id + " cancel_timer", id + " on_exit", id + " self"});
  // The refused calls did nothing: the task still runs, and the dispatcher is the way in.
  CHECK(env.state(id) == task_state::running);
  post([&] { leaked->complete(2); });
  env.run();
  CHECK(*env.status(id).value.get_if<int>() == 2);
  CHECK(misuses.size() == 6);
  detail::set_context_misuse_handler(previous);
}
#endif
