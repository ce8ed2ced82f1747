#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "sync.hpp"
#include "taskactors/errc.hpp"
#include "taskactors/taskactors.hpp"

using namespace taskactors;
using namespace taskactors::test;
using namespace std::chrono_literals;

namespace {

manager_config quotas(std::size_t global, std::size_t thread) {
  manager_config cfg;
  cfg.global_quota = global;
  cfg.thread_quota = thread;
  cfg.max_queue = 100'000;
  cfg.retain_count = 100'000;
  cfg.log = make_null_sink();
  return cfg;
}

const limiter_stats& thread_limiter(const manager_metrics& m) {
  return m.limiters[static_cast<std::size_t>(quota::thread)];
}

const limiter_stats& global_limiter(const manager_metrics& m) {
  return m.limiters[static_cast<std::size_t>(quota::global)];
}

} // namespace

TEST_CASE("thread tasks: a blocking callable's result comes back", "[facade][threads]") {
  task_manager tm{quotas(4, 2)};
  auto id = tm.submit(thread_task([] {
    std::this_thread::sleep_for(1ms); // the blocking work itself
    return std::string{"from a thread"};
  }));
  REQUIRE(id);
  auto info = tm.wait(*id);
  REQUIRE(info);
  CHECK(info->kind == task_kind::thread);
  CHECK(info->state == task_state::completed);
  CHECK(*info->value.get_if<std::string>() == "from a thread");
  auto with_token = tm.run_in_thread([](std::stop_token st) { return st.stop_possible(); });
  REQUIRE(with_token);
  CHECK(*with_token);
  auto nothing = tm.run_in_thread([] {});
  CHECK(nothing);
}

TEST_CASE("thread tasks: exceptions and errors fail the task with their message",
          "[facade][threads]") {
  task_manager tm{quotas(4, 2)};
  auto thrown = tm.run_in_thread([]() -> int { throw std::out_of_range("index 9"); });
  REQUIRE_FALSE(thrown);
  CHECK(is(thrown.error(), errc::task_exception));
  CHECK(render(thrown.error()) == "taskactors::task_exception: std::out_of_range: index 9");
  auto refused = tm.run_in_thread(
      []() -> caf::expected<int> { return caf::make_error(errc::task_failed, "disk full"); });
  REQUIRE_FALSE(refused);
  CHECK(render(refused.error()) == "taskactors::task_failed: disk full");
}

TEST_CASE("thread tasks: never more callables run at once than the thread quota",
          "[facade][threads]") {
  // 10x oversubscription, with cancels and timeouts mixed in.
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  std::mt19937 rng{7};
  task_manager tm{quotas(32, 4)};
  std::vector<task_id> ids;
  for (int i = 0; i < 40; ++i) {
    auto work = std::chrono::microseconds{rng() % 3000};
    submit_options opts;
    if (i % 5 == 0)
      opts.timeout = 1ms;
    auto id = tm.submit(thread_task(
        [&running, &peak, work](std::stop_token st) {
          auto now = ++running;
          for (int seen = peak.load(); now > seen && !peak.compare_exchange_weak(seen, now);) {
          }
          auto until = std::chrono::steady_clock::now() + work;
          while (std::chrono::steady_clock::now() < until && !st.stop_requested())
            std::this_thread::yield(); // busy, blocking work
          --running;
        },
        opts));
    REQUIRE(id);
    ids.push_back(*id);
    if (i % 7 == 3)
      tm.cancel(ids[rng() % ids.size()]);
  }
  for (auto& id : ids)
    REQUIRE(tm.wait(id));
  auto report = tm.shutdown(shutdown_mode::drain, 10s);
  REQUIRE(report);
  CHECK(report->clean());
  CHECK(peak.load() <= 4);
  CHECK(peak.load() >= 2);
  CHECK(thread_limiter(report->metrics).peak_borrowed <= 4);
  CHECK(report->metrics.threads.created <= 4);
  CHECK(report->metrics.total(task_state::timeout) > 0);
}

TEST_CASE("thread tasks: waiters start first come first served", "[facade][threads]") {
  gate release;
  counter started;
  std::mutex mtx;
  std::vector<int> order;
  task_manager tm{quotas(8, 1)};
  auto first = tm.submit(thread_task([&] {
    started.add();
    release.wait();
  }));
  REQUIRE(started.wait_for_at_least(1));
  std::vector<task_id> ids;
  for (int i = 0; i < 6; ++i)
    ids.push_back(*tm.submit(thread_task([&, i] {
      std::lock_guard<std::mutex> guard{mtx};
      order.push_back(i);
    })));
  CHECK(tm.status(ids.back())->state == task_state::pending);
  release.open();
  for (auto& id : ids)
    REQUIRE(tm.wait(id));
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5});
  CHECK(tm.wait(*first)->state == task_state::completed);
}

TEST_CASE("thread tasks: cancellation requests the stop token and reports at once",
          "[facade][threads]") {
  counter started;
  std::atomic<bool> saw_stop{false};
  task_manager tm{quotas(4, 2)};
  auto id = tm.submit(thread_task([&](std::stop_token st) {
    started.add();
    auto limit = std::chrono::steady_clock::now() + 10s;
    while (!st.stop_requested() && std::chrono::steady_clock::now() < limit)
      std::this_thread::sleep_for(100us); // a cooperative job checks its token between steps
    saw_stop = st.stop_requested();
    return 1;
  }));
  REQUIRE(started.wait_for_at_least(1));
  auto info = tm.cancel(*id);
  REQUIRE(info);
  CHECK(info->state == task_state::cancelled);
  CHECK(is(info->error, errc::cancelled));
  auto report = tm.shutdown(shutdown_mode::drain, 10s);
  REQUIRE(report);
  CHECK(report->clean());
  CHECK(saw_stop);
  CHECK(report->metrics.late_results == 1);
}

TEST_CASE("thread tasks: a cancelled callable keeps its thread token until it returns",
          "[facade][threads]") {
  gate release;
  counter started;
  task_manager tm{quotas(4, 1)};
  auto stubborn = tm.submit(thread_task([&] { // ignores its stop token
    started.add();
    release.wait();
    return 7;
  }));
  REQUIRE(started.wait_for_at_least(1));
  CHECK(tm.cancel(*stubborn)->state == task_state::cancelled);
  auto next = tm.submit(thread_task([] { return 8; }));
  REQUIRE(next);
  auto m = tm.metrics();
  REQUIRE(m);
  CHECK(thread_limiter(*m).borrowed == 1); // still held by the abandoned callable
  CHECK(global_limiter(*m).borrowed == 0); // the cancelled task gave its global token back
  CHECK(m->threads.abandoned == 1);
  CHECK(m->threads.busy == 1);
  CHECK(tm.status(*next)->state == task_state::pending);
  release.open();
  auto after = tm.wait(*next);
  REQUIRE(after);
  CHECK(after->state == task_state::completed);
  m = tm.metrics();
  CHECK(m->late_results == 1); // the 7 arrived after the cancellation: counted, discarded
  CHECK(m->threads.abandoned == 0);
  CHECK(tm.status(*stubborn)->state == task_state::cancelled);
  CHECK_FALSE(tm.status(*stubborn)->value.has_value());
}

TEST_CASE("thread tasks: a timeout reports at once and asks the callable to stop",
          "[facade][threads]") {
  task_manager tm{quotas(4, 2)};
  auto started = std::chrono::steady_clock::now();
  auto result = tm.run_in_thread(
      [](std::stop_token st) {
        while (!st.stop_requested())
          std::this_thread::sleep_for(100us);
        return 0;
      },
      20ms);
  REQUIRE_FALSE(result);
  CHECK(is(result.error(), errc::timeout));
  CHECK(std::chrono::steady_clock::now() - started >= 20ms);
  auto report = tm.shutdown(shutdown_mode::drain, 10s);
  REQUIRE(report);
  CHECK(report->clean());
}

TEST_CASE("thread tasks: a thread quota of one still serves a global quota of one",
          "[facade][threads]") {
  // A thread task waiting for its thread token holds no global token, so async work proceeds.
  gate release;
  counter started;
  task_manager tm{quotas(2, 1)};
  auto first = tm.submit(thread_task([&] {
    started.add();
    release.wait();
  }));
  REQUIRE(started.wait_for_at_least(1));
  auto second = tm.submit(thread_task([] {}));
  auto async = tm.submit([] { return 5; });
  REQUIRE(async);
  auto done = tm.wait(*async, 10s);
  REQUIRE(done);
  CHECK(done->state == task_state::completed);
  CHECK(tm.status(*second)->state == task_state::pending);
  release.open();
  CHECK(tm.wait(*second)->state == task_state::completed);
  CHECK(tm.wait(*first)->state == task_state::completed);
}

TEST_CASE("thread tasks: an async task calls blocking code without blocking its actor",
          "[facade][threads]") {
  // Global quota 1: the caller holds the only global token; its call shares it.
  task_manager tm{quotas(1, 1)};
  auto id = tm.submit([](async_context& ctx) {
    run_in_thread(
        ctx, [] { return 20; },
        [&ctx](caf::expected<int> r) {
          if (r)
            ctx.complete(*r + 1);
          else
            ctx.fail(r.error());
        });
    return ctx.pending();
  });
  REQUIRE(id);
  auto info = tm.wait(*id, 10s);
  REQUIRE(info);
  CHECK(info->state == task_state::completed);
  CHECK(*info->value.get_if<int>() == 21);
  auto threads = tm.list(task_filter{{}, {task_kind::thread}, 0});
  REQUIRE(threads);
  REQUIRE(threads->size() == 1);
  CHECK(threads->front().state == task_state::completed);
}

TEST_CASE("thread tasks: a call is cancelled when its calling task ends", "[facade][threads]") {
  counter started;
  std::atomic<bool> stopped{false};
  task_manager tm{quotas(4, 2)};
  auto parent = tm.submit([&](async_context& ctx) {
    run_in_thread(
        ctx,
        [&](std::stop_token st) {
          started.add();
          auto limit = std::chrono::steady_clock::now() + 10s;
          while (!st.stop_requested() && std::chrono::steady_clock::now() < limit)
            std::this_thread::sleep_for(100us);
          stopped = st.stop_requested();
        },
        [](caf::expected<void>) {});
    return ctx.pending();
  });
  REQUIRE(parent);
  REQUIRE(started.wait_for_at_least(1));
  CHECK(tm.cancel(*parent)->state == task_state::cancelled);
  auto children = tm.list(task_filter{{}, {task_kind::thread}, 0});
  REQUIRE(children);
  REQUIRE(children->size() == 1);
  CHECK(tm.wait(children->front().id)->state == task_state::cancelled);
  auto report = tm.shutdown(shutdown_mode::drain, 10s);
  REQUIRE(report);
  CHECK(report->clean());
  CHECK(stopped);
}

TEST_CASE("thread tasks: shutdown names a callable that ignores its stop token, and returns",
          "[facade][threads]") {
  auto release = std::make_shared<gate>();
  auto started = std::make_shared<counter>();
  auto finished = std::make_shared<counter>();
  {
    task_manager tm{quotas(4, 2)};
    auto id = tm.submit(thread_task(
        [release, started, finished] {
          started->add();
          release->wait();
          finished->add();
        },
        {.id = "stubborn-call"}));
    REQUIRE(id);
    REQUIRE(started->wait_for_at_least(1));
    auto report = tm.shutdown(shutdown_mode::cancel, 50ms);
    REQUIRE(report);
    CHECK(report->deadline_passed);
    CHECK(report->stragglers == std::vector<task_id>{"stubborn-call"});
    CHECK(thread_limiter(report->metrics).borrowed == 1); // held by the stuck callable
    CHECK_FALSE(report->clean());
  } // the manager and its actor system are gone while the callable still runs
  release->open();
  CHECK(finished->wait_for_at_least(1));
}

TEST_CASE("thread tasks: 10,000 of them start no thread per task and leave none behind",
          "[facade][threads][slow]") {
  auto cycle = [](int n) {
    task_manager tm{quotas(16, 4)};
    std::vector<task_id> ids;
    ids.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      auto id = tm.submit(thread_task([i] { return i; }));
      REQUIRE(id);
      ids.push_back(*id);
    }
    for (auto& id : ids)
      REQUIRE(tm.wait(id)->state == task_state::completed);
    return tm.metrics()->threads.created;
  };
  auto initial = threads_in_process();
  cycle(10); // anything started once per process (a sanitizer's helper thread) starts here
  threads_settle_at(initial + 1);
  auto before = threads_in_process();
  auto created = cycle(10'000);
  CHECK(created <= 4);
  CHECK(threads_settle_at(before));
}

TEST_CASE("thread tasks: a drain past its deadline stops cooperative callables cleanly",
          "[facade][threads]") {
  counter started;
  task_manager tm{quotas(4, 2)};
  auto id = tm.submit(thread_task([&](std::stop_token st) {
    started.add();
    auto limit = std::chrono::steady_clock::now() + 10s;
    while (!st.stop_requested() && std::chrono::steady_clock::now() < limit)
      std::this_thread::sleep_for(100us);
  }));
  REQUIRE(id);
  REQUIRE(started.wait_for_at_least(1));
  auto report = tm.shutdown(shutdown_mode::drain, 30ms);
  REQUIRE(report);
  CHECK(report->deadline_passed);
  CHECK(report->cancelled == 1);
  CHECK(report->stragglers.empty()); // it stopped when asked
  CHECK(report->leaked_tokens() == 0);
}
