// taskactors-bench: what the systems' runners and the report share.

#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "stats.hpp"
#include "taskactors/config_loader.hpp"
#include "taskactors/taskactors.hpp"

namespace bench {

using clock_t_ = std::chrono::steady_clock;

// -- output ---------------------------------------------------------------------------------------

// One result line: {"workload": "...", "system": "...", "n": N, "figure": value, ...}.
struct row {
  std::string workload;
  std::string system;
  std::size_t n = 0;
  std::vector<std::pair<std::string, double>> figures;

  std::optional<double> get(const std::string& key) const {
    for (auto& [k, v] : figures)
      if (k == key)
        return v;
    return std::nullopt;
  }
};

extern std::vector<row> rows; // every row emitted so far, for the table
extern bool json_only;

// Prints `r` as one JSON line and keeps it for the table.
void emit(row r);

double seconds_since(clock_t_::time_point t0);
using apps::percentile;
double rss_kb(); // resident memory of this process in KB

// -- settings -------------------------------------------------------------------------------------

struct settings {
  bool quick = false;
  std::optional<std::size_t> n;
  std::string worker;
  std::string peer;
  taskactors::config_sources sources;
};

extern settings opts;
extern std::string self_path; // this executable, for isolated runs
extern bool isolated;         // this process runs one (workload, system) for its parent

// `--n` when given, else the full or the quick size.
std::size_t pick(std::size_t full, std::size_t quick);

// The configuration the taskactors runs start from: embedded defaults, then --config/--set.
taskactors::manager_config base_config();

// Drives `n` requests through `send(self, i, done)` with at most `window` in flight, from an
// actor: the way actor code uses the manager, without a blocking round trip per task.
template <class Send>
void pipeline(caf::actor_system& sys, std::size_t n, std::size_t window, Send send) {
  std::promise<void> finished;
  auto driver = [&](caf::event_based_actor* self, std::size_t total) {
    auto sent = std::make_shared<std::size_t>(0);
    auto done = std::make_shared<std::size_t>(0);
    // The pending requests own the continuation; it refers to itself weakly (no cycle, no leak).
    auto next = std::make_shared<std::function<void()>>();
    std::weak_ptr<std::function<void()>> weak = next;
    *next = [=, &finished, &send] {
      if (++*done == total) {
        finished.set_value();
        self->quit();
        return;
      }
      if (auto again = weak.lock(); again && *sent < total)
        send(self, (*sent)++, [again] { (*again)(); });
    };
    for (std::size_t i = 0; i < std::min(window, total); ++i)
      send(self, (*sent)++, [next] { (*next)(); });
    return caf::behavior{[](caf::unit_t) {}};
  };
  sys.spawn(driver, n);
  finished.get_future().wait();
}

// -- the systems ----------------------------------------------------------------------------------

row ta_spawn(std::size_t n);
row ta_hold(std::size_t n, const std::string& workload = "hold");
row ta_gather_io(std::size_t n);
row ta_cancel(std::size_t n);
row ta_timeout(std::size_t n);
std::optional<row> ta_cpu(std::size_t n);
std::optional<row> ta_proc_rt(std::size_t n);
row ta_thread_rt(std::size_t n);

row raw_spawn(std::size_t n);
row raw_hold(std::size_t n, const std::string& workload = "hold");
row tpt_spawn(std::size_t n);
row tpt_hold(std::size_t n, const std::string& workload);
row pool_spawn(std::size_t n);
row pool_thread_rt(std::size_t n);

// python-anyio: anyio_peer.py run with Debian's python3, when it and python3-anyio are there.
std::optional<row> peer(const std::string& workload, std::size_t n);

// Runs `cmd` and reads the result lines it prints.
std::vector<row> rows_of(const std::string& cmd, const std::string& workload,
                         const std::string& system);

// Runs one (workload, system) in a fresh process and emits its rows.
void run_isolated(const std::string& workload, const std::string& system);

} // namespace bench
