// taskactors-demo: an AI-agent-style workload on the task runtime.
//
// A few hundred simulated LLM calls (async tasks with random latency), blocking tool calls
// (thread tasks), CPU-bound scoring jobs (process tasks in `taskactors-worker`), one gather over
// document chunks, and a few tasks cancelled and timed out on purpose. A live progress display,
// then a summary per kind and state, latency percentiles, peak tokens against each quota and the
// workers' restarts. Exits non-zero if a task was lost, a token leaked or something did not end
// as designed.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "stats.hpp"
#include "taskactors/config_loader.hpp"
#include "taskactors/taskactors.hpp"

using namespace taskactors;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

struct options {
  int tasks = 300;
  unsigned seed = 42;
  bool json = false;
  apps::config_options config;
};

// The command line; returns an exit code when the demo is to stop now (--help, a bad option).
std::optional<int> parse(int argc, char** argv, options& opts) {
  CLI::App app{"taskactors-demo: an AI-agent-style workload on the task runtime",
               "taskactors-demo"};
  app.add_option("--tasks", opts.tasks,
                 "simulated LLM calls; blocking tool calls and scoring jobs scale with it")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--seed", opts.seed, "random seed for latencies and failures")
      ->capture_default_str();
  app.add_flag("--json", opts.json, "print the summary as JSON on stdout");
  apps::add_config_options(app, opts.config);
  return apps::parse(app, argc, argv);
}

// The worker next to this program (installed layout), or the one of the build tree.
std::string find_worker() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (auto candidate : {self.parent_path() / "taskactors-worker",
                           self.parent_path().parent_path() / "worker" / "taskactors-worker"})
      if (::access(candidate.c_str(), X_OK) == 0)
        return candidate.string();
  }
  return {};
}

// A simulated LLM call: waits `latency` on its own actor, then answers or fails.
auto llm_call(milliseconds latency, bool api_error, int prompt) {
  return [latency, api_error, prompt](async_context& ctx) {
    ctx.after(latency, [&ctx, api_error, prompt] {
      if (api_error)
        ctx.fail("simulated API error: 503 model overloaded");
      else
        ctx.complete(fmt::format("answer to prompt {} ({} tokens)", prompt, 40 + prompt % 200));
    });
    return ctx.pending();
  };
}

// A simulated blocking tool call (a database query, a legacy SDK): blocks its thread for
// `duration`, in slices so that it notices a cancellation.
auto tool_call(milliseconds duration, int n) {
  return [duration, n](std::stop_token stop) -> caf::expected<int> {
    auto until = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < until) {
      if (stop.stop_requested())
        return caf::make_error(errc::cancelled, "tool call stopped");
      std::this_thread::sleep_for(5ms);
    }
    return n * 7;
  };
}

// A latency for the JSON summary: milliseconds to a tenth.
double rounded(double ms) {
  return std::round(ms * 10) / 10;
}

constexpr std::array<task_kind, 3> kinds{task_kind::async, task_kind::thread, task_kind::process};
constexpr std::array<task_state, 4> ends{task_state::completed, task_state::failed,
                                         task_state::cancelled, task_state::timeout};

std::string progress_line(const manager_metrics& m) {
  std::string line;
  for (auto kind : kinds) {
    std::size_t done = 0;
    for (auto s : ends)
      done += m.count(kind, s);
    line += fmt::format("{} {} done {} run {} wait | ", to_string(kind), done,
                        m.count(kind, task_state::running), m.count(kind, task_state::pending));
  }
  line += "tokens";
  for (auto& lim : m.limiters)
    line += fmt::format(" {} {}/{}", lim.name, lim.borrowed, lim.capacity);
  for (auto& g : m.gathers)
    line += fmt::format(" | gather {} {}/{}", g.id, g.done(), g.started);
  return line;
}

struct kind_summary {
  std::map<task_state, std::size_t> states;
  std::vector<double> latencies_ms;
  std::size_t total = 0;
};

} // namespace

int main(int argc, char** argv) {
  options opts;
  if (auto rc = parse(argc, argv, opts))
    return *rc;

  // Embedded defaults; a file, TASKACTORS_* variables and --set override them.
  manager_config defaults;
  defaults.retain_count = static_cast<std::size_t>(opts.tasks) * 2 + 500;
  defaults.workers.executable = find_worker();
  defaults.workers.kill_grace = 500ms;
  defaults.log = make_stderr_sink(log_level::error);
  auto cfg = load_config(opts.config.sources(), defaults);
  if (!cfg) {
    std::fprintf(stderr, "configuration: %s\n", render(cfg.error()).c_str());
    return 2;
  }
  auto started = std::chrono::steady_clock::now();
  auto tm = task_manager::start(*cfg);
  if (!tm) {
    std::fprintf(stderr, "start: %s\n", render(tm.error()).c_str());
    return 2;
  }
  auto quotas = cfg->quotas();
  bool processes = !cfg->workers.executable.empty();
  int tools = std::max(1, opts.tasks / 10);
  int jobs = processes ? std::max(1, opts.tasks / 15) : 0;
  std::fprintf(opts.json ? stderr : stdout,
               "taskactors demo: %d LLM calls, %d tool calls, %d scoring jobs, 1 gather; "
               "quota.global=%zu quota.thread=%zu quota.process=%zu, seed=%u\n",
               opts.tasks, tools, jobs, quotas.global, quotas.thread, quotas.process, opts.seed);
  if (!processes)
    std::fprintf(stderr, "note: process tasks are off (workers.executable is empty): no scoring "
                         "jobs\n");

  std::mt19937 rng{opts.seed};
  std::lognormal_distribution<double> latency_ms{std::log(150.0), 0.6};
  std::uniform_real_distribution<double> unit{0, 1};
  std::vector<task_id> ids;
  std::vector<task_id> to_cancel;
  std::size_t expected_timeouts = 0;
  auto submit = [&](task_spec spec) -> bool {
    auto id = tm->submit(std::move(spec));
    if (!id) {
      std::fprintf(stderr, "submit failed: %s\n", render(id.error()).c_str());
      return false;
    }
    ids.push_back(*id);
    return true;
  };

  // LLM calls: async tasks. Every 40th is a slow call with a budget it cannot meet; every 50th
  // is cancelled by the user a moment later; 3% fail.
  for (int i = 0; i < opts.tasks; ++i) {
    auto latency = milliseconds{std::clamp(static_cast<int>(latency_ms(rng)), 10, 1500)};
    submit_options sub;
    sub.id = fmt::format("llm-{:04}", i);
    if (i % 40 == 7) {
      latency = 3s;
      sub.timeout = 400ms;
      ++expected_timeouts;
    }
    if (!submit(async_task(llm_call(latency, unit(rng) < 0.03, i), sub)))
      return 1;
    if (i % 50 == 3)
      to_cancel.push_back(sub.id);
  }
  // Blocking tool calls: thread tasks. The first one overruns its 50 ms budget.
  for (int i = 0; i < tools; ++i) {
    submit_options sub;
    sub.id = fmt::format("tool-{:03}", i);
    auto duration = milliseconds{20 + static_cast<int>(unit(rng) * 100)};
    if (i == 0) {
      duration = 2s;
      sub.timeout = 50ms;
      ++expected_timeouts;
    }
    if (!submit(thread_task(tool_call(duration, i), sub)))
      return 1;
    if (i == 1)
      to_cancel.push_back(sub.id);
  }
  // Scoring jobs: CPU-bound, in worker processes.
  for (int i = 0; i < jobs; ++i) {
    submit_options sub;
    sub.id = fmt::format("score-{:03}", i);
    if (!submit(process_task(call<double>("score", fmt::format("candidate answer {}", i)), sub)))
      return 1;
  }
  // One gather: embed 64 document chunks, 16 at a time, each within 1 s, starts jittered.
  std::optional<caf::expected<gather_result>> gathered; // read after the thread is joined
  std::atomic<bool> gather_done{false};
  std::jthread gather_thread{[&] {
    auto embed = [](async_context& ctx, const int& chunk) {
      ctx.after(milliseconds{20 + chunk % 7 * 10}, [&ctx, chunk] { ctx.complete(chunk * 3); });
      return ctx.pending();
    };
    std::vector<int> chunks(64);
    for (int i = 0; i < 64; ++i)
      chunks[i] = i;
    gathered = tm->gather(
        embed, chunks,
        {.id = "embed", .concurrency = 16, .task_timeout = 1s, .jitter = 5ms, .seed = opts.seed});
    gather_done.store(true, std::memory_order_release);
  }};

  bool tty = isatty(STDOUT_FILENO) != 0 && !opts.json;
  bool cancelled_yet = false;
  std::size_t peak_running = 0;
  auto last_line = std::chrono::steady_clock::now() - 1h;
  for (;;) {
    auto m = tm->metrics();
    if (!m) {
      std::fprintf(stderr, "\nmetrics failed: %s\n", render(m.error()).c_str());
      return 1;
    }
    peak_running = std::max(peak_running, m->running());
    auto now = std::chrono::steady_clock::now();
    if (tty) {
      std::printf("\r\033[K%s", progress_line(*m).c_str());
      std::fflush(stdout);
    } else if (now - last_line >= 1s) {
      std::fprintf(opts.json ? stderr : stdout, "%s\n", progress_line(*m).c_str());
      last_line = now;
    }
    if (m->in_flight() == 0 && m->gathers.empty() && gather_done.load(std::memory_order_acquire))
      break;
    if (!cancelled_yet && now - started > 200ms) {
      // The user changes their mind about a few requests.
      for (auto& id : to_cancel)
        tm->cancel(id);
      cancelled_yet = true;
    }
    std::this_thread::sleep_for(100ms); // pacing the display, not a wait on work
  }
  gather_thread.join();
  if (tty)
    std::printf("\n");

  std::map<task_kind, kind_summary> per_kind;
  std::size_t lost = 0;
  for (auto& id : ids) {
    auto info = tm->wait(id, 10s);
    if (!info || !info->terminal()) {
      ++lost;
      continue;
    }
    auto& k = per_kind[info->kind];
    ++k.total;
    ++k.states[info->state];
    if (info->state == task_state::completed)
      k.latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(info->finished_at - info->submitted_at)
              .count());
  }
  std::size_t gather_ok = 0;
  std::size_t gather_outcomes = 0;
  if (gathered && *gathered) {
    gather_outcomes = (*gathered)->outcomes.size();
    gather_ok = (*gathered)->stats.completed;
  }
  auto m = tm->metrics();
  auto report = tm->shutdown(shutdown_mode::drain, 5s);
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
  auto ms = [](caf::timespan x) { return std::chrono::duration<double, std::milli>(x).count(); };

  bool ok = true;
  std::vector<std::string> problems;
  if (lost > 0)
    problems.push_back(fmt::format("{} tasks did not reach a terminal state", lost));
  if (!report)
    problems.push_back(fmt::format("shutdown: {}", render(report.error())));
  else if (!report->clean())
    problems.push_back(fmt::format("{} tokens leaked, {} stragglers", report->leaked_tokens(),
                                   report->stragglers.size()));
  std::size_t timeouts = 0;
  for (auto& [kind, k] : per_kind)
    timeouts += k.states[task_state::timeout];
  if (timeouts < expected_timeouts)
    problems.push_back(
        fmt::format("expected at least {} timeouts, saw {}", expected_timeouts, timeouts));
  if (!gathered || !*gathered)
    problems.push_back("the gather did not answer");
  else if (gather_outcomes != 64)
    problems.push_back(
        fmt::format("the gather returned {} outcomes for 64 inputs", gather_outcomes));
  ok = problems.empty();

  if (opts.json) {
    auto out = nlohmann::ordered_json::object();
    auto& kinds_out = out["kinds"] = nlohmann::ordered_json::object();
    for (auto kind : kinds) {
      auto& k = per_kind[kind];
      auto& entry = kinds_out[std::string{to_string(kind)}];
      entry["total"] = k.total;
      for (auto s : ends)
        entry[std::string{to_string(s)}] = k.states[s];
      entry["p50_ms"] = rounded(apps::percentile(k.latencies_ms, 0.5));
      entry["p95_ms"] = rounded(apps::percentile(k.latencies_ms, 0.95));
      entry["p99_ms"] = rounded(apps::percentile(k.latencies_ms, 0.99));
    }
    auto& quotas_out = out["quotas"] = nlohmann::ordered_json::object();
    if (m)
      for (auto& lim : m->limiters)
        quotas_out[lim.name] = {{"peak", lim.peak_borrowed}, {"capacity", lim.capacity}};
    out["gather"] = {{"inputs", 64}, {"outcomes", gather_outcomes}, {"completed", gather_ok}};
    out["workers"] = {{"started", m ? m->processes.started : 0},
                      {"crashed", m ? m->processes.crashed : 0}};
    out["leaked_tokens"] = report ? report->leaked_tokens() : 0;
    out["lost_tasks"] = lost;
    out["wall_s"] = std::round(elapsed.count() * 1000) / 1000;
    out["ok"] = ok;
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("\n%-8s %9s %7s %9s %8s %6s   %8s %8s %8s\n", "kind", "completed", "failed",
                "cancelled", "timeout", "total", "p50 ms", "p95 ms", "p99 ms");
    for (auto kind : kinds) {
      auto& k = per_kind[kind];
      std::printf("%-8s %9zu %7zu %9zu %8zu %6zu   %8.0f %8.0f %8.0f\n",
                  std::string{to_string(kind)}.c_str(), k.states[task_state::completed],
                  k.states[task_state::failed], k.states[task_state::cancelled],
                  k.states[task_state::timeout], k.total, apps::percentile(k.latencies_ms, 0.5),
                  apps::percentile(k.latencies_ms, 0.95), apps::percentile(k.latencies_ms, 0.99));
    }
    std::printf("(latency: submission to result, completed tasks)\n\n");
    if (m) {
      for (auto& lim : m->limiters)
        std::printf("quota.%-8s peak %4zu of %4zu tokens; wait for a token p50 %.1f ms, p99 %.1f "
                    "ms\n",
                    lim.name.c_str(), lim.peak_borrowed, lim.capacity, ms(lim.wait_p50),
                    ms(lim.wait_p99));
      std::printf("workers: %zu started, %zu crashed, %zu recycled\n", m->processes.started,
                  m->processes.crashed, m->processes.recycled);
    }
    std::printf("gather 'embed': %zu outcomes for 64 chunks, %zu completed\n", gather_outcomes,
                gather_ok);
    std::printf("peak running tasks %zu; wall time %.2f s\n", peak_running, elapsed.count());
  }
  for (auto& p : problems)
    std::fprintf(stderr, "FAILED: %s\n", p.c_str());
  std::fprintf(opts.json ? stderr : stdout, "%s\n",
               ok ? "OK: every task reached exactly one terminal state; every token came back"
                  : "NOT OK");
  return ok ? 0 : 1;
}
