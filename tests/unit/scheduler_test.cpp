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
#include <caf/config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>

#include "runtime/scheduler.hpp"
#include <caf/policy/work_sharing.hpp>
#include <caf/policy/work_stealing.hpp>
#include <caf/send.hpp>

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

TEST_CASE("scheduler: built against the CAF release its reach into CAF's internals was checked for",
          "[scheduler]") {
  // The header refuses to compile against another release; this says so in the test report too.
  STATIC_REQUIRE(CAF_VERSION == caf_version_checked);
  CHECK(CAF_MAJOR_VERSION == 0);
  CHECK(CAF_MINOR_VERSION == 17);
  CHECK(CAF_PATCH_VERSION == 6);
}

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

// Each policy the library can run with, with as many threads as given.
template <class Policy>
std::unique_ptr<caf::actor_system> system_with(caf::actor_system_config& cfg, std::size_t threads) {
  cfg.set("scheduler.max-threads", threads);
  cfg.module_factories.emplace_back([](caf::actor_system& s) -> caf::actor_system::module* {
    return new quiet_coordinator<Policy>(s);
  });
  return std::make_unique<caf::actor_system>(cfg);
}

TEMPLATE_TEST_CASE("scheduler: work queued during a long turn runs on another thread meanwhile",
                   "[unit][scheduler]", handoff_policy, caf::policy::work_sharing,
                   caf::policy::work_stealing) {
  caf::actor_system_config cfg;
  auto sys = system_with<TestType>(cfg, 2);
  std::atomic<bool> ran{false};
  std::promise<bool> verdict;
  auto result = verdict.get_future();
  auto quick = sys->spawn([&ran](caf::event_based_actor*,
                                 int) -> caf::behavior { return {[&ran](int) { ran = true; }}; },
                          0);
  // A turn that runs until the job it queued has run elsewhere (or 5 s pass): on a scheduler
  // that leaves that job waiting for the busy thread, it never has.
  auto slow = sys->spawn(
      [&ran, &verdict, quick](caf::event_based_actor* self, int) -> caf::behavior {
        return {[&ran, &verdict, quick, self](int) {
          self->send(quick, 1);
          auto deadline = std::chrono::steady_clock::now() + 5s;
          while (!ran.load() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::yield();
          verdict.set_value(ran.load());
        }};
      },
      0);
  caf::anon_send(slow, 1);
  REQUIRE(result.wait_for(10s) == std::future_status::ready);
  CHECK(result.get());
  caf::anon_send_exit(quick, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(slow, caf::exit_reason::user_shutdown);
}
