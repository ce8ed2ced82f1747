#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "sync.hpp"
#include "taskactors/errc.hpp"
#include "taskactors/task_manager.hpp"

using namespace taskactors;
using namespace std::chrono_literals;
using taskactors::test::threads_in_process;
using taskactors::test::threads_settle_at;

namespace {

manager_config quiet(std::size_t global = 8) {
  manager_config cfg;
  cfg.global_quota = global;
  cfg.log = make_null_sink();
  return cfg;
}

auto sleeps_then_returns(caf::timespan delay, int value) {
  return [delay, value](async_context& ctx) {
    ctx.after(delay, [&ctx, value] { ctx.complete(value); });
    return ctx.pending();
  };
}

} // namespace

TEST_CASE("task manager: submits tasks and returns their results", "[facade]") {
  task_manager tm{quiet()};
  auto quick = tm.submit([] { return std::string{"hi"}; });
  REQUIRE(quick);
  auto slow = tm.submit(sleeps_then_returns(20ms, 7));
  REQUIRE(slow);
  auto a = tm.wait(*quick);
  REQUIRE(a);
  CHECK(*a->value.get_if<std::string>() == "hi");
  auto b = tm.wait(*slow);
  REQUIRE(b);
  CHECK(b->state == task_state::completed);
  CHECK(*b->value.get_if<int>() == 7);
  CHECK(b->ran_for() >= 20ms);
  auto listed = tm.list();
  REQUIRE(listed);
  CHECK(listed->size() == 2);
  auto m = tm.metrics();
  REQUIRE(m);
  CHECK(m->total(task_state::completed) == 2);
}

TEST_CASE("task manager: an invalid config is refused before anything starts", "[facade]") {
  auto cfg = quiet(4);
  cfg.thread_quota = 5;
  auto started = task_manager::start(cfg);
  REQUIRE_FALSE(started);
  CHECK(is(started.error(), errc::invalid_config));
  CHECK(render(started.error()).find("quota.thread = 5") != std::string::npos);
  bool thrown = false;
  try {
    task_manager tm{cfg};
  } catch (const start_error& e) {
    thrown = true;
    CHECK(is(e.error(), errc::invalid_config));
    CHECK(std::string{e.what()}.find("quota.global = 4") != std::string::npos);
  }
  CHECK(thrown);
}

TEST_CASE("task manager: a wait limit ends the wait, not the task", "[facade]") {
  task_manager tm{quiet()};
  auto id = tm.submit([](async_context& ctx) { return ctx.pending(); });
  REQUIRE(id);
  REQUIRE(test::poll_until([&] { return tm.status(*id)->state == task_state::running; }));
  auto waited = tm.wait(*id, 10ms);
  REQUIRE_FALSE(waited);
  CHECK(is(waited.error(), errc::wait_timeout));
  CHECK(tm.status(*id)->state == task_state::running);
  auto zero = tm.wait(*id, caf::timespan{0});
  REQUIRE_FALSE(zero);
  CHECK(is(zero.error(), errc::invalid_argument));
  auto cancelled = tm.cancel(*id);
  REQUIRE(cancelled);
  CHECK(cancelled->state == task_state::cancelled);
  CHECK(tm.wait(*id)->state == task_state::cancelled);
}

TEST_CASE("task manager: calls after shutdown fail with not_running", "[facade]") {
  task_manager tm{quiet()};
  auto report = tm.shutdown(shutdown_mode::drain, 1s);
  REQUIRE(report);
  CHECK(report->clean());
  auto id = tm.submit([] {});
  REQUIRE_FALSE(id);
  CHECK(is(id.error(), errc::not_running));
  auto again = tm.shutdown();
  REQUIRE_FALSE(again);
  CHECK(is(again.error(), errc::not_running));
  CHECK(is(tm.metrics().error(), errc::not_running));
}

TEST_CASE("task manager: resizes a quota at run time", "[facade]") {
  task_manager tm{quiet(1)};
  auto first = tm.submit([](async_context& ctx) { return ctx.pending(); });
  auto second = tm.submit([] { return 2; });
  REQUIRE(first);
  REQUIRE(second);
  CHECK(tm.status(*second)->state == task_state::pending);
  auto stats = tm.resize(quota::global, 2);
  REQUIRE(stats);
  CHECK(stats->capacity == 2);
  CHECK(tm.wait(*second)->state == task_state::completed);
  CHECK(tm.metrics()->limiters[0].capacity == 2);
}

TEST_CASE("task manager: its destructor stops everything and joins every thread it started",
          "[facade]") {
  auto cycle = [] {
    auto cfg = quiet();
    cfg.shutdown_timeout = 2s;
    task_manager tm{cfg};
    for (int i = 0; i < 50; ++i)
      REQUIRE(tm.submit([](async_context& ctx) { return ctx.pending(); }));
    return threads_in_process();
  }; // the destructor cancels the 50 running tasks, stops the manager and the actor system
  auto initial = threads_in_process();
  // A first cycle lets anything started once per process (a sanitizer's helper thread) start.
  cycle();
  threads_settle_at(initial + 1);
  auto before = threads_in_process();
  auto during = cycle();
  CHECK(during > before);
  CHECK(threads_settle_at(before));
}

TEST_CASE("task manager: attached to the caller's actor system, it leaves no actor behind",
          "[facade]") {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  auto before = sys.registry().running();
  {
    task_manager tm{sys, quiet()};
    auto id = tm.submit(sleeps_then_returns(5ms, 1));
    REQUIRE(id);
    CHECK(tm.wait(*id)->state == task_state::completed);
    auto report = tm.shutdown(shutdown_mode::drain, 1s);
    REQUIRE(report);
    CHECK(report->clean());
  }
  sys.registry().await_running_count_equal(before);
  CHECK(sys.registry().running() == before);
}

TEST_CASE("task manager: concurrent submitters and cancellers lose nothing", "[facade][slow]") {
  auto cfg = quiet(16);
  cfg.max_queue = 100'000;
  cfg.retain_count = 100'000;
  task_manager tm{cfg};
  constexpr int threads = 4;
  constexpr int per_thread = 1'500;
  std::atomic<int> admitted{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> submitters;
  for (int t = 0; t < threads; ++t)
    submitters.emplace_back([&, t] {
      // No assertions on these threads: Catch2 is not thread-safe. Count, check afterwards.
      std::mt19937 rng{static_cast<unsigned>(t)};
      std::vector<task_id> mine;
      for (int i = 0; i < per_thread; ++i) {
        auto delay = std::chrono::microseconds{rng() % 2000};
        auto fails = rng() % 10 == 0;
        auto id = tm.submit(
            [delay, fails](async_context& ctx) {
              ctx.after(delay, [&ctx, fails] {
                if (fails)
                  ctx.fail("failed on purpose");
                else
                  ctx.complete(1);
              });
              return ctx.pending();
            },
            submit_options{{}, rng() % 5 == 0 ? caf::timespan{1ms} : no_timeout, {}});
        if (!id) {
          ++refused;
          continue;
        }
        mine.push_back(*id);
        ++admitted;
        if (i % 7 == 0)
          tm.cancel(mine[rng() % mine.size()]);
      }
    });
  for (auto& th : submitters)
    th.join();
  CHECK(refused == 0);
  CHECK(admitted == threads * per_thread);
  auto report = tm.shutdown(shutdown_mode::drain, 30s);
  REQUIRE(report);
  CHECK_FALSE(report->deadline_passed);
  CHECK(report->clean());
  CHECK(report->metrics.submitted == static_cast<std::size_t>(admitted.load()));
  CHECK(report->metrics.finished() == static_cast<std::size_t>(admitted.load()));
  CHECK(report->metrics.live_actors == 0);
}

TEST_CASE("task manager: a manager dropped without shutdown ends, and its helpers with it",
          "[facade]") {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  auto before = sys.registry().running();
  {
    auto mgr = spawn_manager(sys, quiet());
    REQUIRE(mgr);
    caf::scoped_actor self{sys};
    // A task that took tokens: the arbiter knows the manager as its client from then on.
    self->request(*mgr, caf::infinite, run_atom::value, async_task([] { return 1; }))
        .receive([](task_info& info) { CHECK(info.state == task_state::completed); },
                 [](caf::error& err) { FAIL(render(err)); });
  } // the last handle goes, without a shutdown
  // A cycle of strong handles between the manager and its arbiter would keep both running,
  // and the actor system's destructor waiting for them for ever.
  CHECK(taskactors::test::poll_until([&] { return sys.registry().running() == before; }));
}
