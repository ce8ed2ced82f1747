// The tour of docs/guide.md: each "// [name]" ... "// [end]" region is shown in the guide
// verbatim (the test suite checks it), and this file is compiled and run by the test suite.

#include <chrono>
#include <cstdio>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <taskactors/taskactors.hpp>

using namespace taskactors;
using namespace std::chrono_literals;

namespace {

bool check(bool ok, const char* what) {
  if (!ok)
    std::fprintf(stderr, "tour step failed: %s\n", what);
  return ok;
}

} // namespace

int main() {
  manager_config cfg;
  cfg.log = make_null_sink();
  // [start]
  task_manager tm{cfg}; // its own actor system, a manager and the three quotas
  // [end]

  // [async]
  // An async task: non-blocking code on its own actor. It finishes later, from a timer.
  auto id = tm.submit(
      [](async_context& ctx) {
        ctx.after(20ms, [&ctx] { ctx.complete(std::string{"pong"}); });
        return ctx.pending();
      },
      {.id = "ping", .timeout = 1s});
  auto info = tm.wait(*id, 5s); // the caller waits at most 5 s; the task is not affected
  // info->state == task_state::completed, *info->value.get_if<std::string>() == "pong"
  // [end]
  if (!check(info && info->state == task_state::completed, "async"))
    return 1;

  // [thread]
  // Blocking code: a thread task on one of the library's threads, with a cooperative stop token.
  auto rows = tm.run_in_thread(
      [](std::stop_token stop) {
        int n = 0;
        while (n < 3 && !stop.stop_requested())
          ++n; // a blocking driver call would go here
        return n;
      },
      2s);
  // [end]
  if (!check(rows && *rows == 3, "thread"))
    return 1;

  // [cancel]
  // Cancellation is a message: a pending task is dropped, a running one stopped.
  auto stuck = tm.submit([](async_context& ctx) { return ctx.pending(); });
  auto after = tm.cancel(*stuck); // after->state == task_state::cancelled
  // [end]
  if (!check(after && after->state == task_state::cancelled, "cancel"))
    return 1;

  // [timeout]
  // An execution timeout ends the task as `timeout`; its code is stopped like a cancel.
  auto slow = tm.submit(
      [](async_context& ctx) {
        ctx.after(10s, [&ctx] { ctx.complete(); });
        return ctx.pending();
      },
      {.timeout = 30ms});
  auto ended = tm.wait(*slow, 5s); // ended->state == task_state::timeout
  // [end]
  if (!check(ended && ended->state == task_state::timeout, "timeout"))
    return 1;

  // [gather]
  // Fan-out: at most 4 at a time, each within 1 s, all within 10 s; outcomes in input order.
  std::vector<int> inputs{1, 2, 3, 4, 5, 6, 7, 8};
  auto squares = tm.gather([](const int& x) { return x * x; }, inputs,
                           {.concurrency = 4, .task_timeout = 1s, .global_timeout = 10s});
  // squares->values<int>() == {1, 4, 9, ..., 64}
  // [end]
  if (!check(squares && squares->all_completed() && *squares->outcomes[7].get<int>() == 64,
             "gather"))
    return 1;

  // [metrics]
  // Quotas change at run time; metrics show tokens in use against each quota.
  tm.resize(quota::global, 64);
  auto m = tm.metrics();
  // m->limiters[0].capacity == 64, m->finished() counts every terminal task
  // [end]
  if (!check(m && m->limiters[0].capacity == 64, "metrics"))
    return 1;

  // [shutdown]
  // Stop admitting, let what runs finish (or cancel it at the deadline), return every token.
  auto report = tm.shutdown(shutdown_mode::drain, 5s);
  // report->clean(): nothing left running, no token leaked
  // [end]
  if (!check(report && report->clean(), "shutdown"))
    return 1;
  std::printf("tour: every step behaved as the guide says\n");
  return 0;
}
