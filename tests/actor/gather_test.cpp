#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <vector>

#include "manager_env.hpp"
#include "taskactors/async_calls.hpp"
#include "taskactors/errc.hpp"
#include "taskactors/gather.hpp"

using namespace taskactors;
using namespace taskactors::test;
using namespace std::chrono_literals;

namespace {

/// Completes with `x` after `x` ms.
auto wait_ms = [](async_context& ctx, const int& x) {
  ctx.after(std::chrono::milliseconds{x}, [&ctx, x] { ctx.complete(x); });
  return ctx.pending();
};

/// Counts the bodies running at once.
struct gauge {
  int now = 0;
  int peak = 0;
  int started = 0;
};

/// A body that waits `x` ms, counted in `g` while it runs (cancelled or not).
auto gauged(std::shared_ptr<gauge> g) {
  return [g](async_context& ctx, const int& x) {
    ++g->started;
    g->peak = std::max(g->peak, ++g->now);
    ctx.on_exit([g](const caf::error&) { --g->now; });
    ctx.after(std::chrono::milliseconds{x}, [&ctx, x] { ctx.complete(x); });
    return ctx.pending();
  };
}

class gather_env : public manager_env {
public:
  using manager_env::manager_env;

  /// Starts a gather; `take` collects its answer.
  auto start(gather_spec spec) {
    auto handle = self()->request(mgr, caf::infinite, gather_atom::value, std::move(spec));
    run();
    return handle;
  }

  template <class Handle>
  caf::expected<gather_result> take(Handle& handle) {
    if (!has_message())
      FAIL("the gather did not answer");
    caf::expected<gather_result> result{caf::error{}};
    handle.receive([&](gather_result& x) { result = std::move(x); },
                   [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// Runs a gather to its end, moving the clock in `step`s.
  caf::expected<gather_result> gather(gather_spec spec, caf::timespan step = 1ms) {
    auto handle = start(std::move(spec));
    for (int i = 0; i < 100000 && !has_message(); ++i)
      advance(step);
    return take(handle);
  }

  caf::expected<gather_stats> cancel_gather(const task_id& id) {
    return ask<gather_stats>(mgr, cancel_atom::value, gather_atom::value, id);
  }

  time_point now() { return sched().clock().now(); }

  /// Tokens borrowed from the limiters.
  std::size_t borrowed() {
    std::size_t n = 0;
    for (auto& lim : metrics().limiters)
      n += lim.borrowed;
    return n;
  }
};

std::vector<int> range(int n, int first = 0) {
  std::vector<int> xs;
  for (int i = 0; i < n; ++i)
    xs.push_back(first + i);
  return xs;
}

} // namespace

// -- results ----------------------------------------------------------------------------------

TEST_CASE("gather: one outcome per input, in input order, whatever the completion order",
          "[actor][gather]") {
  gather_env env{small_config(8)};
  std::vector<int> delays{50, 40, 30, 20, 10};
  auto result = env.gather(make_gather(wait_ms, delays, {.concurrency = 5}));
  REQUIRE(result);
  REQUIRE(result->outcomes.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(result->outcomes[i].index == i);
    CHECK(result->outcomes[i].get<int>() == delays[i]);
  }
  CHECK(result->all_completed());
  CHECK(result->stats.completed == 5);
  CHECK(result->stats.id == "g-1");
  CHECK(env.borrowed() == 0);
}

TEST_CASE("gather: never more than `concurrency` inputs in flight", "[actor][gather]") {
  gather_env env{small_config(16)};
  auto g = std::make_shared<gauge>();
  std::vector<int> delays;
  for (int i = 0; i < 40; ++i)
    delays.push_back(1 + (i * 7) % 13);
  auto result = env.gather(make_gather(gauged(g), delays, {.concurrency = 3}));
  REQUIRE(result);
  CHECK(result->all_completed());
  CHECK(g->started == 40);
  CHECK(g->peak == 3);
  CHECK(result->stats.peak_in_flight == 3);
}

TEST_CASE("gather: the global quota bounds it too", "[actor][gather]") {
  gather_env env{small_config(2)};
  auto g = std::make_shared<gauge>();
  auto result = env.gather(make_gather(gauged(g), std::vector<int>(10, 5), {.concurrency = 8}));
  REQUIRE(result);
  CHECK(result->all_completed());
  CHECK(g->peak == 2);
}

TEST_CASE("gather: its tasks are ordinary tasks of the manager", "[actor][gather]") {
  gather_env env{small_config(8)};
  auto handle = env.start(make_gather(wait_ms, std::vector<int>{100, 100, 100}, {.id = "batch"}));
  CHECK(env.state("batch/0") == task_state::running);
  auto m = env.metrics();
  REQUIRE(m.gathers.size() == 1);
  CHECK(m.gathers[0].id == "batch");
  CHECK(m.gathers[0].in_flight == 3);
  CHECK(m.gathers[0].done() == 0);
  CHECK(m.running() == 3);
  // Cancelled by id like any task: that input's outcome says so, the others go on.
  REQUIRE(env.cancel("batch/1"));
  env.advance(100ms);
  auto result = env.take(handle);
  REQUIRE(result);
  CHECK(result->outcomes[0].ok());
  CHECK(result->outcomes[1].state == task_state::cancelled);
  CHECK(result->outcomes[2].ok());
  CHECK(result->stats.cancelled == 1);
  CHECK_FALSE(result->stop_reason);
  CHECK(env.metrics().gathers.empty());
}

TEST_CASE("gather: a running gather shows its progress in the metrics", "[actor][gather]") {
  gather_env env{small_config(8)};
  auto fails_on_odd = [](async_context& ctx, const int& x) -> async_pending {
    ctx.after(std::chrono::milliseconds{x}, [&ctx, x] {
      if (x % 2 == 1)
        ctx.fail(std::string{"odd"});
      else
        ctx.complete(x);
    });
    return ctx.pending();
  };
  auto handle = env.start(make_gather(fails_on_odd, std::vector<int>{1, 2, 3, 100}));
  env.advance(10ms);
  auto m = env.metrics();
  REQUIRE(m.gathers.size() == 1);
  CHECK(m.gathers[0].completed == 1);
  CHECK(m.gathers[0].failed == 2);
  CHECK(m.gathers[0].in_flight == 1);
  env.advance(100ms);
  auto result = env.take(handle);
  REQUIRE(result);
  CHECK(result->stats.failed == 2);
  CHECK(result->outcomes[0].state == task_state::failed);
  CHECK(is(result->outcomes[0].error, errc::task_failed));
}

// -- timeouts -------------------------------------------------------------------------------

TEST_CASE("gather: a task timeout ends one input, the global timeout ends the rest",
          "[actor][gather]") {
  gather_env env{small_config(8)};
  auto t0 = env.now();
  // Two at a time: 0 (1 s), 1 (5 s, past its 4 s timeout), 2 (1 s), 3 (3.9 s from 2 s, past
  // the global 5 s), 4 (0.1 s from 4 s), 5 (2 s from 4.1 s, past the global 5 s).
  auto result =
      env.gather(make_gather(wait_ms, std::vector<int>{1000, 5000, 1000, 3900, 100, 2000},
                             {.concurrency = 2, .task_timeout = 4s, .global_timeout = 5s}),
                 100ms);
  REQUIRE(result);
  auto& out = result->outcomes;
  REQUIRE(out.size() == 6);
  CHECK(out[0].get<int>() == 1000);
  CHECK(out[1].state == task_state::timeout);
  CHECK(out[1].finished_at - t0 == 4s);
  CHECK_THAT(render(out[1].error), Catch::Contains("execution timeout of 4000 ms"));
  CHECK(out[2].get<int>() == 1000);
  CHECK(out[4].get<int>() == 100);
  for (auto i : {3, 5}) {
    CHECK(out[i].state == task_state::timeout);
    CHECK(out[i].finished_at - t0 == 5s);
    CHECK_THAT(render(out[i].error), Catch::Contains("global timeout of 5000 ms"));
  }
  CHECK(is(result->stop_reason, errc::timeout));
  CHECK(env.state("g-1/3") == task_state::timeout);
  CHECK(env.borrowed() == 0);
}

TEST_CASE("gather: inputs that never started get an outcome at the global timeout",
          "[actor][gather]") {
  gather_env env{small_config(8)};
  auto result = env.gather(
      make_gather(wait_ms, std::vector<int>(5, 2000), {.concurrency = 1, .global_timeout = 5s}),
      100ms);
  REQUIRE(result);
  auto& out = result->outcomes;
  REQUIRE(out.size() == 5);
  CHECK(out[0].ok());
  CHECK(out[1].ok());
  CHECK(out[2].state == task_state::timeout); // Running at 5 s.
  CHECK(out[2].started_at != time_point{});
  for (std::size_t i = 3; i < 5; ++i) {
    CHECK(out[i].state == task_state::timeout);
    CHECK(out[i].started_at == time_point{});
  }
  CHECK(result->stats.started == 3);
  CHECK(result->stats.timeout == 3);
}

// -- fail-fast and cancellation -------------------------------------------------------------

TEST_CASE("gather: fail-fast cancels the rest at the first failure", "[actor][gather]") {
  gather_env env{small_config(8)};
  auto body = [](async_context& ctx, const int& x) -> async_pending {
    ctx.after(std::chrono::milliseconds{x == 1 ? 10 : 500},
              [&ctx, x] { x == 1 ? ctx.fail(std::string{"no"}) : ctx.complete(x); });
    return ctx.pending();
  };
  auto g = std::make_shared<gauge>();
  auto result =
      env.gather(make_gather(body, range(6), {.concurrency = 2, .fail_fast = true}), 10ms);
  REQUIRE(result);
  auto& out = result->outcomes;
  REQUIRE(out.size() == 6);
  CHECK(out[0].state == task_state::cancelled);
  CHECK_THAT(render(out[0].error), Catch::Contains("fail-fast"));
  CHECK(out[1].state == task_state::failed);
  for (std::size_t i = 2; i < 6; ++i) {
    CHECK(out[i].state == task_state::cancelled);
    CHECK(out[i].started_at == time_point{});
  }
  CHECK(is(result->stop_reason, errc::cancelled));
  CHECK(env.state("g-1/0") == task_state::cancelled);
  CHECK(env.borrowed() == 0);
}

TEST_CASE("gather: without fail-fast a failure leaves the others alone", "[actor][gather]") {
  gather_env env{small_config(8)};
  auto body = [](const int& x) -> caf::expected<int> {
    if (x == 1)
      return caf::make_error(errc::task_failed, "no");
    return x;
  };
  auto result = env.gather(make_gather(body, range(4), {.concurrency = 2}));
  REQUIRE(result);
  CHECK(result->stats.completed == 3);
  CHECK(result->stats.failed == 1);
  CHECK_FALSE(result->stop_reason);
}

TEST_CASE("gather: cancelling a gather cancels what runs and still returns every outcome",
          "[actor][gather]") {
  gather_env env{small_config(8)};
  auto handle = env.start(make_gather(wait_ms, std::vector<int>{10, 1000, 1000, 1000, 1000},
                                      {.id = "crawl", .concurrency = 3}));
  env.advance(10ms);
  auto stats = env.cancel_gather("crawl");
  REQUIRE(stats);
  CHECK(stats->completed == 1);
  auto result = env.take(handle);
  REQUIRE(result);
  auto& out = result->outcomes;
  REQUIRE(out.size() == 5);
  CHECK(out[0].ok());
  for (std::size_t i = 1; i < 5; ++i)
    CHECK(out[i].state == task_state::cancelled);
  CHECK(env.state("crawl/1") == task_state::cancelled);
  CHECK(env.state("crawl/3") == task_state::cancelled);
  CHECK(is(result->stop_reason, errc::cancelled));
  CHECK(env.borrowed() == 0);
  auto again = env.cancel_gather("crawl");
  REQUIRE_FALSE(again);
  CHECK(is(again.error(), errc::unknown_task));
}

TEST_CASE("gather: a cancel shutdown cancels running gathers and returns their outcomes",
          "[actor][gather]") {
  gather_env env{small_config(8)};
  auto handle = env.start(make_gather(wait_ms, std::vector<int>(6, 1000), {.concurrency = 2}));
  auto report = env.shutdown(shutdown_mode::cancel, 1s);
  CHECK(report.clean());
  auto result = env.take(handle);
  REQUIRE(result);
  CHECK(result->outcomes.size() == 6);
  CHECK(result->stats.cancelled == 6);
  env.mgr = nullptr;
}

TEST_CASE("gather: a drain shutdown lets a running gather draw and finish all its inputs",
          "[actor][gather]") {
  gather_env env{small_config(8)};
  // Two at a time, 10 ms each: the drain begins while four inputs are not yet drawn.
  auto handle = env.start(make_gather(wait_ms, std::vector<int>(6, 10), {.concurrency = 2}));
  auto response = env.self()->request(env.mgr, caf::infinite, shutdown_atom::value,
                                      shutdown_mode::drain, caf::timespan{1s});
  env.run();
  // Work from outside is refused meanwhile.
  auto late = env.submit([](async_context& ctx) { return ctx.pending(); });
  REQUIRE_FALSE(late);
  CHECK(is(late.error(), errc::shutting_down));
  for (int i = 0; i < 100 && !env.has_message(); ++i)
    env.advance(1ms);
  auto result = env.take(handle);
  REQUIRE(result);
  CHECK(result->all_completed());
  CHECK(result->stats.completed == 6);
  for (int i = 0; i < 10 && !env.has_message(); ++i)
    env.advance(1ms);
  auto report = env.take_report(response);
  CHECK(report.cancelled == 0);
  CHECK_FALSE(report.deadline_passed);
  CHECK(report.clean());
  CHECK(report.metrics.total(task_state::completed) == 6);
  env.mgr = nullptr;
}

TEST_CASE("gather: a drain that misses its deadline cancels the gather and what it has left",
          "[actor][gather]") {
  gather_env env{small_config(8)};
  auto handle = env.start(make_gather(wait_ms, std::vector<int>(6, 40), {.concurrency = 2}));
  auto response = env.self()->request(env.mgr, caf::infinite, shutdown_atom::value,
                                      shutdown_mode::drain, caf::timespan{60ms});
  env.run();
  // What runs is cancelled at 45 ms: the deadline less its stop grace (a quarter of it).
  for (int i = 0; i < 70 && !env.has_message(); ++i)
    env.advance(1ms);
  auto result = env.take(handle);
  REQUIRE(result);
  CHECK(result->outcomes.size() == 6);
  CHECK(result->stats.completed == 2); // the first two, at 40 ms
  CHECK(result->stats.cancelled == 4); // two running at 45 ms, two never drawn
  CHECK(is(result->stop_reason, errc::cancelled));
  for (int i = 0; i < 10 && !env.has_message(); ++i)
    env.advance(1ms);
  auto report = env.take_report(response);
  CHECK(report.deadline_passed);
  CHECK(report.clean());
  CHECK(report.leaked_tokens() == 0);
  env.mgr = nullptr;
}

// -- jitter ---------------------------------------------------------------------------------

TEST_CASE("gather: jitter delays each start within its bound, reproducibly for a seed",
          "[actor][gather]") {
  auto offsets = [](std::optional<uint64_t> seed) {
    gather_env env{small_config(32)};
    auto t0 = env.now();
    auto result = env.gather(make_gather([](const int& x) { return x; }, range(20),
                                         {.concurrency = 20, .jitter = 100ms, .seed = seed}));
    REQUIRE(result);
    REQUIRE(result->all_completed());
    std::vector<caf::timespan> xs;
    for (auto& x : result->outcomes)
      xs.push_back(x.started_at - t0);
    return xs;
  };
  auto a = offsets(42);
  for (auto x : a) {
    CHECK(x >= 0ms);
    CHECK(x <= 100ms);
  }
  // Spread over the interval, not bunched at one end.
  CHECK(*std::min_element(a.begin(), a.end()) < 50ms);
  CHECK(*std::max_element(a.begin(), a.end()) > 50ms);
  CHECK(offsets(42) == a);
  CHECK(offsets(7) != a);
}

TEST_CASE("gather: an input waiting out its jitter holds its slot", "[actor][gather]") {
  gather_env env{small_config(8)};
  auto g = std::make_shared<gauge>();
  auto handle = env.start(make_gather(gauged(g), std::vector<int>(4, 1000),
                                      {.concurrency = 2, .jitter = 50ms, .seed = 1}));
  CHECK(g->started == 0);
  auto m = env.metrics();
  REQUIRE(m.gathers.size() == 1);
  CHECK(m.gathers[0].in_flight == 2);
  CHECK(m.gathers[0].started == 2);
  env.advance(50ms);
  CHECK(g->started == 2);
  for (int i = 0; i < 3000 && !env.has_message(); ++i)
    env.advance(1ms);
  auto result = env.take(handle);
  REQUIRE(result);
  CHECK(result->all_completed());
  CHECK(g->peak == 2);
}

// -- inputs ---------------------------------------------------------------------------------

TEST_CASE("gather: reads a lazy input only as slots free up", "[actor][gather]") {
  gather_env env{small_config(8)};
  int drawn = 0;
  int ended = 0;
  int ahead = 0;
  auto body = [&](const int& x) {
    ++ended;
    return x;
  };
  auto gen = [&]() -> std::optional<int> {
    ahead = std::max(ahead, drawn - ended);
    if (drawn == 5000)
      return std::nullopt;
    return drawn++;
  };
  std::size_t streamed = 0;
  auto spec = make_gather(body, from_generator(gen), {.concurrency = 4});
  spec.on_outcome = [&](gather_outcome&&) { ++streamed; };
  auto result = env.gather(std::move(spec));
  REQUIRE(result);
  CHECK(drawn == 5000);
  CHECK(streamed == 5000);
  CHECK(ahead <= 4);
  CHECK(result->outcomes.empty());
  CHECK(result->stats.completed == 5000);
  CHECK(env.metrics().retained <= small_config().retain_count);
}

TEST_CASE("gather: an input sequence that throws stops the gather, keeping what ran",
          "[actor][gather]") {
  gather_env env{small_config(8)};
  int n = 0;
  auto gen = [&]() -> std::optional<int> {
    if (n == 3)
      throw std::runtime_error("source broke");
    return n++;
  };
  auto result = env.gather(make_gather([](const int& x) { return x; }, from_generator(gen)));
  REQUIRE(result);
  CHECK(result->outcomes.size() == 3);
  CHECK(result->stats.completed == 3);
  CHECK(is(result->stop_reason, errc::task_exception));
  CHECK_THAT(render(result->stop_reason), Catch::Contains("source broke"));
}

TEST_CASE("gather: as_completed hands outcomes over in completion order", "[actor][gather]") {
  gather_env env{small_config(8)};
  std::vector<std::size_t> order;
  auto spec = make_gather(wait_ms, std::vector<int>{30, 10, 20});
  spec.on_outcome = [&](gather_outcome&& x) { order.push_back(x.index); };
  auto result = env.gather(std::move(spec));
  REQUIRE(result);
  CHECK(order == std::vector<std::size_t>{1, 2, 0});
  CHECK(result->stats.completed == 3);
}

TEST_CASE("gather: a cancelled as_completed streams the drawn inputs only, gather all of them",
          "[actor][gather]") {
  // Five sized inputs, three at a time, cancelled once the first completed (which drew input 3):
  // input 4 was never drawn. A gather reports it (it holds every outcome anyway); a stream does
  // not, as it would have to buffer an outcome for each of possibly millions of inputs never
  // started.
  auto run = [](bool streamed) {
    gather_env env{small_config(8)};
    std::vector<gather_outcome> streamed_out;
    auto spec = make_gather(wait_ms, std::vector<int>{10, 1000, 1000, 1000, 1000},
                            {.id = "crawl", .concurrency = 3});
    if (streamed)
      spec.on_outcome = [&](gather_outcome&& x) { streamed_out.push_back(std::move(x)); };
    auto handle = env.start(std::move(spec));
    env.advance(10ms);
    REQUIRE(env.cancel_gather("crawl"));
    auto result = env.take(handle);
    REQUIRE(result);
    return std::make_pair(std::move(*result), std::move(streamed_out));
  };
  auto [gathered, none] = run(false);
  CHECK(gathered.outcomes.size() == 5);
  CHECK(gathered.stats.cancelled == 4);
  CHECK(none.empty());
  auto [streamed, outcomes] = run(true);
  CHECK(streamed.outcomes.empty());
  REQUIRE(outcomes.size() == 4); // input 0 completed, 1 to 3 cancelled while running
  CHECK(outcomes[0].index == 0);
  CHECK(outcomes[0].ok());
  CHECK(streamed.stats.started == 4);
  CHECK(streamed.stats.completed == 1);
  CHECK(streamed.stats.cancelled == 3);
  CHECK(is(streamed.stop_reason, errc::cancelled));
}

TEST_CASE("gather: an empty input ends at once", "[actor][gather]") {
  gather_env env;
  auto result = env.gather(make_gather(wait_ms, std::vector<int>{}));
  REQUIRE(result);
  CHECK(result->outcomes.empty());
  CHECK(result->all_completed());
}

// -- bad input ------------------------------------------------------------------------------

TEST_CASE("gather: bad options are refused before anything starts", "[actor][gather]") {
  gather_env env;
  auto refused = [&](gather_options opts, std::string_view text) {
    auto result = env.gather(make_gather(wait_ms, range(3, 1), std::move(opts)));
    REQUIRE_FALSE(result);
    CHECK(is(result.error(), errc::invalid_argument));
    CHECK_THAT(render(result.error()), Catch::Contains(std::string{text}));
  };
  refused({.concurrency = 0}, "concurrency must be positive, got 0");
  refused({.concurrency = -3}, "concurrency must be positive, got -3");
  refused({.task_timeout = 0s}, "task_timeout must be positive");
  refused({.global_timeout = 0s}, "global_timeout must be positive");
  refused({.jitter = -1ms}, "jitter must not be negative");
  refused({.id = "a/b"}, "must not contain '/'");
  refused({.parent = "nobody"}, "parent task 'nobody' is not running");
  auto m = env.metrics();
  CHECK(m.submitted == 0);
  CHECK(m.rejected == 7);
}

TEST_CASE("gather: a process gather needs workers", "[actor][gather]") {
  gather_env env;
  auto result = env.gather(make_gather(job<int>("square"), range(3)));
  REQUIRE_FALSE(result);
  CHECK_THAT(render(result.error()), Catch::Contains("worker executable"));
}

TEST_CASE("gather: a running gather's id cannot be reused", "[actor][gather]") {
  gather_env env;
  auto first = env.start(make_gather(wait_ms, std::vector<int>{100}, {.id = "once"}));
  auto second = env.gather(make_gather(wait_ms, std::vector<int>{1}, {.id = "once"}));
  REQUIRE_FALSE(second);
  CHECK(is(second.error(), errc::duplicate_id));
  env.advance(100ms);
  CHECK(env.take(first));
}

// -- inside a task --------------------------------------------------------------------------

TEST_CASE("gather: an async task gathers and completes with the sum", "[actor][gather]") {
  // One global token: the task holds it, and its gather runs on it.
  gather_env env{small_config(1)};
  auto id = env.add([](async_context& ctx) {
    gather(ctx, make_gather(wait_ms, std::vector<int>{10, 20, 30}, {.concurrency = 2}),
           [&ctx](caf::expected<gather_result> result) {
             if (!result)
               return ctx.fail(result.error());
             int sum = 0;
             for (auto& x : result->values<int>())
               sum += x ? *x : 1000;
             ctx.complete(sum);
           });
    return ctx.pending();
  });
  for (int i = 0; i < 100 && env.state(id) == task_state::running; ++i)
    env.advance(10ms);
  auto info = env.status(id);
  REQUIRE(info.state == task_state::completed);
  CHECK(*info.value.get_if<int>() == 60);
  CHECK(env.borrowed() == 0);
}

TEST_CASE("gather: as_completed inside a task runs its callbacks on the task", "[actor][gather]") {
  gather_env env{small_config(2)};
  auto id = env.add([](async_context& ctx) {
    auto seen = std::make_shared<std::vector<int>>();
    as_completed(
        ctx, make_gather(wait_ms, std::vector<int>{30, 10, 20}, {.concurrency = 3}),
        [seen](gather_outcome x) { seen->push_back(*x.get<int>()); },
        [&ctx, seen](caf::expected<gather_result> result) {
          if (!result)
            return ctx.fail(result.error());
          ctx.complete(*seen);
        });
    return ctx.pending();
  });
  for (int i = 0; i < 100 && env.state(id) == task_state::running; ++i)
    env.advance(10ms);
  auto info = env.status(id);
  REQUIRE(info.state == task_state::completed);
  CHECK(*info.value.get_if<std::vector<int>>() == std::vector<int>{10, 20, 30});
}

TEST_CASE("gather: a task that ends cancels its gather", "[actor][gather]") {
  gather_env env{small_config(2)};
  auto id = env.add([](async_context& ctx) {
    gather(ctx, make_gather(wait_ms, std::vector<int>(4, 1000), {.id = "inner"}),
           [](caf::expected<gather_result>) {});
    return ctx.pending();
  });
  CHECK(env.state("inner/0") == task_state::running);
  REQUIRE(env.cancel(id));
  env.run();
  CHECK(env.state("inner/0") == task_state::cancelled);
  CHECK(env.state("inner/1") == task_state::cancelled);
  CHECK(env.metrics().gathers.empty());
  CHECK(env.borrowed() == 0);
}
