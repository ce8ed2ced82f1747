// taskactors-bench: the taskactors runs, through the manager's public API and from actor code.

#include <atomic>
#include <cstdio>
#include <ranges>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "bench.hpp"
#include "cpu_job.hpp"

using namespace taskactors;
using namespace std::chrono_literals;

namespace bench {

// -- taskactors -----------------------------------------------------------------------------------

row ta_spawn(std::size_t n) {
  auto cfg = base_config();
  cfg.retain_count = 1000;
  task_manager tm{cfg};
  auto mgr = tm.actor();
  auto t0 = clock_t_::now();
  pipeline(tm.system(), n, 256, [mgr](caf::event_based_actor* self, std::size_t, auto done) {
    self->request(mgr, caf::infinite, run_atom::value, async_task([] { return 1; }))
        .then([done](task_info&) { done(); }, [done](caf::error&) { done(); });
  });
  auto s = seconds_since(t0);
  return {"spawn", "taskactors", n, {{"seconds", s}, {"tasks_per_s", static_cast<double>(n) / s}}};
}

row ta_hold(std::size_t n, const std::string& workload) {
  auto cfg = base_config();
  cfg.global_quota = std::max<std::size_t>(n, 32);
  cfg.thread_quota = 16;
  cfg.process_quota = 1;
  cfg.max_queue = n + 10;
  cfg.retain_count = 10;
  task_manager tm{cfg};
  auto mgr = tm.actor();
  auto before = rss_kb();
  auto t0 = clock_t_::now();
  pipeline(tm.system(), n, 256, [mgr](caf::event_based_actor* self, std::size_t, auto done) {
    self->request(mgr, caf::infinite, submit_atom::value,
                  async_task([](async_context& ctx) { return ctx.pending(); }))
        .then([done](task_id&) { done(); }, [done](caf::error&) { done(); });
  });
  while (tm.metrics()->running() < n)
    std::this_thread::sleep_for(1ms); // until the last grant arrived
  auto create_s = seconds_since(t0);
  auto kb = (rss_kb() - before) / static_cast<double>(n);
  tm.shutdown(shutdown_mode::cancel, 30s);
  if (workload == "models")
    return {"models", "taskactors", n, {{"create_s", create_s}, {"rss_mb", kb * n / 1024}}};
  return {workload, "taskactors", n, {{"create_s", create_s}, {"kb_per_task", kb}}};
}

row ta_gather_io(std::size_t n) {
  auto cfg = base_config();
  cfg.global_quota = 256;
  task_manager tm{cfg};
  auto body = [](async_context& ctx, const std::size_t& x) {
    ctx.after(100ms, [&ctx, x] { ctx.complete(x); });
    return ctx.pending();
  };
  auto t0 = clock_t_::now();
  auto result = tm.gather(body, std::views::iota(std::size_t{0}, n), {.concurrency = 256});
  auto s = seconds_since(t0);
  auto ideal = static_cast<double>((n + 255) / 256) * 0.1;
  if (!result || !result->all_completed())
    std::fprintf(stderr, "gather-io: not every input completed\n");
  return {"gather-io",
          "taskactors",
          n,
          {{"seconds", s}, {"ideal_s", ideal}, {"efficiency", ideal / s}}};
}

// From actor code: a task tells the driver it runs, the driver cancels it and times the
// answer, which carries the terminal state.
row ta_cancel(std::size_t n) {
  auto cfg = base_config();
  task_manager tm{cfg};
  std::vector<double> us;
  std::promise<void> finished;
  auto mgr = tm.actor();
  auto driver = [&](caf::event_based_actor* self, std::size_t total) -> caf::behavior {
    auto me = caf::actor_cast<caf::actor>(self);
    auto start = [self, mgr, me] {
      auto body = [me](async_context& ctx) {
        caf::anon_send(me, ctx.id()); // "I run"
        return ctx.pending();
      };
      self->request(mgr, caf::infinite, submit_atom::value, async_task(body))
          .then([](task_id&) {}, [](caf::error&) {});
    };
    start();
    return {[=, &us, &finished](const task_id& id) {
      auto t0 = clock_t_::now();
      self->request(mgr, caf::infinite, cancel_atom::value, id)
          .then(
              [=, &us, &finished](task_info& info) {
                us.push_back(seconds_since(t0) * 1e6);
                if (info.state != task_state::cancelled)
                  std::fprintf(stderr, "cancel: not cancelled\n");
                if (us.size() == total) {
                  finished.set_value();
                  self->quit();
                } else {
                  start();
                }
              },
              [](caf::error&) {});
    }};
  };
  tm.system().spawn(driver, n);
  finished.get_future().wait();
  return {"cancel",
          "taskactors",
          n,
          {{"p50_us", percentile(us, 0.5)}, {"p99_us", percentile(us, 0.99)}}};
}

row ta_timeout(std::size_t n) {
  auto cfg = base_config();
  cfg.global_quota = std::max<std::size_t>(n, 32);
  cfg.thread_quota = 16;
  cfg.process_quota = 1;
  task_manager tm{cfg};
  std::vector<task_id> ids;
  for (std::size_t i = 0; i < n; ++i)
    ids.push_back(*tm.submit(
        [](async_context& ctx) {
          ctx.after(10s, [&ctx] { ctx.complete(); });
          return ctx.pending();
        },
        {.timeout = 50ms}));
  std::vector<double> ms;
  for (auto& id : ids) {
    auto info = tm.wait(id, 30s);
    if (info && info->state == task_state::timeout)
      ms.push_back(std::chrono::duration<double, std::milli>(info->finished_at - info->submitted_at)
                       .count() -
                   50.0);
  }
  return {"timeout",
          "taskactors",
          n,
          {{"p50_ms", percentile(ms, 0.5)}, {"p99_ms", percentile(ms, 0.99)}}};
}

std::optional<row> ta_cpu(std::size_t n) {
  if (opts.worker.empty())
    return std::nullopt;
  uint64_t iterations = opts.quick ? 5'000'000 : 250'000'000; // ~250 ms a job at full size
  auto t0 = clock_t_::now();
  uint64_t sink = 0;
  for (std::size_t i = 0; i < n; ++i)
    sink += apps::cpu_job(iterations);
  auto serial = seconds_since(t0);
  auto cfg = base_config();
  task_manager tm{cfg};
  tm.run_in_process(call<void>("noop"), 10s); // the workers are up
  t0 = clock_t_::now();
  std::vector<task_id> ids;
  for (std::size_t i = 0; i < n; ++i)
    ids.push_back(*tm.submit(process_task(call<uint64_t>("cpu", iterations))));
  for (auto& id : ids)
    if (auto info = tm.wait(id, 60s); info && info->value.get_if<uint64_t>())
      sink -= *info->value.get_if<uint64_t>();
  auto s = seconds_since(t0);
  auto lanes = std::min<std::size_t>({cpu_count(), n, cfg.quotas().process});
  auto cores = static_cast<double>(lanes);
  if (sink != 0)
    std::fprintf(stderr, "cpu: the workers computed something else\n");
  // What this machine gives plain threads running the same jobs, as many at once: on cores
  // that share execution units the runtime cannot do better than this.
  std::atomic<std::size_t> next{0};
  std::atomic<uint64_t> plain_sink{0};
  t0 = clock_t_::now();
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < lanes; ++i)
      threads.emplace_back([&] {
        while (next.fetch_add(1) < n)
          plain_sink += apps::cpu_job(iterations);
      });
  }
  auto plain = seconds_since(t0);
  return row{"cpu",
             "taskactors",
             n,
             {{"seconds", s},
              {"speedup", serial / s},
              {"efficiency", serial / s / cores},
              {"cores", cores},
              {"plain_threads_speedup", serial / plain},
              {"vs_plain_threads", plain / s}}};
}

std::optional<row> ta_proc_rt(std::size_t n) {
  if (opts.worker.empty())
    return std::nullopt;
  auto cfg = base_config();
  cfg.retain_count = 100;
  task_manager tm{cfg};
  tm.run_in_process(call<void>("noop"), 10s);
  std::vector<double> us;
  auto mgr = tm.actor();
  auto t0 = std::make_shared<clock_t_::time_point>();
  pipeline(tm.system(), n, 1, [mgr, t0, &us](caf::event_based_actor* self, std::size_t, auto done) {
    *t0 = clock_t_::now();
    self->request(mgr, caf::infinite, run_atom::value, process_task(call<void>("noop")))
        .then(
            [done, t0, &us](task_info&) {
              us.push_back(seconds_since(*t0) * 1e6);
              done();
            },
            [done](caf::error&) { done(); });
  });
  return row{"proc-rt",
             "taskactors",
             n,
             {{"p50_us", percentile(us, 0.5)}, {"p99_us", percentile(us, 0.99)}}};
}

row ta_thread_rt(std::size_t n) {
  auto cfg = base_config();
  cfg.retain_count = 100;
  task_manager tm{cfg};
  std::vector<double> us;
  auto mgr = tm.actor();
  auto t = std::make_shared<clock_t_::time_point>();
  auto t0 = clock_t_::now();
  pipeline(tm.system(), n, 1, [mgr, t, &us](caf::event_based_actor* self, std::size_t, auto done) {
    *t = clock_t_::now();
    self->request(mgr, caf::infinite, run_atom::value, thread_task([] { return 1; }))
        .then(
            [done, t, &us](task_info&) {
              us.push_back(seconds_since(*t) * 1e6);
              done();
            },
            [done](caf::error&) { done(); });
  });
  auto s = seconds_since(t0);
  return {"thread-rt",
          "taskactors",
          n,
          {{"p50_us", percentile(us, 0.5)},
           {"p99_us", percentile(us, 0.99)},
           {"per_s", static_cast<double>(n) / s}}};
}

} // namespace bench
