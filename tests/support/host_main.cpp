// taskactors_test_host: a host process for the test that kills a host. It starts a manager with
// `argv[2]` worker processes of `argv[1]`, prints each worker's pid on a line, then "ready", and
// waits to be killed.

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "taskactors/taskactors.hpp"

using namespace taskactors;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s WORKER N\n", argv[0]);
    return 2;
  }
  auto n = static_cast<std::size_t>(std::atoi(argv[2]));
  manager_config cfg;
  cfg.global_quota = 8;
  cfg.process_quota = n;
  cfg.log = make_null_sink();
  cfg.workers.executable = argv[1];
  task_manager tm{cfg};
  std::vector<task_id> ids;
  for (std::size_t i = 0; i < n; ++i)
    ids.push_back(*tm.submit(process_task(call<uint32_t>("sleep", uint32_t{200}))));
  std::set<int> pids;
  for (auto& id : ids)
    pids.insert(tm.wait(id)->worker_pid);
  for (auto pid : pids)
    std::printf("%d\n", pid);
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;)
    ::pause();
}
