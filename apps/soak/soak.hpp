// taskactors-soak: the task mix and what it reads about this process.

#pragma once

#include <chrono>
#include <cstddef>
#include <random>
#include <thread>
#include <vector>

#include "taskactors/taskactors.hpp"

namespace soak {

double rss_mb();               // resident memory of this process
int threads_in_process();      // threads of this process
std::vector<int> child_pids(); // the processes whose parent is this one, not yet reaped
int child_processes();

// Polls `done` until it holds or `limit` passes; false when it never held.
template <class Predicate>
bool settle(Predicate done, std::chrono::seconds limit = std::chrono::seconds{10}) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  return true;
}

// One task of the mix, chosen by `rng`: async, thread or (when `processes`) process, with
// random latencies, failures, exceptions, timeouts, crashes and hangs.
taskactors::task_spec make_task(std::mt19937_64& rng, std::size_t index, bool processes);

} // namespace soak
