// taskactors-demo: an AI-agent-style workload on the task runtime.
//
// A few hundred simulated LLM calls (async tasks with random latency), some of them failing,
// some cancelled on purpose and some running into their timeout; a live progress line; then a
// summary per state, latency percentiles and peak token use against the quota. Exits non-zero if
// a task was lost or a token leaked.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "taskactors/taskactors.hpp"

using namespace taskactors;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

struct options {
  int tasks = 300;
  unsigned seed = 42;
};

int usage(const char* self, int rc) {
  std::fprintf(rc == 0 ? stdout : stderr,
               "usage: %s [--tasks N] [--seed S]\n"
               "  --tasks N   simulated LLM calls to run (default 300, 1..100000)\n"
               "  --seed S    random seed for latencies and failures (default 42)\n",
               self);
  return rc;
}

bool parse(int argc, char** argv, options& opts) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (arg == "--tasks") {
      auto v = value();
      char* end = nullptr;
      long n = v ? std::strtol(v, &end, 10) : 0;
      if (!v || *end != '\0' || n < 1 || n > 100000) {
        std::fprintf(stderr, "--tasks: expected a number from 1 to 100000, got '%s'\n", v ? v : "");
        return false;
      }
      opts.tasks = static_cast<int>(n);
    } else if (arg == "--seed") {
      auto v = value();
      char* end = nullptr;
      unsigned long n = v ? std::strtoul(v, &end, 10) : 0;
      if (!v || *end != '\0') {
        std::fprintf(stderr, "--seed: expected a number, got '%s'\n", v ? v : "");
        return false;
      }
      opts.seed = static_cast<unsigned>(n);
    } else {
      std::fprintf(stderr, "unknown option '%s'\n", argv[i]);
      return false;
    }
  }
  return true;
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

double percentile(std::vector<double> xs, double q) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto index = static_cast<std::size_t>(q * static_cast<double>(xs.size() - 1) + 0.5);
  return xs[std::min(index, xs.size() - 1)];
}

void progress(const manager_metrics& m, std::size_t total, bool tty) {
  auto line =
      fmt::format("done {:>5}/{:<5} running {:>4} pending {:>5} | tokens {:>3}/{:<3}", m.finished(),
                  total, m.running(), m.pending(), m.limiters[0].borrowed, m.limiters[0].capacity);
  if (tty)
    std::printf("\r%s", line.c_str());
  else
    std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i)
    if (std::string_view{argv[i]} == "--help" || std::string_view{argv[i]} == "-h")
      return usage(argv[0], 0);
  if (!parse(argc, argv, opts))
    return usage(argv[0], 2);
  manager_config cfg;
  cfg.retain_count = static_cast<std::size_t>(opts.tasks) + 100;
  task_manager tm{cfg};
  auto quotas = cfg.quotas();
  std::printf("taskactors demo: %d simulated LLM calls, quota.global=%zu, seed=%u\n", opts.tasks,
              quotas.global, opts.seed);

  std::mt19937 rng{opts.seed};
  std::lognormal_distribution<double> latency_ms{std::log(150.0), 0.6};
  std::uniform_real_distribution<double> unit{0, 1};
  std::vector<task_id> ids;
  std::vector<task_id> to_cancel;
  std::size_t expected_timeouts = 0;
  for (int i = 0; i < opts.tasks; ++i) {
    auto latency = milliseconds{std::clamp(static_cast<int>(latency_ms(rng)), 10, 1500)};
    submit_options sub;
    sub.id = fmt::format("llm-{:04}", i);
    if (i % 40 == 7) {
      // A slow model call with a budget it cannot meet.
      latency = 3s;
      sub.timeout = 400ms;
      ++expected_timeouts;
    }
    auto id = tm.submit(llm_call(latency, unit(rng) < 0.03, i), sub);
    if (!id) {
      std::fprintf(stderr, "submit failed: %s\n", render(id.error()).c_str());
      return 1;
    }
    ids.push_back(*id);
    if (i % 50 == 3)
      to_cancel.push_back(*id);
  }

  bool tty = isatty(STDOUT_FILENO) != 0;
  auto started = std::chrono::steady_clock::now();
  bool cancelled_yet = false;
  std::size_t peak_running = 0;
  for (;;) {
    auto m = tm.metrics();
    if (!m) {
      std::fprintf(stderr, "\nmetrics failed: %s\n", render(m.error()).c_str());
      return 1;
    }
    peak_running = std::max(peak_running, m->running());
    progress(*m, ids.size(), tty);
    if (m->in_flight() == 0)
      break;
    if (!cancelled_yet && std::chrono::steady_clock::now() - started > 200ms) {
      // The user changes their mind about a few requests.
      for (auto& id : to_cancel)
        tm.cancel(id);
      cancelled_yet = true;
    }
    std::this_thread::sleep_for(tty ? 100ms : 500ms); // pacing the display, not a wait on work
  }
  if (tty)
    std::printf("\n");

  std::map<task_state, std::size_t> per_state;
  std::vector<double> latencies;
  std::size_t lost = 0;
  for (auto& id : ids) {
    auto info = tm.wait(id, 10s);
    if (!info || !info->terminal()) {
      ++lost;
      continue;
    }
    ++per_state[info->state];
    if (info->state == task_state::completed)
      latencies.push_back(
          std::chrono::duration<double, std::milli>(info->finished_at - info->submitted_at)
              .count());
  }
  auto m = tm.metrics();
  auto report = tm.shutdown(shutdown_mode::drain, 5s);
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);

  std::printf("\n%-10s %8s\n", "state", "tasks");
  for (auto state :
       {task_state::completed, task_state::failed, task_state::cancelled, task_state::timeout})
    std::printf("%-10s %8zu\n", std::string{to_string(state)}.c_str(), per_state[state]);
  std::printf("%-10s %8zu\n", "total", ids.size());
  std::printf("\nlatency of completed calls (submit to result): p50 %.0f ms, p95 %.0f ms, "
              "p99 %.0f ms\n",
              percentile(latencies, 0.5), percentile(latencies, 0.95), percentile(latencies, 0.99));
  if (m && !m->limiters.empty()) {
    auto ms = [](caf::timespan x) { return std::chrono::duration<double, std::milli>(x).count(); };
    auto& global = m->limiters[0];
    std::printf(
        "peak global tokens in use: %zu of %zu; wait for a token p50 %.1f ms, p99 %.1f ms\n",
        global.peak_borrowed, global.capacity, ms(global.wait_p50), ms(global.wait_p99));
  }
  std::printf("wall time %.2f s\n", elapsed.count());

  bool ok = true;
  if (lost > 0) {
    std::fprintf(stderr, "FAILED: %zu tasks did not reach a terminal state\n", lost);
    ok = false;
  }
  if (!report) {
    std::fprintf(stderr, "FAILED: shutdown: %s\n", render(report.error()).c_str());
    ok = false;
  } else if (!report->clean()) {
    std::fprintf(stderr, "FAILED: %zu tokens leaked, %zu stragglers\n", report->leaked_tokens(),
                 report->stragglers.size());
    ok = false;
  } else if (report->metrics.finished() != ids.size()) {
    std::fprintf(stderr, "FAILED: %zu admitted, %zu finished\n", ids.size(),
                 report->metrics.finished());
    ok = false;
  }
  if (per_state[task_state::timeout] < expected_timeouts) {
    std::fprintf(stderr, "FAILED: expected at least %zu timeouts, saw %zu\n", expected_timeouts,
                 per_state[task_state::timeout]);
    ok = false;
  }
  std::printf("%s\n", ok ? "OK: every task reached exactly one terminal state; every token "
                           "came back"
                         : "NOT OK");
  return ok ? 0 : 1;
}
