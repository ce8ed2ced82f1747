// taskactors-bench: concurrency models side by side on the same workloads, in one run.
//
// Systems: taskactors (the manager, through its public API), raw-caf (an actor per task and a
// reply, no manager: the floor), thread-per-task (std::thread), thread-pool
// (boost::asio::thread_pool) and python-anyio (anyio_peer.py, the Python design it succeeds, run
// with Debian's python3 when python3-anyio is installed). Prints one JSON object per line per
// (workload, system), then a table with each figure's ratio to taskactors.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <ranges>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "cpu_job.hpp"
#include "taskactors/config_loader.hpp"
#include "taskactors/taskactors.hpp"

using namespace taskactors;
using namespace std::chrono_literals;
using clock_t_ = std::chrono::steady_clock;

namespace {

// -- output ---------------------------------------------------------------------------------------

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

std::vector<row> rows;
bool json_only = false;

void emit(row r) {
  std::string line =
      fmt::format(R"({{"workload": "{}", "system": "{}", "n": {})", r.workload, r.system, r.n);
  for (auto& [k, v] : r.figures)
    line += fmt::format(R"(, "{}": {:.6g})", k, v);
  line += "}";
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  rows.push_back(std::move(r));
}

double seconds_since(clock_t_::time_point t0) {
  return std::chrono::duration<double>(clock_t_::now() - t0).count();
}

double percentile(std::vector<double> xs, double q) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto i = static_cast<std::size_t>(q * static_cast<double>(xs.size() - 1) + 0.5);
  return xs[std::min(i, xs.size() - 1)];
}

// Resident memory of this process in KB.
double rss_kb() {
  std::ifstream in{"/proc/self/statm"};
  long pages = 0;
  long resident = 0;
  in >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / 1024.0;
}

// -- settings -------------------------------------------------------------------------------------

struct settings {
  bool quick = false;
  std::optional<std::size_t> n;
  std::string worker;
  std::string peer;
  config_sources sources;
};

settings opts;

std::size_t pick(std::size_t full, std::size_t quick) {
  return opts.n ? *opts.n : (opts.quick ? quick : full);
}

manager_config base_config() {
  manager_config defaults;
  defaults.log = make_stderr_sink(log_level::error);
  defaults.workers.executable = opts.worker;
  defaults.workers.kill_grace = 500ms;
  auto cfg = load_config(opts.sources, defaults);
  if (!cfg) {
    std::fprintf(stderr, "configuration: %s\n", render(cfg.error()).c_str());
    std::exit(2);
  }
  return *cfg;
}

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

row ta_hold(std::size_t n, const std::string& workload = "hold") {
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

// -- raw CAF: an actor per task and a reply, no manager -------------------------------------------

struct raw_caf_system {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  raw_caf_system() {
    cfg.set("scheduler.max-threads", static_cast<std::size_t>(cpu_count()));
    cfg.set("scheduler.max-throughput", std::size_t{300});
    cfg.set("scheduler.policy", caf::atom("sharing"));
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

row raw_spawn(std::size_t n) {
  raw_caf_system rc;
  auto t0 = clock_t_::now();
  pipeline(*rc.sys, n, 256, [](caf::event_based_actor* self, std::size_t i, auto done) {
    auto worker =
        self->spawn([](caf::event_based_actor*,
                       std::size_t) -> caf::behavior { return {[](int x) { return x + 1; }}; },
                    i);
    self->request(worker, caf::infinite, 1).then([done, worker, self](int) {
      self->send_exit(worker, caf::exit_reason::user_shutdown);
      done();
    });
  });
  auto s = seconds_since(t0);
  return {"spawn", "raw-caf", n, {{"seconds", s}, {"tasks_per_s", static_cast<double>(n) / s}}};
}

row raw_hold(std::size_t n, const std::string& workload = "hold") {
  raw_caf_system rc;
  std::vector<caf::actor> held;
  held.reserve(n);
  auto before = rss_kb();
  auto t0 = clock_t_::now();
  for (std::size_t i = 0; i < n; ++i)
    held.push_back(
        rc.sys->spawn([](caf::event_based_actor*,
                         std::size_t) -> caf::behavior { return {[](int x) { return x; }}; },
                      i));
  auto create_s = seconds_since(t0);
  auto kb = (rss_kb() - before) / static_cast<double>(n);
  for (auto& a : held)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  held.clear();
  if (workload == "models")
    return {"models", "raw-caf", n, {{"create_s", create_s}, {"rss_mb", kb * n / 1024}}};
  return {workload, "raw-caf", n, {{"create_s", create_s}, {"kb_per_task", kb}}};
}

// -- threads --------------------------------------------------------------------------------------

row tpt_spawn(std::size_t n) {
  auto t0 = clock_t_::now();
  std::atomic<std::size_t> sum{0};
  for (std::size_t i = 0; i < n; ++i)
    std::thread{[&sum] { sum += 1; }}.join();
  auto s = seconds_since(t0);
  return {
      "spawn", "thread-per-task", n, {{"seconds", s}, {"tasks_per_s", static_cast<double>(n) / s}}};
}

row tpt_hold(std::size_t n, const std::string& workload) {
  std::mutex mtx;
  std::condition_variable cv;
  bool go = false;
  std::atomic<std::size_t> waiting{0};
  std::vector<std::thread> threads;
  threads.reserve(n);
  auto before = rss_kb();
  auto t0 = clock_t_::now();
  for (std::size_t i = 0; i < n; ++i)
    threads.emplace_back([&] {
      std::unique_lock<std::mutex> lock{mtx};
      ++waiting;
      cv.wait(lock, [&] { return go; });
    });
  while (waiting.load() < n)
    std::this_thread::yield();
  auto create_s = seconds_since(t0);
  auto kb = (rss_kb() - before) / static_cast<double>(n);
  {
    std::lock_guard<std::mutex> guard{mtx};
    go = true;
  }
  cv.notify_all();
  for (auto& t : threads)
    t.join();
  if (workload == "models")
    return {"models", "thread-per-task", n, {{"create_s", create_s}, {"rss_mb", kb * n / 1024}}};
  return {workload, "thread-per-task", n, {{"create_s", create_s}, {"kb_per_task", kb}}};
}

row pool_spawn(std::size_t n) {
  boost::asio::thread_pool pool{cpu_count()};
  std::atomic<std::size_t> done{0};
  auto t0 = clock_t_::now();
  for (std::size_t i = 0; i < n; ++i)
    boost::asio::post(pool, [&done] { ++done; });
  pool.join();
  auto s = seconds_since(t0);
  return {"spawn", "thread-pool", n, {{"seconds", s}, {"tasks_per_s", static_cast<double>(n) / s}}};
}

// The plain pool, driven the same way: one job at a time, its result awaited.
row pool_thread_rt(std::size_t n) {
  boost::asio::thread_pool pool{16};
  std::vector<double> us;
  auto t0 = clock_t_::now();
  for (std::size_t i = 0; i < n; ++i) {
    auto t = clock_t_::now();
    std::promise<int> p;
    auto f = p.get_future();
    boost::asio::post(pool, [&p] { p.set_value(1); });
    f.get();
    us.push_back(seconds_since(t) * 1e6);
  }
  auto s = seconds_since(t0);
  pool.join();
  return {"thread-rt",
          "thread-pool",
          n,
          {{"p50_us", percentile(us, 0.5)},
           {"p99_us", percentile(us, 0.99)},
           {"per_s", static_cast<double>(n) / s}}};
}

// -- python-anyio ---------------------------------------------------------------------------------

bool peer_available() {
  static std::optional<bool> ok;
  if (!ok) {
    ok = !opts.peer.empty() && std::system("/usr/bin/python3 -c 'import anyio' 2>/dev/null") == 0;
    if (!*ok)
      std::fprintf(stderr, "note: python-anyio skipped (needs /usr/bin/python3 with python3-anyio "
                           "and apps/bench/anyio_peer.py)\n");
  }
  return *ok;
}

// Runs `cmd` and reads the result lines it prints, each
// {"workload": "...", "system": "...", "n": N, "key": value, ...}.
std::vector<row> rows_of(const std::string& cmd, const std::string& workload,
                         const std::string& system) {
  std::vector<row> result;
  auto pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr)
    return result;
  std::string out;
  char buf[4096];
  while (auto len = std::fread(buf, 1, sizeof buf, pipe))
    out.append(buf, len);
  ::pclose(pipe);
  std::istringstream in{out};
  std::string line;
  while (std::getline(in, line)) {
    auto pos = line.find("\"n\": ");
    if (line.rfind("{\"workload\"", 0) != 0 || pos == std::string::npos)
      continue;
    row r{workload, system, std::strtoull(line.c_str() + pos + 5, nullptr, 10), {}};
    pos = line.find(',', pos);
    while (pos != std::string::npos) {
      auto k0 = line.find('"', pos);
      auto k1 = line.find('"', k0 + 1);
      auto colon = line.find(':', k1);
      auto end = line.find_first_of(",}", colon);
      r.figures.emplace_back(line.substr(k0 + 1, k1 - k0 - 1),
                             std::strtod(line.substr(colon + 1, end - colon - 1).c_str(), nullptr));
      pos = line[end] == ',' ? end : std::string::npos;
    }
    result.push_back(std::move(r));
  }
  if (result.empty())
    std::fprintf(stderr, "%s %s: no result\n", system.c_str(), workload.c_str());
  return result;
}

std::optional<row> peer(const std::string& workload, std::size_t n) {
  if (!peer_available())
    return std::nullopt;
  auto cmd = fmt::format("/usr/bin/python3 '{}' --workload {} --n {}{}", opts.peer, workload, n,
                         opts.quick ? " --cpu-iterations 300000" : "");
  auto result = rows_of(cmd, workload, "python-anyio");
  if (result.empty())
    return std::nullopt;
  return result.front();
}

// Memory figures come from a fresh process: memory freed by an earlier workload would be
// reused without growing the resident set, and make a later one look smaller.
std::string self_path;
bool isolated = false;

void run_isolated(const std::string& workload, const std::string& system) {
  auto cmd = fmt::format("'{}' --workload {} --system {} --json --isolated{}{}", self_path,
                         workload, system, opts.quick ? " --quick" : "",
                         opts.n ? fmt::format(" --n {}", *opts.n) : std::string{});
  for (auto& r : rows_of(cmd, workload, system))
    emit(std::move(r));
}

// -- workloads ------------------------------------------------------------------------------------

using system_fn = std::function<std::optional<row>()>;

struct workload_def {
  std::string name;
  std::vector<std::pair<std::string, system_fn>> systems;
};

std::vector<workload_def> workloads() {
  auto some = [](row r) { return std::optional<row>{std::move(r)}; };
  std::vector<workload_def> w;
  w.push_back({"spawn",
               {{"taskactors", [=] { return some(ta_spawn(pick(100'000, 5'000))); }},
                {"raw-caf", [=] { return some(raw_spawn(pick(100'000, 5'000))); }},
                {"thread-per-task", [=] { return some(tpt_spawn(pick(20'000, 1'000))); }},
                {"thread-pool", [=] { return some(pool_spawn(pick(100'000, 5'000))); }},
                {"python-anyio", [] { return peer("spawn", pick(100'000, 5'000)); }}}});
  w.push_back({"hold",
               {{"taskactors", [=] { return some(ta_hold(pick(100'000, 5'000))); }},
                {"raw-caf", [=] { return some(raw_hold(pick(100'000, 5'000))); }},
                {"thread-per-task", [=] { return some(tpt_hold(pick(10'000, 500), "hold")); }},
                {"python-anyio", [] { return peer("hold", pick(100'000, 5'000)); }}}});
  w.push_back({"gather-io",
               {{"taskactors", [=] { return some(ta_gather_io(pick(10'000, 512))); }},
                {"python-anyio", [] { return peer("gather-io", pick(10'000, 512)); }}}});
  w.push_back({"cancel",
               {{"taskactors", [=] { return some(ta_cancel(pick(1'000, 100))); }},
                {"python-anyio", [] { return peer("cancel", pick(1'000, 100)); }}}});
  w.push_back({"timeout",
               {{"taskactors", [=] { return some(ta_timeout(pick(300, 50))); }},
                {"python-anyio", [] { return peer("timeout", pick(300, 50)); }}}});
  w.push_back({"cpu",
               {{"taskactors", [=] { return ta_cpu(pick(8, 4)); }},
                {"python-anyio", [] { return peer("cpu", pick(8, 4)); }}}});
  w.push_back({"proc-rt",
               {{"taskactors", [=] { return ta_proc_rt(pick(2'000, 100)); }},
                {"python-anyio", [] { return peer("proc-rt", pick(2'000, 100)); }}}});
  w.push_back({"thread-rt",
               {{"taskactors", [=] { return some(ta_thread_rt(pick(2'000, 100))); }},
                {"thread-pool", [=] { return some(pool_thread_rt(pick(2'000, 100))); }}}});
  w.push_back({"scale", {{"taskactors", [] {
                            std::vector<std::size_t> sizes =
                                opts.quick ? std::vector<std::size_t>{1'000, 10'000}
                                           : std::vector<std::size_t>{10'000, 100'000, 1'000'000};
                            for (auto size : sizes) {
                              auto s = ta_spawn(size);
                              auto h = ta_hold(size, "scale");
                              emit({"scale",
                                    "taskactors",
                                    size,
                                    {{"us_per_task", 1e6 / *s.get("tasks_per_s")},
                                     {"kb_per_task", *h.get("kb_per_task")}}});
                            }
                            return std::optional<row>{};
                          }}}});
  w.push_back({"models",
               {{"taskactors",
                 [] {
                   for (std::size_t size : {100, 1'000, 10'000})
                     emit(ta_hold(size, "models"));
                   return std::optional<row>{};
                 }},
                {"raw-caf",
                 [] {
                   for (std::size_t size : {100, 1'000, 10'000})
                     emit(raw_hold(size, "models"));
                   return std::optional<row>{};
                 }},
                {"thread-per-task",
                 [] {
                   for (std::size_t size : {100, 1'000, 10'000})
                     emit(tpt_hold(size, "models"));
                   return std::optional<row>{};
                 }},
                {"python-anyio", [] {
                   for (std::size_t size : {100, 1'000, 10'000})
                     if (auto r = peer("models", size))
                       emit(*r);
                   return std::optional<row>{};
                 }}}});
  return w;
}

// The figure each workload's table shows.
const std::map<std::string, std::string> headline{
    {"spawn", "tasks_per_s"}, {"hold", "kb_per_task"}, {"gather-io", "efficiency"},
    {"cancel", "p50_us"},     {"timeout", "p99_ms"},   {"cpu", "efficiency"},
    {"proc-rt", "p50_us"},    {"thread-rt", "p50_us"}, {"scale", "us_per_task"},
    {"models", "rss_mb"}};

void print_table() {
  std::fprintf(json_only ? stderr : stdout, "\n%-10s %-16s %9s %-12s %12s %8s\n", "workload",
               "system", "n", "figure", "value", "vs ta");
  for (auto& r : rows) {
    auto key = headline.at(r.workload);
    auto value = r.get(key);
    if (!value)
      continue;
    std::optional<double> base;
    for (auto& b : rows)
      if (b.workload == r.workload && b.system == "taskactors" && b.n == r.n)
        base = b.get(key);
    if (!base && r.workload != "scale" && r.workload != "models")
      for (auto& b : rows)
        if (b.workload == r.workload && b.system == "taskactors")
          base = b.get(key);
    auto ratio = base && *base != 0 ? fmt::format("{:.2f}x", *value / *base) : std::string{"-"};
    std::fprintf(json_only ? stderr : stdout, "%-10s %-16s %9zu %-12s %12.4g %8s\n",
                 r.workload.c_str(), r.system.c_str(), r.n, key.c_str(), *value, ratio.c_str());
  }
}

void write_csv(const std::string& path) {
  std::ofstream out{path};
  out << "workload,system,n,figure,value\n";
  for (auto& r : rows)
    for (auto& [k, v] : r.figures)
      out << r.workload << ',' << r.system << ',' << r.n << ',' << k << ',' << v << '\n';
}

// A bar chart of each workload's headline figure, relative to taskactors (gnuplot-nox).
void write_plot(const std::string& svg) {
  auto data = svg + ".dat";
  {
    std::ofstream out{data};
    for (auto& r : rows) {
      auto key = headline.at(r.workload);
      auto value = r.get(key);
      std::optional<double> base;
      for (auto& b : rows)
        if (b.workload == r.workload && b.system == "taskactors" && b.n == r.n)
          base = b.get(key);
      if (value && base && *base != 0 && r.system != "taskactors")
        out << '"' << r.workload << " (" << key << ")\\n"
            << r.system << " n=" << r.n << "\" " << *value / *base << '\n';
    }
  }
  auto script = fmt::format(
      "set terminal svg size 1100,600 font 'sans,10'; set output '{}';"
      "set title 'each system relative to taskactors (1.0), same run';"
      "set style fill solid 0.6; set boxwidth 0.7; set logscale y; set grid y;"
      "set xtics rotate by -45 font ',8'; set ylabel 'ratio (log)';"
      "plot '{}' using 0:2:xtic(1) with boxes notitle, 1 with lines lw 2 title 'taskactors'",
      svg, data);
  auto cmd = fmt::format("gnuplot -e \"{}\"", script);
  if (std::system(cmd.c_str()) != 0)
    std::fprintf(stderr, "note: no plot (gnuplot-nox not installed?)\n");
  std::filesystem::remove(data);
}

int usage(const char* self, int rc) {
  std::fprintf(rc == 0 ? stdout : stderr,
               "usage: %s [--workload NAME[,NAME...]|all] [--system NAME|all] [--n N]\n"
               "          [--quick] [--json] [--csv FILE] [--plot FILE.svg] [--config FILE]\n"
               "          [--set KEY=VALUE]...\n"
               "workloads: spawn hold gather-io cancel timeout cpu proc-rt thread-rt scale models\n"
               "systems: taskactors raw-caf thread-per-task thread-pool python-anyio\n",
               self);
  return rc;
}

std::string beside_me(const std::vector<std::string>& names) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec)
    return {};
  for (auto& name : names)
    for (auto dir : {self.parent_path(), self.parent_path().parent_path() / "worker",
                     self.parent_path().parent_path() / "share" / "taskactors",
                     std::filesystem::path{TASKACTORS_BENCH_SOURCE_DIR}})
      if (std::filesystem::exists(dir / name))
        return (dir / name).string();
  return {};
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto sources = take_config_args(args);
  if (!sources) {
    std::fprintf(stderr, "%s\n", render(sources.error()).c_str());
    return 2;
  }
  opts.sources = std::move(*sources);
  std::string workload = "all";
  std::string system = "all";
  std::string csv;
  std::string plot;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(usage(argv[0], 2));
      }
      return args[++i];
    };
    if (a == "--help" || a == "-h")
      return usage(argv[0], 0);
    if (a == "--workload")
      workload = value();
    else if (a == "--system")
      system = value();
    else if (a == "--n") {
      auto v = value();
      char* end = nullptr;
      auto n = std::strtoull(v.c_str(), &end, 10);
      if (*end != '\0' || n == 0) {
        std::fprintf(stderr, "--n: expected a positive number, got '%s'\n", v.c_str());
        return 2;
      }
      opts.n = n;
    } else if (a == "--quick")
      opts.quick = true;
    else if (a == "--json")
      json_only = true;
    else if (a == "--isolated")
      isolated = true;
    else if (a == "--csv")
      csv = value();
    else if (a == "--plot")
      plot = value();
    else {
      std::fprintf(stderr, "unknown option '%s'\n", a.c_str());
      return usage(argv[0], 2);
    }
  }
  opts.worker = beside_me({"taskactors-worker"});
  self_path = std::filesystem::read_symlink("/proc/self/exe").string();
  opts.peer = beside_me({"anyio_peer.py"});
  auto all = workloads();
  // The workloads to run, in the order given: "all", or names separated by commas.
  std::vector<const workload_def*> chosen;
  std::string unknown;
  for (std::size_t pos = 0; pos <= workload.size();) {
    auto comma = std::min(workload.find(',', pos), workload.size());
    auto name = workload.substr(pos, comma - pos);
    pos = comma + 1;
    for (auto& w : all)
      if (name == "all" || w.name == name)
        chosen.push_back(&w);
    if (name != "all" &&
        std::none_of(all.begin(), all.end(), [&](auto& w) { return w.name == name; }))
      unknown = name;
  }
  bool known_workload = unknown.empty();
  if (!known_workload)
    workload = unknown;
  bool known_system = system == "all";
  for (auto& w : all)
    for (auto& [name, fn] : w.systems)
      known_system |= name == system;
  if (!known_workload || !known_system) {
    std::fprintf(stderr, "unknown %s '%s'\n", known_workload ? "system" : "workload",
                 known_workload ? system.c_str() : workload.c_str());
    return usage(argv[0], 2);
  }
  for (auto* def : chosen) {
    auto& w = *def;
    for (auto& [name, fn] : w.systems) {
      if (system != "all" && name != system)
        continue;
      bool memory = w.name == "hold" || w.name == "models" || w.name == "scale";
      if (memory && !isolated && name != "python-anyio")
        run_isolated(w.name, name);
      else if (auto r = fn())
        emit(std::move(*r));
    }
  }
  if (isolated)
    return 0;
  print_table();
  if (!csv.empty())
    write_csv(csv);
  if (!plot.empty())
    write_plot(plot);
  return 0;
}
