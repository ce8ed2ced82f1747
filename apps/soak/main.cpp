// taskactors-soak: a seeded chaos run that checks the runtime's promises.
//
// A mix of async, thread and process tasks with random latencies, failures, exceptions and
// timeouts; cancels at random moments; worker jobs that crash, hang and exceed their memory limit;
// SIGKILL of random busy workers from outside; then a flood of submissions past `max_queue`. At
// the end it checks that every admitted task ended in exactly one terminal state and was answered
// exactly once, that every token came back, and that no thread, actor or worker process outlived
// the shutdown. Exits non-zero on any violation.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include "cli.hpp"
#include "soak.hpp"
#include "taskactors/config_loader.hpp"
#include "taskactors/taskactors.hpp"

using namespace taskactors;
using namespace soak;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

struct options {
  std::size_t tasks = 20'000;
  uint64_t seed = 1;
  std::size_t window = 256;
  std::size_t flood = 20'000;
  double kill_interval_ms = 40;
  apps::config_options config;
};

// The command line; returns an exit code when the soak is to stop now (--help, a bad option).
std::optional<int> parse(int argc, char** argv, options& opts) {
  CLI::App app{"taskactors-soak: a seeded chaos run that checks the runtime's promises",
               "taskactors-soak"};
  app.add_option("--tasks", opts.tasks, "mixed tasks to run")->capture_default_str();
  app.add_option("--seed", opts.seed, "seed of every random choice")->capture_default_str();
  app.add_option("--window", opts.window, "tasks in flight at once")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--flood", opts.flood, "submissions of the overload phase (0: none)")
      ->capture_default_str();
  app.add_option("--kill-every", opts.kill_interval_ms,
                 "SIGKILL a busy worker this often, in ms (0: never)")
      ->type_name("MS")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  apps::add_config_options(app, opts.config);
  return apps::parse(app, argc, argv);
}

struct tally {
  std::vector<uint8_t> answers; // per task: how many answers came
  std::map<task_state, std::size_t> states;
  std::size_t errors = 0;       // requests answered with an error (not admitted)
  std::size_t not_terminal = 0; // answers that were not terminal
  std::size_t cancels_sent = 0;
};

} // namespace

int main(int argc, char** argv) {
  options opts;
  if (auto rc = parse(argc, argv, opts))
    return *rc;

  // Baselines, after a first small cycle: anything started once per process (a sanitizer's
  // helper thread, say) is counted in, and anything of the runtime is gone again.
  {
    manager_config warmup;
    warmup.log = make_null_sink();
    task_manager tm{warmup};
    tm.run(async_task([] { return 1; }));
  }
  auto threads_before = threads_in_process();
  auto children_before = child_processes();

  manager_config defaults;
  defaults.global_quota = 64;
  defaults.thread_quota = 16;
  defaults.process_quota = 2;
  defaults.max_queue = opts.window + 1000;
  defaults.retain_count = 1000;
  defaults.log = make_null_sink();
  std::error_code ec;
  auto self_path = std::filesystem::read_symlink("/proc/self/exe", ec);
  for (auto dir : {self_path.parent_path(), self_path.parent_path().parent_path() / "worker"})
    if (!ec && ::access((dir / "taskactors-worker").c_str(), X_OK) == 0) {
      defaults.workers.executable = (dir / "taskactors-worker").string();
      break;
    }
  defaults.workers.args = {"--test-jobs"};
  defaults.workers.kill_grace = 100ms;
  defaults.workers.max_rss = 256u << 20;
  defaults.workers.rss_interval = 20ms;
  defaults.workers.restart_intensity = 100'000;
  defaults.workers.restart_period = 1s;
  auto cfg = load_config(opts.config.sources(), defaults);
  if (!cfg) {
    std::fprintf(stderr, "configuration: %s\n", render(cfg.error()).c_str());
    return 2;
  }
  bool processes = !cfg->workers.executable.empty();

  auto started = std::chrono::steady_clock::now();
  tally t;
  t.answers.assign(opts.tasks, 0);
  std::size_t flood_accepted = 0;
  std::size_t flood_rejected = 0;
  std::size_t flood_other = 0;
  double rss_start = 0;
  double rss_peak = 0;
  double rss_flood = 0;
  std::size_t kills = 0;
  std::size_t actors_before = 0;
  std::size_t actors_after = 0;
  std::optional<shutdown_report> report;
  manager_metrics final_metrics;
  {
    caf::actor_system_config sys_cfg;
    sys_cfg.set("scheduler.max-threads", static_cast<std::size_t>(cpu_count()));
    sys_cfg.set("scheduler.max-throughput", std::size_t{300});
    caf::actor_system sys{sys_cfg};
    actors_before = sys.registry().running();
    {
      task_manager tm{sys, *cfg};
      rss_start = rss_mb();
      auto mgr = tm.actor();

      // SIGKILL of random busy workers, from outside the runtime.
      std::atomic<bool> stop_killer{false};
      std::jthread killer{[&] {
        if (!processes || opts.kill_interval_ms <= 0)
          return;
        std::mt19937_64 krng{opts.seed ^ 0x5eed};
        auto interval = std::chrono::duration<double, std::milli>{opts.kill_interval_ms};
        while (!stop_killer.load()) {
          std::this_thread::sleep_for(interval);
          // A worker, busy or idle, dies at a moment of nobody's choosing.
          auto workers = child_pids();
          if (workers.empty())
            continue;
          if (::kill(workers[krng() % workers.size()], SIGKILL) == 0)
            ++kills;
        }
      }};

      // The mix: `window` tasks in flight, each answered once; cancels at random moments.
      std::promise<void> finished;
      auto driver = [&](caf::event_based_actor* self, std::size_t total) -> caf::behavior {
        auto rng = std::make_shared<std::mt19937_64>(opts.seed);
        auto next_index = std::make_shared<std::size_t>(0);
        auto done = std::make_shared<std::size_t>(0);
        auto live = std::make_shared<std::vector<std::size_t>>();
        // The pending requests own the continuation; it refers to itself weakly (no cycle).
        auto launch = std::make_shared<std::function<void()>>();
        std::weak_ptr<std::function<void()>> weak = launch;
        *launch = [=, &t, &finished, &rss_peak] {
          auto again = weak.lock();
          if (!again || *next_index >= total)
            return;
          auto index = (*next_index)++;
          live->push_back(index);
          self->request(mgr, caf::infinite, run_atom::value, make_task(*rng, index, processes))
              .then(
                  [=, &t, &finished, &rss_peak](task_info& info) {
                    ++t.answers[index];
                    if (!info.terminal())
                      ++t.not_terminal;
                    ++t.states[info.state];
                    std::erase(*live, index);
                    // Now and then, cancel a random task still in flight.
                    if (!live->empty() && (*rng)() % 100 < 4) {
                      auto victim = (*live)[(*rng)() % live->size()];
                      caf::anon_send(mgr, cancel_atom::value, fmt::format("c-{}", victim));
                      ++t.cancels_sent;
                    }
                    if (++*done % 1000 == 0)
                      rss_peak = std::max(rss_peak, rss_mb());
                    if (*done == total) {
                      finished.set_value();
                      self->quit();
                      return;
                    }
                    (*again)();
                  },
                  [=, &t, &finished](caf::error&) {
                    ++t.answers[index];
                    ++t.errors;
                    std::erase(*live, index);
                    if (++*done == total) {
                      finished.set_value();
                      self->quit();
                      return;
                    }
                    (*again)();
                  });
        };
        for (std::size_t i = 0; i < std::min(opts.window, total); ++i)
          (*launch)();
        return {[](caf::unit_t) {}};
      };
      if (opts.tasks > 0) {
        sys.spawn(driver, opts.tasks);
        finished.get_future().wait();
      }
      stop_killer = true;
      killer.join();

      // Overload: submissions far past max_queue, as fast as they come.
      if (opts.flood > 0) {
        std::promise<void> flooded;
        auto flooder = [&](caf::event_based_actor* self, std::size_t total) -> caf::behavior {
          auto answered = std::make_shared<std::size_t>(0);
          for (std::size_t i = 0; i < total; ++i)
            self->request(mgr, caf::infinite, submit_atom::value,
                          async_task([](async_context& ctx) {
                            ctx.after(5ms, [&ctx] { ctx.complete(); });
                            return ctx.pending();
                          }))
                .then(
                    [=, &flood_accepted, &flooded](task_id&) {
                      ++flood_accepted;
                      if (++*answered == total) {
                        flooded.set_value();
                        self->quit();
                      }
                    },
                    [=, &flood_rejected, &flood_other, &flooded](caf::error& err) {
                      if (is(err, errc::queue_full))
                        ++flood_rejected;
                      else
                        ++flood_other;
                      if (++*answered == total) {
                        flooded.set_value();
                        self->quit();
                      }
                    });
          return {[](caf::unit_t) {}};
        };
        sys.spawn(flooder, opts.flood);
        flooded.get_future().wait();
        rss_flood = rss_mb();
        settle([&] { return tm.metrics()->in_flight() == 0; }, 60s);
      }
      if (auto m = tm.metrics())
        final_metrics = *m;
      if (auto r = tm.shutdown(shutdown_mode::drain, 30s))
        report = *r;
    }
    settle([&] { return sys.registry().running() <= actors_before; });
    actors_after = sys.registry().running();
  }
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  bool threads_ok = settle([&] { return threads_in_process() <= threads_before; });
  bool children_ok = settle([&] { return child_processes() <= children_before; });

  // -- checks ------------------------------------------------------------------------------------
  std::vector<std::string> violations;
  std::size_t never = 0;
  std::size_t twice = 0;
  for (auto a : t.answers) {
    never += a == 0 ? 1 : 0;
    twice += a > 1 ? 1 : 0;
  }
  if (never > 0 || twice > 0)
    violations.push_back(
        fmt::format("{} tasks never answered, {} answered more than once", never, twice));
  if (t.not_terminal > 0)
    violations.push_back(fmt::format("{} answers were not terminal", t.not_terminal));
  if (t.errors > 0)
    violations.push_back(fmt::format("{} tasks of the mix were not admitted", t.errors));
  auto m = report ? report->metrics : final_metrics;
  for (auto state :
       {task_state::completed, task_state::failed, task_state::cancelled, task_state::timeout}) {
    auto mix = t.states[state];
    auto counted = m.total(state);
    // The flood's tasks complete too.
    auto expected = mix + (state == task_state::completed ? flood_accepted : 0);
    if (counted != expected)
      violations.push_back(fmt::format("{}: the manager counts {}, the answers say {}",
                                       to_string(state), counted, expected));
  }
  if (m.submitted != opts.tasks - t.errors + flood_accepted)
    violations.push_back(fmt::format("submitted {} != admitted {}", m.submitted,
                                     opts.tasks - t.errors + flood_accepted));
  if (m.pending() != 0 || m.running() != 0)
    violations.push_back(
        fmt::format("{} pending and {} running at the end", m.pending(), m.running()));
  if (!report) {
    violations.push_back("shutdown did not answer");
  } else {
    if (report->leaked_tokens() != 0)
      violations.push_back(fmt::format("{} tokens not returned", report->leaked_tokens()));
    for (auto& lim : report->metrics.limiters)
      if (lim.borrowed != 0)
        violations.push_back(
            fmt::format("quota.{} ends with {} tokens out", lim.name, lim.borrowed));
    if (!report->stragglers.empty())
      violations.push_back(fmt::format("{} stragglers", report->stragglers.size()));
  }
  if (opts.flood > 0 && flood_rejected == 0 && flood_accepted + flood_rejected < opts.flood)
    violations.push_back("the flood was neither admitted nor refused");
  if (flood_other > 0)
    violations.push_back(
        fmt::format("{} flood submissions refused for another reason", flood_other));
  if (m.rejected != flood_rejected + t.errors)
    violations.push_back(fmt::format("the manager counts {} rejections, the flood saw {}",
                                     m.rejected, flood_rejected));
  if (actors_after > actors_before)
    violations.push_back(
        fmt::format("{} actors outlived the shutdown", actors_after - actors_before));
  if (!threads_ok)
    violations.push_back(
        fmt::format("{} threads left, {} before", threads_in_process(), threads_before));
  if (!children_ok)
    violations.push_back(
        fmt::format("{} child processes left", child_processes() - children_before));

  std::printf("taskactors-soak: %zu mixed tasks, seed %llu, %.1f s\n", opts.tasks,
              static_cast<unsigned long long>(opts.seed), elapsed);
  std::printf(
      "  answers: completed %zu, failed %zu, cancelled %zu, timeout %zu (cancels sent %zu)\n",
      t.states[task_state::completed], t.states[task_state::failed],
      t.states[task_state::cancelled], t.states[task_state::timeout], t.cancels_sent);
  std::printf("  by kind: async %zu, thread %zu, process %zu; workers started %zu, crashed %zu, "
              "killed %zu; SIGKILLs from outside %zu\n",
              m.count(task_kind::async, task_state::completed) +
                  m.count(task_kind::async, task_state::failed) +
                  m.count(task_kind::async, task_state::cancelled) +
                  m.count(task_kind::async, task_state::timeout),
              m.count(task_kind::thread, task_state::completed) +
                  m.count(task_kind::thread, task_state::failed) +
                  m.count(task_kind::thread, task_state::cancelled) +
                  m.count(task_kind::thread, task_state::timeout),
              m.count(task_kind::process, task_state::completed) +
                  m.count(task_kind::process, task_state::failed) +
                  m.count(task_kind::process, task_state::cancelled) +
                  m.count(task_kind::process, task_state::timeout),
              m.processes.started, m.processes.crashed, m.processes.killed, kills);
  std::printf("  flood: %zu submitted, %zu admitted, %zu refused with queue_full (max_queue %zu)\n",
              opts.flood, flood_accepted, flood_rejected, cfg->max_queue);
  std::printf("  memory: RSS %.1f MB at start, %.1f MB peak during the mix, %.1f MB after the "
              "flood\n",
              rss_start, std::max(rss_peak, rss_start), rss_flood);
  std::printf("  after shutdown: %zu actors, %d threads (%d before), %d child processes\n",
              actors_after - std::min(actors_after, actors_before), threads_in_process(),
              threads_before, child_processes());
  for (auto& v : violations)
    std::printf("VIOLATION: %s\n", v.c_str());
  std::printf("%s: %zu violations\n", violations.empty() ? "OK" : "FAILED", violations.size());
  return violations.empty() ? 0 : 1;
}
