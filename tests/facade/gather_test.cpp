#include <catch2/catch.hpp>

#include <atomic>
#include <ranges>
#include <string>
#include <vector>

#include "sync.hpp"
#include "taskactors/errc.hpp"
#include "taskactors/taskactors.hpp"

using namespace taskactors;
using namespace taskactors::test;
using namespace std::chrono_literals;

namespace {

manager_config quiet(std::size_t global = 8) {
  manager_config cfg;
  cfg.global_quota = global;
  cfg.log = make_null_sink();
  return cfg;
}

manager_config with_workers() {
  auto cfg = quiet();
  cfg.process_quota = 2;
  cfg.workers.executable = TASKACTORS_TEST_WORKER;
  cfg.workers.args = {"--test-jobs"};
  cfg.workers.kill_grace = 200ms;
  return cfg;
}

/// Waits until the workers told which jobs they offer (they start with the manager).
bool workers_ready(task_manager& tm, std::size_t n) {
  return poll_until([&] { return tm.metrics()->processes.idle == n; });
}

} // namespace

TEST_CASE("gather (facade): async callables over a vector", "[facade][gather]") {
  task_manager tm{quiet()};
  std::vector<std::string> words{"actor", "task", "token"};
  auto result = tm.gather([](const std::string& w) { return w.size(); }, words);
  REQUIRE(result);
  auto values = result->values<std::size_t>();
  REQUIRE(values.size() == 3);
  CHECK(*values[0] == 5);
  CHECK(*values[1] == 4);
  CHECK(*values[2] == 5);
  CHECK(result->all_completed());
}

TEST_CASE("gather (facade): blocking callables on threads, within the bound",
          "[facade][gather][thread]") {
  task_manager tm{quiet()};
  std::atomic<int> now{0};
  std::atomic<int> peak{0};
  auto work = [&](std::stop_token, const int& x) {
    auto n = ++now;
    for (auto p = peak.load(); n > p && !peak.compare_exchange_weak(p, n);)
      ;
    std::this_thread::yield();
    --now;
    return x * x;
  };
  auto result = tm.gather(on_threads(work), std::views::iota(0, 50), {.concurrency = 3});
  REQUIRE(result);
  REQUIRE(result->outcomes.size() == 50);
  for (int i = 0; i < 50; ++i)
    CHECK(result->outcomes[i].get<int>() == i * i);
  CHECK(peak.load() <= 3);
  CHECK(result->stats.peak_in_flight <= 3);
  CHECK(tm.metrics()->count(task_kind::thread, task_state::completed) == 50);
}

TEST_CASE("gather (facade): worker jobs in processes, arguments spread from tuples",
          "[facade][gather][process]") {
  task_manager tm{with_workers()};
  auto result = tm.gather(job<uint64_t>("sum_squares"), std::vector<uint64_t>{1, 2, 3, 10});
  REQUIRE(result);
  auto values = result->values<uint64_t>();
  CHECK(*values[0] == 1);
  CHECK(*values[1] == 5);
  CHECK(*values[2] == 14);
  CHECK(*values[3] == 385);
  CHECK(tm.metrics()->count(task_kind::process, task_state::completed) == 4);
  auto echoed =
      tm.gather(job<std::string>("echo"), std::vector<std::tuple<std::string>>{{"a"}, {"b"}});
  REQUIRE(echoed);
  CHECK(*echoed->outcomes[1].get<std::string>() == "b");
}

TEST_CASE("gather (facade): an unknown job is refused before anything starts",
          "[facade][gather][process]") {
  task_manager tm{with_workers()};
  REQUIRE(workers_ready(tm, 2));
  auto result = tm.gather(job<int>("no-such-job"), std::vector<int>{1, 2});
  REQUIRE_FALSE(result);
  CHECK(is(result.error(), errc::unknown_job));
  CHECK_THAT(render(result.error()), Catch::Contains("no-such-job"));
  CHECK(tm.metrics()->submitted == 0);
}

TEST_CASE("gather (facade): a caller that stops waiting cancels the gather",
          "[facade][gather][thread]") {
  task_manager tm{quiet()};
  counter started;
  counter stopped;
  auto blocked = [&](std::stop_token stop, const int&) {
    started.add();
    gate never;
    std::stop_callback on_stop{stop, [&] { never.open(); }};
    never.wait();
    stopped.add();
    return 0;
  };
  auto result = tm.gather(on_threads(blocked), std::vector<int>{1, 2}, {.id = "slow"}, 50ms);
  REQUIRE_FALSE(result);
  CHECK(is(result.error(), errc::wait_timeout));
  CHECK(poll_until([&] { return tm.metrics()->gathers.empty(); }));
  // Both inputs were cancelled: pending ones never ran, running ones saw their stop token.
  CHECK(tm.status("slow/0")->state == task_state::cancelled);
  CHECK(tm.status("slow/1")->state == task_state::cancelled);
  // A callable may still be starting on its pool thread, its stop token already set, after the
  // gather ended: the counters it uses must outlive it. Its thread token comes back only once it
  // has returned.
  CHECK(poll_until([&] {
    auto m = tm.metrics();
    return m && m->limiters.at(static_cast<std::size_t>(quota::thread)).borrowed == 0 &&
           stopped.value() == started.value();
  }));
}

TEST_CASE("gather (facade): as_completed streams outcomes and ends", "[facade][gather]") {
  task_manager tm{quiet()};
  auto stream =
      tm.as_completed(make_gather([](const int& x) { return x + 1; }, std::views::iota(0, 200)), 8);
  REQUIRE(stream);
  CHECK(stream->id().rfind("g-", 0) == 0);
  std::vector<int> seen;
  for (;;) {
    auto next = stream->next(10s);
    REQUIRE(next);
    if (!*next)
      break;
    seen.push_back(*(*next)->get<int>());
  }
  std::sort(seen.begin(), seen.end());
  REQUIRE(seen.size() == 200);
  CHECK(seen.front() == 1);
  CHECK(seen.back() == 200);
  auto end = stream->result();
  REQUIRE(end);
  CHECK(end->stats.completed == 200);
  CHECK(end->outcomes.empty());
}

TEST_CASE("gather (facade): a stream's reader sets the pace and may give up waiting",
          "[facade][gather][thread]") {
  task_manager tm{quiet()};
  gate release;
  counter started;
  auto work = [&](const int& x) {
    started.add();
    release.wait();
    return x;
  };
  auto stream = tm.as_completed(
      make_gather(on_threads(work), std::views::iota(0, 1000), {.concurrency = 2}), 3);
  REQUIRE(stream);
  auto none = stream->next(20ms);
  REQUIRE_FALSE(none);
  CHECK(is(none.error(), errc::wait_timeout));
  release.open();
  // Unread outcomes hold the gather back: with 3 unread it draws no more, and the 2 it had
  // drawn before that end too; nothing more happens until someone reads.
  CHECK(poll_until([&] { return tm.metrics()->gathers.at(0).done() == 4; }));
  CHECK(tm.metrics()->gathers.at(0).started == 4);
  int read = 0;
  while (auto next = stream->next(10s)) {
    if (!*next)
      break;
    ++read;
  }
  CHECK(read == 1000);
}

TEST_CASE("gather (facade): destroying a stream cancels its gather", "[facade][gather]") {
  task_manager tm{quiet()};
  {
    auto stream =
        tm.as_completed(make_gather([](async_context& ctx, const int&) { return ctx.pending(); },
                                    std::vector<int>(4, 0), {.id = "abandoned"}));
    REQUIRE(stream);
    REQUIRE(poll_until([&] { return tm.metrics()->running() == 4; }));
  }
  CHECK(poll_until([&] { return tm.metrics()->gathers.empty(); }));
  CHECK(tm.status("abandoned/2")->state == task_state::cancelled);
}

TEST_CASE("gather (facade): cancel_gather ends a running gather", "[facade][gather]") {
  task_manager tm{quiet()};
  auto stream =
      tm.as_completed(make_gather([](async_context& ctx, const int&) { return ctx.pending(); },
                                  std::vector<int>(3, 0), {.id = "stuck"}));
  REQUIRE(stream);
  REQUIRE(poll_until([&] { return tm.metrics()->running() == 3; }));
  auto stats = tm.cancel_gather("stuck");
  REQUIRE(stats);
  CHECK(stats->id == "stuck");
  int cancelled = 0;
  while (auto next = stream->next(10s)) {
    if (!*next)
      break;
    cancelled += (*next)->state == task_state::cancelled ? 1 : 0;
  }
  CHECK(cancelled == 3);
  CHECK(is(stream->result()->stop_reason, errc::cancelled));
  auto unknown = tm.cancel_gather("stuck");
  REQUIRE_FALSE(unknown);
  CHECK(is(unknown.error(), errc::unknown_task));
}

TEST_CASE("gather (facade): a million lazy inputs in flat memory", "[facade][gather]") {
#if defined(__SANITIZE_THREAD__)
  constexpr int total = 20'000; // ThreadSanitizer slows every message down: same checks, fewer.
#elif defined(__SANITIZE_ADDRESS__)
  constexpr int total = 100'000; // Sanitized builds run fewer, with the same checks.
#else
  constexpr int total = 1'000'000;
#endif
  auto cfg = quiet(64);
  cfg.retain_count = 100;
  task_manager tm{cfg};
  std::atomic<int> drawn{0};
  std::atomic<int> ended{0};
  std::atomic<int> ahead{0};
  auto gen = [&]() -> std::optional<int> {
    auto a = drawn.load() - ended.load();
    if (a > ahead.load())
      ahead = a;
    if (drawn.load() == total)
      return std::nullopt;
    return drawn++;
  };
  auto body = [&](const int& x) {
    ++ended;
    return x;
  };
  auto stream = tm.as_completed(make_gather(body, from_generator(gen), {.concurrency = 64}), 64);
  REQUIRE(stream);
  long long sum = 0;
  int n = 0;
  while (auto next = stream->next(30s)) {
    if (!*next)
      break;
    sum += *(*next)->get<int>();
    ++n;
  }
  CHECK(n == total);
  CHECK(sum == static_cast<long long>(total) * (total - 1) / 2);
  // Never more than the bound plus the unread outcomes ahead of the tasks that ended.
  CHECK(ahead.load() <= 64 + 64);
  auto m = tm.metrics();
  REQUIRE(m);
  CHECK(m->retained <= 100);
  CHECK(m->count(task_kind::async, task_state::completed) == total);
}
