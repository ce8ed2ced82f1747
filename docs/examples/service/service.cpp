// A small service on an installed libtaskactors: configuration from a file, the environment and
// the command line; a gather of async calls, a blocking call on a library thread and a CPU-bound
// job in a worker process; a clean shutdown.

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <taskactors/config_loader.hpp>
#include <taskactors/taskactors.hpp>

using namespace taskactors;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto sources = take_config_args(args); // --config FILE, --set KEY=VALUE
  if (!sources) {
    std::fprintf(stderr, "%s\n", render(sources.error()).c_str());
    return 2;
  }
  manager_config defaults;
  defaults.workers.executable = SERVICE_WORKER;
  auto cfg = load_config(*sources, defaults); // defaults < file < TASKACTORS_* < --set
  if (!cfg) {
    std::fprintf(stderr, "configuration: %s\n", render(cfg.error()).c_str());
    return 2;
  }
  task_manager tm{*cfg};

  // Fan out: look up 20 users, at most 5 at a time, each within 1 s.
  auto lookup = [](async_context& ctx, const int& user) {
    ctx.after(10ms, [&ctx, user] { ctx.complete("user-" + std::to_string(user)); });
    return ctx.pending();
  };
  std::vector<int> users{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  auto found = tm.gather(lookup, users, {.concurrency = 5, .task_timeout = 1s});
  if (!found || !found->all_completed()) {
    std::fprintf(stderr, "gather failed\n");
    return 1;
  }
  std::printf("looked up %zu users, first %s\n", found->outcomes.size(),
              found->outcomes[0].get<std::string>()->c_str());

  // A blocking call, on one of the library's threads.
  auto checksum = tm.run_in_thread([](std::stop_token) { return 42; }, 5s);
  // A CPU-bound job, in a worker process.
  auto squares = tm.run_in_process(call<uint64_t>("sum_squares", uint64_t{100}), 5s);
  if (!checksum || !squares) {
    std::fprintf(stderr, "calls failed\n");
    return 1;
  }
  std::printf("thread call -> %d, process job -> %llu\n", *checksum,
              static_cast<unsigned long long>(*squares));
  auto report = tm.shutdown(shutdown_mode::drain, 5s);
  return report && report->clean() ? 0 : 1;
}
