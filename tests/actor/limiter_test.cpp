#include <catch2/catch.hpp>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "actors/manager_state.hpp"
#include "deterministic.hpp"
#include "taskactors/errc.hpp"
#include "taskactors/limiter_actor.hpp"
#include "taskactors/manager_actor.hpp"

using namespace taskactors;
using namespace std::chrono_literals;

namespace {

/// Takes every grant waiting in the test actor's mailbox, in arrival order.
std::vector<uint64_t> grants(test::deterministic& env) {
  std::vector<uint64_t> result;
  env.run();
  bool more = true;
  while (more)
    env.self()->receive([&](granted_atom, uint64_t ticket) { result.push_back(ticket); },
                        caf::after(0s) >> [&] { more = false; });
  return result;
}

limiter_stats stats(test::deterministic& env, const limiter_actor& lim) {
  auto result = env.ask<limiter_stats>(lim, stats_atom::value);
  REQUIRE(result);
  return *result;
}

/// A client actor that acquires `n` tokens, forwards its grants to `observer` and holds them
/// until it dies.
caf::behavior holder(caf::event_based_actor* self, limiter_actor lim, int n, caf::actor observer) {
  for (int i = 0; i < n; ++i)
    self->send(lim, acquire_atom::value, static_cast<uint64_t>(i));
  return {
      [=](granted_atom, uint64_t ticket) { self->send(observer, granted_atom::value, ticket); },
  };
}

} // namespace

TEST_CASE("limiter: grants up to capacity and queues the rest", "[actor]") {
  test::deterministic env;
  auto lim = spawn_limiter(env.sys(), "global", 2);
  for (uint64_t t = 1; t <= 3; ++t)
    env.self()->send(lim, acquire_atom::value, t);
  CHECK(grants(env) == std::vector<uint64_t>{1, 2});
  auto s = stats(env, lim);
  CHECK(s.borrowed == 2);
  CHECK(s.waiting == 1);
  env.self()->send_exit(lim, caf::exit_reason::user_shutdown);
}

TEST_CASE("limiter: serves waiters first come first served", "[actor]") {
  test::deterministic env;
  auto lim = spawn_limiter(env.sys(), "global", 1);
  for (uint64_t t = 1; t <= 4; ++t)
    env.self()->send(lim, acquire_atom::value, t);
  std::vector<uint64_t> order = grants(env);
  for (int i = 0; i < 3; ++i) {
    env.self()->send(lim, release_atom::value, std::size_t{1});
    auto next = grants(env);
    REQUIRE(next.size() == 1);
    order.push_back(next.front());
  }
  CHECK(order == std::vector<uint64_t>{1, 2, 3, 4});
  env.self()->send_exit(lim, caf::exit_reason::user_shutdown);
}

TEST_CASE("limiter: reclaims tokens when a holder dies", "[actor]") {
  test::deterministic env;
  auto lim = spawn_limiter(env.sys(), "global", 2);
  auto observer = caf::actor{env.self()};
  auto hog = env.sys().spawn(holder, lim, 2, observer);
  CHECK(grants(env).size() == 2);
  env.self()->send(lim, acquire_atom::value, uint64_t{99});
  CHECK(grants(env).empty());
  CHECK(stats(env, lim).waiting == 1);
  env.self()->send_exit(hog, caf::exit_reason::kill);
  CHECK(grants(env) == std::vector<uint64_t>{99});
  auto s = stats(env, lim);
  CHECK(s.borrowed == 1);
  CHECK(s.waiting == 0);
  env.self()->send_exit(lim, caf::exit_reason::user_shutdown);
}

TEST_CASE("limiter: drops the waiting requests of a client that dies", "[actor]") {
  test::deterministic env;
  auto lim = spawn_limiter(env.sys(), "global", 1);
  env.self()->send(lim, acquire_atom::value, uint64_t{1});
  CHECK(grants(env).size() == 1);
  auto observer = caf::actor{env.self()};
  auto waiter = env.sys().spawn(holder, lim, 3, observer);
  env.run();
  CHECK(stats(env, lim).waiting == 3);
  env.self()->send_exit(waiter, caf::exit_reason::kill);
  env.run();
  CHECK(stats(env, lim).waiting == 0);
  env.self()->send(lim, release_atom::value, std::size_t{1});
  env.run();
  CHECK(grants(env).empty()); // nobody left to serve
  CHECK(stats(env, lim).idle());
  env.self()->send_exit(lim, caf::exit_reason::user_shutdown);
}

TEST_CASE("limiter: a transferred token comes back when its new holder dies", "[actor]") {
  test::deterministic env;
  auto lim = spawn_limiter(env.sys(), "thread", 1);
  env.self()->send(lim, acquire_atom::value, uint64_t{1});
  CHECK(grants(env).size() == 1);
  auto worker = env.sys().spawn(
      [](caf::event_based_actor*, int) -> caf::behavior { return {[](int) {}}; }, 0);
  env.self()->send(lim, transfer_atom::value, std::size_t{1}, worker);
  env.run();
  // The sender no longer holds it: its release changes nothing.
  env.self()->send(lim, release_atom::value, std::size_t{1});
  env.run();
  CHECK(stats(env, lim).borrowed == 1);
  env.self()->send_exit(worker, caf::exit_reason::user_shutdown);
  env.run();
  CHECK(stats(env, lim).borrowed == 0);
  env.self()->send_exit(lim, caf::exit_reason::user_shutdown);
}

TEST_CASE("limiter: a withdrawn request is never granted", "[actor]") {
  test::deterministic env;
  auto lim = spawn_limiter(env.sys(), "global", 1);
  env.self()->send(lim, acquire_atom::value, uint64_t{1});
  env.self()->send(lim, acquire_atom::value, uint64_t{2});
  env.self()->send(lim, acquire_atom::value, uint64_t{3});
  CHECK(grants(env) == std::vector<uint64_t>{1});
  env.self()->send(lim, withdraw_atom::value, uint64_t{2});
  env.self()->send(lim, release_atom::value, std::size_t{1});
  CHECK(grants(env) == std::vector<uint64_t>{3});
  env.self()->send_exit(lim, caf::exit_reason::user_shutdown);
}

TEST_CASE("limiter: growing wakes waiters, shrinking never preempts", "[actor]") {
  test::deterministic env;
  auto lim = spawn_limiter(env.sys(), "global", 1);
  for (uint64_t t = 1; t <= 4; ++t)
    env.self()->send(lim, acquire_atom::value, t);
  CHECK(grants(env) == std::vector<uint64_t>{1});
  auto grown = env.ask<limiter_stats>(lim, resize_atom::value, std::size_t{3});
  REQUIRE(grown);
  CHECK(grown->capacity == 3);
  CHECK(grown->borrowed == 3);
  CHECK(grants(env) == std::vector<uint64_t>{2, 3});
  auto shrunk = env.ask<limiter_stats>(lim, resize_atom::value, std::size_t{1});
  REQUIRE(shrunk);
  CHECK(shrunk->capacity == 1);
  CHECK(shrunk->borrowed == 3); // holders keep their tokens
  env.self()->send(lim, release_atom::value, std::size_t{2});
  CHECK(grants(env).empty()); // 1 of 1 still borrowed
  env.self()->send(lim, release_atom::value, std::size_t{1});
  CHECK(grants(env) == std::vector<uint64_t>{4});
  auto zero = env.ask<limiter_stats>(lim, resize_atom::value, std::size_t{0});
  REQUIRE_FALSE(zero);
  CHECK(is(zero.error(), errc::invalid_argument));
  env.self()->send_exit(lim, caf::exit_reason::user_shutdown);
}

TEST_CASE("limiter: reports capacity, borrowed, waiting, grants and wait percentiles", "[actor]") {
  test::deterministic env;
  auto lim = spawn_limiter(env.sys(), "process", 1);
  env.self()->send(lim, acquire_atom::value, uint64_t{1});
  env.self()->send(lim, acquire_atom::value, uint64_t{2});
  grants(env);
  env.advance(25ms);
  env.self()->send(lim, release_atom::value, std::size_t{1});
  CHECK(grants(env) == std::vector<uint64_t>{2});
  auto s = stats(env, lim);
  CHECK(s.name == "process");
  CHECK(s.capacity == 1);
  CHECK(s.borrowed == 1);
  CHECK(s.peak_borrowed == 1);
  CHECK(s.waiting == 0);
  CHECK(s.grants == 2);
  CHECK(s.wait_p50 == caf::timespan{0});
  CHECK(s.wait_p99 >= 25ms);
  CHECK(s.wait_p99 < 30ms);
  env.self()->send_exit(lim, caf::exit_reason::user_shutdown);
}

TEST_CASE("limiter: answers an idle request once every token is back", "[actor]") {
  test::deterministic env;
  auto lim = spawn_limiter(env.sys(), "global", 2);
  env.self()->send(lim, acquire_atom::value, uint64_t{1});
  grants(env);
  auto idle = env.self()->request(lim, caf::infinite, idle_atom::value);
  CHECK_FALSE(env.has_message());
  env.self()->send(lim, release_atom::value, std::size_t{1});
  env.run();
  limiter_stats result;
  idle.receive([&](limiter_stats& s) { result = s; }, [](caf::error&) { FAIL("idle failed"); });
  CHECK(result.idle());
  env.self()->send_exit(lim, caf::exit_reason::user_shutdown);
}
