// The manager's token actor: one request and one grant per task for all the quotas it needs.

#include <catch2/catch.hpp>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "actors/arbiter_actor.hpp"
#include "deterministic.hpp"
#include "taskactors/errc.hpp"

using namespace taskactors;
using namespace taskactors::detail;
using namespace std::chrono_literals;

namespace {

constexpr quota_mask thread_task = mask_of(quota::thread) | mask_of(quota::global);

struct grant {
  uint64_t ticket;
  quota_mask quotas;
  bool operator==(const grant&) const = default;
};

/// Takes every grant waiting in the test actor's mailbox, in arrival order.
std::vector<grant> grants(test::deterministic& env) {
  std::vector<grant> result;
  env.run();
  bool more = true;
  while (more)
    env.self()->receive(
        [&](granted_atom, uint64_t ticket, quota_mask quotas) {
          result.push_back(grant{ticket, quotas});
        },
        caf::after(0s) >> [&] { more = false; });
  return result;
}

std::vector<limiter_stats> stats(test::deterministic& env, const arbiter_actor& arb) {
  auto result = env.ask<std::vector<limiter_stats>>(arb, stats_atom::value);
  REQUIRE(result);
  REQUIRE(result->size() == quota_count);
  return *result;
}

const limiter_stats& of(const std::vector<limiter_stats>& all, quota q) {
  return all[static_cast<std::size_t>(q)];
}

arbiter_actor spawn_arbiter(test::deterministic& env, std::size_t global, std::size_t thread) {
  return env.sys().spawn(arbiter_behavior, std::array<std::size_t, quota_count>{global, thread, 1});
}

/// A client that asks for a thread task's tokens `n` times, forwards its grants to `observer`
/// and holds the tokens until it dies.
caf::behavior holder(caf::event_based_actor* self, arbiter_actor arb, int n, caf::actor observer) {
  for (int i = 0; i < n; ++i)
    self->send(arb, acquire_atom::value, static_cast<uint64_t>(i), thread_task);
  return {
      [=](granted_atom, uint64_t ticket, quota_mask quotas) {
        self->send(observer, granted_atom::value, ticket, quotas);
      },
  };
}

} // namespace

TEST_CASE("arbiter: one grant carries every quota the request named", "[actor]") {
  test::deterministic env;
  auto arb = spawn_arbiter(env, 4, 1);
  env.self()->send(arb, acquire_atom::value, uint64_t{1}, thread_task);
  env.self()->send(arb, acquire_atom::value, uint64_t{2}, thread_task);
  env.self()->send(arb, acquire_atom::value, uint64_t{3}, mask_of(quota::global));
  CHECK(grants(env) == std::vector<grant>{{1, thread_task}, {3, mask_of(quota::global)}});
  auto s = stats(env, arb);
  CHECK(of(s, quota::global).borrowed == 2);
  CHECK(of(s, quota::thread).borrowed == 1);
  CHECK(of(s, quota::thread).waiting == 1);
  // One message returns both tokens; the waiting request then gets both.
  env.self()->send(arb, release_atom::value, thread_task);
  CHECK(grants(env) == std::vector<grant>{{2, thread_task}});
  env.self()->send_exit(arb, caf::exit_reason::user_shutdown);
}

TEST_CASE("arbiter: reclaims every token of a client that dies, and drops its requests",
          "[actor]") {
  test::deterministic env;
  auto arb = spawn_arbiter(env, 2, 1);
  auto observer = caf::actor{env.self()};
  auto hog = env.sys().spawn(holder, arb, 3, observer);
  CHECK(grants(env).size() == 1);
  env.self()->send(arb, acquire_atom::value, uint64_t{99}, thread_task);
  CHECK(grants(env).empty());
  CHECK(of(stats(env, arb), quota::thread).waiting == 3);
  env.self()->send_exit(hog, caf::exit_reason::kill);
  CHECK(grants(env) == std::vector<grant>{{99, thread_task}});
  auto s = stats(env, arb);
  CHECK(of(s, quota::global).borrowed == 1);
  CHECK(of(s, quota::thread).borrowed == 1);
  CHECK(of(s, quota::thread).waiting == 0);
  env.self()->send_exit(arb, caf::exit_reason::user_shutdown);
}

TEST_CASE("arbiter: a withdrawn request is never granted and returns what it took", "[actor]") {
  test::deterministic env;
  auto arb = spawn_arbiter(env, 1, 2);
  env.self()->send(arb, acquire_atom::value, uint64_t{1}, mask_of(quota::global));
  env.self()->send(arb, acquire_atom::value, uint64_t{2}, thread_task);
  CHECK(grants(env).size() == 1);
  // Request 2 holds a thread token and waits for the global one.
  CHECK(of(stats(env, arb), quota::thread).borrowed == 1);
  env.self()->send(arb, withdraw_atom::value, uint64_t{2});
  env.run();
  CHECK(of(stats(env, arb), quota::thread).borrowed == 0);
  env.self()->send(arb, release_atom::value, mask_of(quota::global));
  CHECK(grants(env).empty());
  env.self()->send_exit(arb, caf::exit_reason::user_shutdown);
}

TEST_CASE("arbiter: resizes one quota, refuses zero, and answers idle once all is back",
          "[actor]") {
  test::deterministic env;
  auto arb = spawn_arbiter(env, 4, 1);
  env.self()->send(arb, acquire_atom::value, uint64_t{1}, thread_task);
  env.self()->send(arb, acquire_atom::value, uint64_t{2}, thread_task);
  CHECK(grants(env).size() == 1);
  auto resized = env.ask<limiter_stats>(arb, resize_atom::value, quota::thread, std::size_t{2});
  REQUIRE(resized);
  CHECK(resized->name == "thread");
  CHECK(resized->capacity == 2);
  CHECK(grants(env) == std::vector<grant>{{2, thread_task}});
  auto refused = env.ask<limiter_stats>(arb, resize_atom::value, quota::global, std::size_t{0});
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == errc::invalid_argument);
  auto idle = env.self()->request(arb, caf::infinite, idle_atom::value);
  env.self()->send(arb, release_atom::value, thread_task);
  env.run();
  CHECK_FALSE(env.has_message());
  env.self()->send(arb, release_atom::value, thread_task);
  env.run();
  std::vector<limiter_stats> result;
  idle.receive([&](std::vector<limiter_stats>& s) { result = s; },
               [](caf::error&) { FAIL("idle failed"); });
  REQUIRE(result.size() == quota_count);
  for (auto& s : result)
    CHECK(s.idle());
  env.self()->send_exit(arb, caf::exit_reason::user_shutdown);
}
