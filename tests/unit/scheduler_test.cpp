#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>

#include "scheduler.hpp"

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

caf::behavior echo(caf::event_based_actor*) {
  return {[](int x) { return x; }};
}

} // namespace

TEST_CASE("quiet clock: an actor that set no timeout ends without a word to the clock thread",
          "[unit][scheduler]") {
  handoff_system hs{1};
  auto actor = hs.sys->spawn(echo);
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
  auto server = sys.spawn(echo);
  caf::scoped_actor self{sys};
  SECTION("a chain of requests between actors, each answered") {
    std::promise<int> done;
    auto result = done.get_future();
    sys.spawn([server, &done](caf::event_based_actor* me) {
      auto step = std::make_shared<std::function<void(int)>>();
      *step = [me, server, step, &done](int left) {
        if (left == 0) {
          done.set_value(1000);
          return;
        }
        me->request(server, caf::infinite, left).then([step](int x) { (*step)(x - 1); });
      };
      (*step)(1000);
      return caf::behavior{[](int) {}};
    });
    REQUIRE(result.wait_for(10s) == std::future_status::ready);
    CHECK(result.get() == 1000);
  }
  SECTION("many actors spawned from one handler all answer") {
    static constexpr int n = 2000;
    std::atomic<int> answered{0};
    std::promise<void> all;
    auto done = all.get_future();
    sys.spawn([&answered, &all](caf::event_based_actor* me) {
      for (int i = 0; i < n; ++i) {
        auto worker = me->spawn(echo);
        me->request(worker, caf::infinite, i).then([&answered, &all, worker, me](int) {
          me->send_exit(worker, caf::exit_reason::user_shutdown);
          if (++answered == n)
            all.set_value();
        });
      }
      return caf::behavior{[](int) {}};
    });
    REQUIRE(done.wait_for(30s) == std::future_status::ready);
    CHECK(answered == n);
  }
  SECTION("a request nobody answers times out through the clock") {
    auto silent = sys.spawn([](caf::event_based_actor*) -> caf::behavior {
      return {[](int) -> caf::result<int> { return caf::delegated<int>{}; }};
    });
    caf::error err;
    self->request(silent, 20ms, 1).receive([](int) {}, [&](caf::error& e) { err = e; });
    CHECK(err == caf::sec::request_timeout);
    self->send_exit(silent, caf::exit_reason::user_shutdown);
  }
  self->send_exit(server, caf::exit_reason::user_shutdown);
}
