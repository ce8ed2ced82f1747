#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>

#include "runtime/helping_unit.hpp"
#include "runtime/scheduler.hpp"

using namespace taskactors::detail;
using namespace std::chrono_literals;

namespace {

// CAF's clock, counting the requests to drop an actor's timeouts that reach it.
class counting_clock : public caf::detail::thread_safe_actor_clock {
public:
  void cancel_timeouts(caf::abstract_actor* self) override {
    ++dropped;
    thread_safe_actor_clock::cancel_timeouts(self);
  }

  std::atomic<int> dropped{0};
};

struct handoff_system {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  explicit handoff_system(std::size_t threads) {
    cfg.set("scheduler.max-threads", threads);
    cfg.module_factories.emplace_back([](caf::actor_system& s) -> caf::actor_system::module* {
      return new quiet_coordinator<handoff_policy>(s);
    });
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

// Function-based actors here take an argument: CAF 0.17 spawns an argument-less one through a
// null `shared_ptr<std::tuple<>>`, which UBSan reports.
caf::behavior echo(caf::event_based_actor*, int) {
  return {[](int x) { return x; }};
}

} // namespace

TEST_CASE("quiet clock: an actor that set no timeout ends without a word to the clock thread",
          "[unit][scheduler]") {
  handoff_system hs{1};
  auto actor = hs.sys->spawn(echo, 0);
  auto* self = caf::actor_cast<caf::abstract_actor*>(actor);
  counting_clock inner;
  quiet_clock clock{inner};
  clock.cancel_timeouts(self);
  CHECK(inner.dropped == 0);
  clock.set_request_timeout(caf::actor_clock::clock_type::now() + 1h, self, caf::make_message_id());
  clock.cancel_timeouts(self);
  CHECK(inner.dropped == 1);
  clock.cancel_timeouts(self); // already dropped: nothing left to tell
  CHECK(inner.dropped == 1);
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

TEST_CASE("handoff scheduler: request chains, fan-out and request timeouts all complete",
          "[unit][scheduler]") {
  handoff_system hs{2};
  auto& sys = *hs.sys;
  auto server = sys.spawn(echo, 0);
  caf::scoped_actor self{sys};
  SECTION("a chain of requests between actors, each answered") {
    std::promise<int> done;
    auto result = done.get_future();
    sys.spawn(
        [server, &done](caf::event_based_actor* me, int start) -> caf::behavior {
          me->send(me, start);
          return {[me, server, &done](int left) {
            if (left == 0) {
              done.set_value(1000);
              me->quit();
              return;
            }
            me->request(server, caf::infinite, left).then([me](int x) { me->send(me, x - 1); });
          }};
        },
        1000);
    REQUIRE(result.wait_for(10s) == std::future_status::ready);
    CHECK(result.get() == 1000);
  }
  SECTION("many actors spawned from one handler all answer") {
    static constexpr int n = 2000;
    std::atomic<int> answered{0};
    std::promise<void> all;
    auto done = all.get_future();
    sys.spawn(
        [&answered, &all](caf::event_based_actor* me, int) {
          for (int i = 0; i < n; ++i) {
            auto worker = me->spawn(echo, 0);
            me->request(worker, caf::infinite, i).then([&answered, &all, worker, me](int) {
              me->send_exit(worker, caf::exit_reason::user_shutdown);
              if (++answered == n) {
                all.set_value();
                me->quit();
              }
            });
          }
          return caf::behavior{[](int) {}};
        },
        0);
    REQUIRE(done.wait_for(30s) == std::future_status::ready);
    CHECK(answered == n);
  }
  SECTION("a request nobody answers times out through the clock") {
    auto silent = sys.spawn(
        [](caf::event_based_actor*, int) -> caf::behavior {
          return {[](int) -> caf::result<int> { return caf::delegated<int>{}; }};
        },
        0);
    caf::error err;
    self->request(silent, 20ms, 1).receive([](int) {}, [&](caf::error& e) { err = e; });
    CHECK(err == caf::sec::request_timeout);
    self->send_exit(silent, caf::exit_reason::user_shutdown);
  }
  self->send_exit(server, caf::exit_reason::user_shutdown);
}

namespace {

// Waits, with a deadline, until the handoff scheduler's only thread sleeps with nothing queued.
bool wait_idle(caf::actor_system& sys) {
  auto& c = dynamic_cast<quiet_coordinator<handoff_policy>&>(sys.scheduler());
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!handoff_policy::idle(c.data(), c.num_workers()))
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    else
      std::this_thread::yield();
  return true;
}

// Forwards `hops` to `next` (when it has one) after noting the thread that ran it.
struct hop_log {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<std::thread::id> threads;
  /// Whether each turn ran on a helping thread.
  std::vector<bool> helping;

  void note() {
    std::lock_guard<std::mutex> guard{mtx};
    threads.push_back(std::this_thread::get_id());
    helping.push_back(helping_unit::active());
    cv.notify_all();
  }

  std::vector<std::thread::id> seen() {
    std::lock_guard<std::mutex> guard{mtx};
    return threads;
  }

  // The threads seen once there are at least `n`, or when 10 s passed.
  std::vector<std::thread::id> wait_for(std::size_t n) {
    std::unique_lock<std::mutex> lock{mtx};
    cv.wait_for(lock, 10s, [this, n] { return threads.size() >= n; });
    return threads;
  }
};

caf::behavior relay(caf::event_based_actor* self, hop_log* log, caf::actor next) {
  return {[self, log, next](int hops) {
    log->note();
    if (next)
      self->send(next, hops);
  }};
}

// Two actors that pass a count back and forth until it reaches zero, then fulfil `done`.
caf::behavior ping(caf::event_based_actor* self, hop_log* log, std::promise<void>* done) {
  return {[self, log, done](int left, caf::actor peer) {
    log->note();
    if (left == 0)
      done->set_value();
    else
      self->send(peer, left - 1, caf::actor_cast<caf::actor>(self));
  }};
}

} // namespace

TEST_CASE("helping unit: while the scheduler sleeps, the delivering thread runs what it starts",
          "[unit][scheduler]") {
  handoff_system hs{1};
  auto& sys = *hs.sys;
  hop_log log;
  auto last = sys.spawn(relay, &log, caf::actor{});
  auto first = sys.spawn(relay, &log, last);
  REQUIRE(wait_idle(sys));
  helping_unit::deliver(first, caf::make_message(1));
  // Both turns ran before deliver returned, on this thread.
  auto seen = log.seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == std::this_thread::get_id());
  CHECK(seen[1] == std::this_thread::get_id());
  std::lock_guard<std::mutex> guard{log.mtx};
  CHECK(log.helping == std::vector<bool>{true, true});
  CHECK_FALSE(helping_unit::active()); // only during the delivery
  caf::anon_send_exit(first, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(last, caf::exit_reason::user_shutdown);
}

TEST_CASE("helping unit: a longer chain runs here for a bounded number of turns, then goes on "
          "in the scheduler",
          "[unit][scheduler]") {
  handoff_system hs{1};
  auto& sys = *hs.sys;
  hop_log log;
  std::promise<void> done;
  auto finished = done.get_future();
  auto a = sys.spawn(ping, &log, &done);
  auto b = sys.spawn(ping, &log, &done);
  REQUIRE(wait_idle(sys));
  static constexpr int hops = 1000;
  helping_unit::deliver(a, caf::make_message(hops, b));
  REQUIRE(finished.wait_for(10s) == std::future_status::ready);
  auto seen = log.seen();
  REQUIRE(seen.size() == hops + 1);
  auto here = std::count(seen.begin(), seen.end(), std::this_thread::get_id());
  CHECK(here == static_cast<long>(helping_unit::budget));
  CHECK(seen.back() != std::this_thread::get_id());
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("helping unit: a wide fan-out runs here for a bounded number of turns, then goes on "
          "in the scheduler",
          "[unit][scheduler]") {
  handoff_system hs{1};
  auto& sys = *hs.sys;
  hop_log log;
  static constexpr int width = 300;
  std::vector<caf::actor> leaves;
  for (int i = 0; i < width; ++i)
    leaves.push_back(sys.spawn(relay, &log, caf::actor{}));
  // Sends one message to every leaf: `width` jobs queued at once by one turn.
  auto fan = sys.spawn(
      [&log, leaves](caf::event_based_actor* self, int) -> caf::behavior {
        return {[&log, self, leaves](int hops) {
          log.note();
          for (auto& leaf : leaves)
            self->send(leaf, hops);
        }};
      },
      0);
  REQUIRE(wait_idle(sys));
  helping_unit::deliver(fan, caf::make_message(1));
  auto seen = log.wait_for(width + 1);
  REQUIRE(seen.size() == width + 1);
  auto here = std::count(seen.begin(), seen.end(), std::this_thread::get_id());
  CHECK(here == static_cast<long>(helping_unit::budget));
  for (auto& leaf : leaves)
    caf::anon_send_exit(leaf, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(fan, caf::exit_reason::user_shutdown);
}

TEST_CASE("helping unit: with a scheduler thread awake, the work goes to the scheduler",
          "[unit][scheduler]") {
  handoff_system hs{1};
  auto& sys = *hs.sys;
  hop_log log;
  auto target = sys.spawn(relay, &log, caf::actor{});
  std::promise<void> entered;
  std::promise<void> release;
  auto go = release.get_future().share();
  // Holds the only scheduler thread until released.
  auto blocker = sys.spawn(
      [&entered, go](caf::event_based_actor*, int) -> caf::behavior {
        return {[&entered, go](int) {
          entered.set_value();
          go.wait_for(10s);
        }};
      },
      0);
  caf::anon_send(blocker, 1);
  REQUIRE(entered.get_future().wait_for(10s) == std::future_status::ready);
  helping_unit::deliver(target, caf::make_message(1));
  CHECK(log.seen().empty()); // queued for the busy thread, not run here
  release.set_value();
  auto seen = log.wait_for(1);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] != std::this_thread::get_id());
  {
    std::lock_guard<std::mutex> guard{log.mtx};
    CHECK(log.helping == std::vector<bool>{false}); // a scheduler thread is not a helper
  }
  caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(blocker, caf::exit_reason::user_shutdown);
}

TEST_CASE("helping unit: with CAF's own scheduler, the work goes to it", "[unit][scheduler]") {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", std::size_t{1});
  caf::actor_system sys{cfg};
  hop_log log;
  auto target = sys.spawn(relay, &log, caf::actor{});
  helping_unit::deliver(target, caf::make_message(1));
  auto seen = log.wait_for(1);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] != std::this_thread::get_id());
  caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
}
