#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#include "runtime/thread_pool.hpp"
#include "sync.hpp"

using namespace taskactors::detail;
using namespace taskactors::test;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

thread_pool::job run(std::function<void()> f) {
  return thread_pool::job{std::move(f), {}, {}};
}

auto soon(std::chrono::milliseconds d = 10s) {
  return clock_type::now() + d;
}

} // namespace

TEST_CASE("thread pool: runs jobs on at most max_threads threads at once", "[unit][threads]") {
  gate release;
  counter running;
  counter done;
  std::atomic<int> now_running{0};
  std::atomic<int> most{0};
  thread_pool pool{3, 10s};
  for (int i = 0; i < 10; ++i)
    pool.post(run([&] {
      auto n = ++now_running;
      for (int seen = most.load(); n > seen && !most.compare_exchange_weak(seen, n);) {
      }
      running.add();
      release.wait();
      --now_running;
      done.add();
    }));
  REQUIRE(running.wait_for_at_least(3));
  auto s = pool.snapshot();
  CHECK(s.threads == 3);
  CHECK(s.busy == 3);
  CHECK(s.queued == 7);
  release.open();
  REQUIRE(done.wait_for_at_least(10));
  CHECK(most.load() == 3);
  CHECK(pool.snapshot().created == 3);
  CHECK(pool.shutdown(soon()) == 0); // every job has returned before the locals go away
}

TEST_CASE("thread pool: reuses a thread for the job its finishing job triggers",
          "[unit][threads]") {
  counter done;
  thread_pool pool{8, 10s};
  for (int i = 0; i < 200; ++i) {
    pool.post(thread_pool::job{[] {}, [&] { done.add(); }, {}});
    REQUIRE(done.wait_for_at_least(i + 1));
  }
  CHECK(pool.snapshot().created == 1);
  CHECK(pool.shutdown(soon()) == 0);
}

TEST_CASE("thread pool: never starts more threads than its limit", "[unit][threads]") {
  counter done;
  thread_pool pool{4, 10s};
  for (int i = 0; i < 2000; ++i)
    pool.post(run([&] { done.add(); }));
  REQUIRE(done.wait_for_at_least(2000));
  CHECK(pool.snapshot().created <= 4);
  CHECK(pool.shutdown(soon()) == 0);
}

TEST_CASE("thread pool: queued jobs start first in first out", "[unit][threads]") {
  gate release;
  counter done;
  std::mutex mtx;
  std::vector<int> order;
  thread_pool pool{1, 10s};
  pool.post(run([&] { release.wait(); }));
  for (int i = 0; i < 5; ++i)
    pool.post(run([&, i] {
      std::lock_guard<std::mutex> guard{mtx};
      order.push_back(i);
      done.add();
    }));
  release.open();
  REQUIRE(done.wait_for_at_least(5));
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(pool.shutdown(soon()) == 0);
}

TEST_CASE("thread pool: idle threads exit after the idle time", "[unit][threads]") {
  gate release;
  counter running;
  thread_pool pool{4, 20ms};
  for (int i = 0; i < 4; ++i)
    pool.post(run([&] {
      running.add();
      release.wait();
    }));
  REQUIRE(running.wait_for_at_least(4));
  CHECK(pool.snapshot().threads == 4);
  release.open();
  CHECK(pool.wait_threads_at_most(0, soon()));
  CHECK(pool.snapshot().threads == 0);
  // It grows again on demand.
  counter done;
  pool.post(run([&] { done.add(); }));
  REQUIRE(done.wait_for_at_least(1));
  CHECK(pool.snapshot().created == 5);
  CHECK(pool.shutdown(soon()) == 0);
}

TEST_CASE("thread pool: a lower limit retires surplus threads", "[unit][threads]") {
  gate release;
  counter running;
  thread_pool pool{4, 10s};
  for (int i = 0; i < 4; ++i)
    pool.post(run([&] {
      running.add();
      release.wait();
    }));
  REQUIRE(running.wait_for_at_least(4));
  pool.set_max_threads(2);
  release.open();
  CHECK(pool.wait_threads_at_most(2, soon()));
  CHECK(pool.snapshot().max_threads == 2);
  CHECK(pool.shutdown(soon()) == 0); // every job has returned before `release` goes away
}

TEST_CASE("thread pool: shutdown abandons a stuck job and lets its thread go", "[unit][threads]") {
  auto pool = std::make_unique<thread_pool>(2, 10s);
  auto stuck_release = std::make_shared<gate>();
  auto stuck_returned = std::make_shared<counter>();
  counter started;
  counter abandoned;
  pool->post(thread_pool::job{[&started, stuck_release, stuck_returned] {
                                started.add();
                                stuck_release->wait();
                                stuck_returned->add();
                              },
                              {},
                              [&] { abandoned.add(); }});
  pool->post(run([&] { started.add(); }));
  REQUIRE(started.wait_for_at_least(2));
  auto detached = pool->shutdown(clock_type::now() + 50ms);
  CHECK(detached == 1);
  CHECK(abandoned.value() == 1);
  CHECK(pool->post(run([] {})));
  pool.reset(); // the pool object is gone; the stuck thread holds only its own state
  stuck_release->open();
  // The detached thread returns without touching the destroyed pool (ASan would object).
  CHECK(stuck_returned->wait_for_at_least(1));
}

TEST_CASE("thread pool: queued jobs are abandoned, not run, when it stops", "[unit][threads]") {
  auto release = std::make_shared<gate>(); // shared: the detached thread outlives this scope
  auto returned = std::make_shared<counter>();
  counter running;
  counter ran;
  counter abandoned;
  thread_pool pool{1, 10s};
  pool.post(run([&running, release, returned] {
    running.add();
    release->wait();
    returned->add();
  }));
  REQUIRE(running.wait_for_at_least(1));
  for (int i = 0; i < 3; ++i)
    pool.post(thread_pool::job{[&] { ran.add(); }, {}, [&] { abandoned.add(); }});
  // The first job still blocks when the pool stops: the queued ones never start.
  CHECK(pool.shutdown(clock_type::now() + 20ms) == 1);
  release->open();
  CHECK(returned->wait_for_at_least(1));
  CHECK(ran.value() == 0);
  CHECK(abandoned.value() == 3);
}

TEST_CASE("thread pool: a job's finish may stop and destroy the pool from the pool's own thread",
          "[unit][threads]") {
  // A job's finish may drop the last reference to the pool's owner.
  auto owner = std::make_shared<thread_pool>(2, 10s);
  auto* pool = owner.get();
  std::weak_ptr<thread_pool> alive = owner;
  std::promise<std::size_t> stopped;
  auto result = stopped.get_future();
  pool->post(thread_pool::job{[] {},
                              [&stopped, owner = std::move(owner)]() mutable {
                                auto stuck = owner->shutdown(clock_type::now());
                                owner.reset(); // the last reference: the pool is destroyed here
                                stopped.set_value(stuck);
                              },
                              {}});
  REQUIRE(result.wait_for(10s) == std::future_status::ready);
  CHECK(result.get() == 0);
  CHECK(alive.expired());
}

TEST_CASE("thread pool: a thread the system refuses fails the job, and the next post tries again",
          "[unit][threads]") {
  thread_pool pool{2, 10s};
  int refusals = 1;
  pool.set_thread_starter([&refusals](std::function<void()> body) {
    if (refusals-- > 0)
      throw std::system_error(EAGAIN, std::generic_category(), "thread");
    std::thread{std::move(body)}.detach();
  });
  counter ran;
  auto refused = pool.post(run([&] { ran.add(); }));
  REQUIRE(refused);
  CHECK_FALSE(refused->stopped);
  CHECK_THAT(refused->reason, Catch::Contains("cannot start a thread"));
  auto s = pool.snapshot();
  CHECK(s.threads == 0); // not counted: the pool is not one thread smaller for ever
  CHECK(s.queued == 0);  // dropped, not left waiting for a thread that never comes
  CHECK_FALSE(pool.post(run([&] { ran.add(); })));
  CHECK(ran.wait_for_at_least(1));
  CHECK(pool.snapshot().created == 1);
  CHECK(pool.shutdown(soon()) == 0);
}

TEST_CASE("thread pool: a new thread starts outside the pool's lock", "[unit][threads]") {
  thread_pool pool{2, 10s};
  bool lock_was_free = false;
  pool.set_thread_starter([&](std::function<void()> body) {
    // Another thread asks for the pool's figures while this one starts the thread: it gets
    // them only if the lock is free.
    auto looked = std::async(std::launch::async, [&] { return pool.snapshot(); });
    lock_was_free = looked.wait_for(10s) == std::future_status::ready;
    std::thread{std::move(body)}.detach();
  });
  counter ran;
  CHECK_FALSE(pool.post(run([&] { ran.add(); })));
  CHECK(lock_was_free);
  CHECK(ran.wait_for_at_least(1));
  CHECK(pool.shutdown(soon()) == 0);
}
