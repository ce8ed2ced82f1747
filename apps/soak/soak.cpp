// taskactors-soak: the task mix and what it reads about this process.

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <unistd.h>

#include "proc_stats.hpp"
#include "soak.hpp"

using namespace taskactors;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace soak {

double rss_mb() {
  return apps::resident_bytes() / 1048576.0;
}

int threads_in_process() {
  int n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator{"/proc/self/task"})
    ++n;
  return n;
}

// The processes whose parent is this process (workers, alive or not yet reaped).
std::vector<int> child_pids() {
  std::vector<int> result;
  auto self = ::getpid();
  for (auto& e : std::filesystem::directory_iterator{"/proc"}) {
    auto name = e.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0])))
      continue;
    std::ifstream stat{e.path() / "stat"};
    std::string line;
    if (!std::getline(stat, line))
      continue;
    auto close = line.rfind(')');
    if (close == std::string::npos)
      continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == self &&
        state != 'Z')
      result.push_back(std::stoi(name));
  }
  return result;
}

int child_processes() {
  return static_cast<int>(child_pids().size());
}

// One task of the mix, chosen by `rng`.
task_spec make_task(std::mt19937_64& rng, std::size_t index, bool processes) {
  std::uniform_int_distribution<int> pct{0, 99};
  submit_options sub;
  sub.id = fmt::format("c-{}", index);
  auto kind = pct(rng);
  auto roll = pct(rng);
  if (kind < 70 || (!processes && kind >= 90)) {
    auto latency = milliseconds{std::uniform_int_distribution<int>{0, 20}(rng)};
    if (roll < 5) {
      sub.timeout = 20ms; // runs into its timeout
      latency = 1s;
    }
    return async_task(
        [latency, roll](async_context& ctx) -> async_pending {
          if (roll >= 5 && roll < 8)
            throw std::runtime_error("chaos: exception in an async task");
          ctx.after(latency, [&ctx, roll] {
            if (roll >= 8 && roll < 10)
              ctx.fail(std::string{"chaos: failure"});
            else
              ctx.complete(roll);
          });
          return ctx.pending();
        },
        std::move(sub));
  }
  if (kind < 90) {
    auto latency = milliseconds{std::uniform_int_distribution<int>{0, 5}(rng)};
    if (roll < 3) {
      sub.timeout = 30ms;
      latency = 1s;
    }
    return thread_task(
        [latency, roll](std::stop_token stop) -> int {
          if (roll >= 3 && roll < 5)
            throw std::runtime_error("chaos: exception in a thread task");
          auto until = std::chrono::steady_clock::now() + latency;
          while (std::chrono::steady_clock::now() < until && !stop.stop_requested())
            std::this_thread::sleep_for(1ms);
          return roll;
        },
        std::move(sub));
  }
  if (roll < 5)
    return process_task(call<void>("crash"), std::move(sub));
  if (roll < 8) {
    sub.timeout = 50ms;
    return process_task(call<void>("hang"), std::move(sub)); // needs SIGKILL
  }
  if (roll < 11)
    return process_task(call<uint32_t>("alloc", uint32_t{300}, uint32_t{200}), std::move(sub));
  if (roll < 13)
    return process_task(call<int>("throw"), std::move(sub));
  if (roll < 15) {
    sub.timeout = 30ms;
    return process_task(call<void>("block"), std::move(sub)); // SIGTERM is enough
  }
  return process_task(call<uint64_t>("sum_squares", uint64_t{1000}), std::move(sub));
}

} // namespace soak
