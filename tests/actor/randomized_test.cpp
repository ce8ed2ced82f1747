#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>

#include "manager_env.hpp"
#include "taskactors/errc.hpp"

using namespace taskactors;
using namespace taskactors::test;
using namespace std::chrono_literals;

// A seeded storm of tasks with random latencies, failures, timeouts, deadlines, cancels and
// quota changes on the deterministic scheduler. Whatever happens, every admitted task must end
// in exactly one terminal state, and after the drain every token is back and no actor is left.
TEST_CASE("manager: a randomized storm of 12,000 tasks loses nothing and leaks nothing",
          "[actor][slow]") {
  constexpr int task_count = 12'000;
  auto seed = GENERATE(1u, 2u);
  INFO("seed " << seed);
  std::mt19937 rng{seed};
  auto chance = [&](double p) { return std::uniform_real_distribution<>{0, 1}(rng) < p; };
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<>{lo, hi}(rng); };

  auto cfg = small_config(16);
  cfg.max_queue = task_count;
  cfg.retain_count = task_count;
  manager_env env{cfg};

  std::map<task_id, int> exits; // exit hooks run per task: must never exceed one
  std::vector<task_id> admitted;
  std::size_t rejected = 0;
  int submitted = 0;
  auto now = [&] { return env.sys().clock().now(); };
  while (submitted < task_count || env.metrics().in_flight() > 0) {
    // A burst of submissions.
    for (int i = 0, burst = pick(0, 150); i < burst && submitted < task_count; ++i, ++submitted) {
      submit_options opts;
      if (chance(0.2))
        opts.id = "job-" + std::to_string(pick(0, task_count)); // duplicates get rejected
      if (chance(0.2))
        opts.timeout = std::chrono::milliseconds{pick(1, 60)};
      if (chance(0.1))
        opts.deadline = now() + std::chrono::milliseconds{pick(-5, 80)};
      auto latency = std::chrono::milliseconds{pick(0, 50)};
      auto fate = pick(0, 9);
      auto body = [&exits, latency, fate](async_context& ctx) {
        ctx.on_exit([&exits, id = ctx.id()](const caf::error&) { ++exits[id]; });
        if (fate == 0)
          throw std::runtime_error("thrown at start");
        ctx.after(latency, [&ctx, fate] {
          if (fate == 1)
            ctx.fail("failed on purpose");
          else if (fate == 2)
            throw std::runtime_error("thrown in a timer");
          else
            ctx.complete(fate);
        });
        return ctx.pending();
      };
      auto id = env.submit(std::move(body), opts);
      if (id)
        admitted.push_back(*id);
      else
        ++rejected;
    }
    // Random cancels of anything admitted so far, live or finished.
    for (int i = 0, n = pick(0, 10); i < n && !admitted.empty(); ++i)
      env.self()->send(
          env.mgr, cancel_atom::value,
          admitted[static_cast<std::size_t>(pick(0, static_cast<int>(admitted.size()) - 1))]);
    if (chance(0.05))
      env.self()->send(env.mgr, resize_atom::value, quota::global,
                       static_cast<std::size_t>(pick(1, 32)));
    env.advance(std::chrono::milliseconds{pick(1, 3)});
    while (env.has_message()) // drop the answers to the cancels and resizes
      env.self()->receive([](task_info&) {}, [](limiter_stats&) {}, [](caf::error&) {});
  }

  auto report = env.shutdown(shutdown_mode::drain, 10s);
  auto& m = report.metrics;
  CHECK(m.submitted == admitted.size());
  CHECK(m.rejected == rejected);
  CHECK(m.finished() == admitted.size());
  CHECK(m.in_flight() == 0);
  CHECK(m.live_actors == 0);
  CHECK(report.clean());
  for (auto& lim : m.limiters) {
    CHECK(lim.borrowed == 0);
    CHECK(lim.waiting == 0);
  }
  std::set<task_id> unique{admitted.begin(), admitted.end()};
  CHECK(unique.size() == admitted.size());
  for (auto& [id, n] : exits)
    CHECK(n == 1);
  // Every outcome was reached, so the storm exercised every path.
  CHECK(m.total(task_state::completed) > 0);
  CHECK(m.total(task_state::failed) > 0);
  CHECK(m.total(task_state::cancelled) > 0);
  CHECK(m.total(task_state::timeout) > 0);
  CHECK(m.late_cancels > 0);
  CHECK(env.running_actors() == 0);
}
