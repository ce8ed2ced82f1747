// taskactors-bench: the systems it is compared with in-process: raw CAF, thread per task, and
// a thread pool.

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <caf/actor_system_config.hpp>

#include "bench.hpp"

using namespace taskactors;

namespace bench {

// -- raw CAF: an actor per task and a reply, no manager -------------------------------------------

namespace {

struct raw_caf_system {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  raw_caf_system() {
    cfg.set("scheduler.max-threads", static_cast<std::size_t>(cpu_count()));
    cfg.set("scheduler.max-throughput", std::size_t{300});
    // The floor runs on the policy the taskactors runs use, where CAF has it: side by side, the
    // same scheduler. (CAF has no `handoff`; the closest of its own is `sharing`.)
    auto policy = base_config().scheduler_policy;
    cfg.set("scheduler.policy",
            policy == "stealing" ? caf::atom("stealing") : caf::atom("sharing"));
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

} // namespace

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

row raw_hold(std::size_t n, const std::string& workload) {
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

} // namespace bench
