#include <catch2/catch.hpp>

#include <tuple>

#include "core/token_arbiter.hpp"

using namespace taskactors;
using namespace taskactors::detail;

namespace {

constexpr client_id alice = 1;
constexpr client_id bob = 2;

constexpr quota_mask global_only = mask_of(quota::global);
constexpr quota_mask thread_task = mask_of(quota::thread) | mask_of(quota::global);
constexpr quota_mask process_task = mask_of(quota::process) | mask_of(quota::global);

std::vector<uint64_t> tickets(const std::vector<arbiter_grant>& grants) {
  std::vector<uint64_t> result;
  for (auto& g : grants)
    result.push_back(g.ticket);
  return result;
}

std::size_t borrowed(const token_arbiter& arb, quota q) {
  return arb.pool(q).borrowed();
}

std::size_t waiting(const token_arbiter& arb, quota q) {
  return arb.pool(q).waiting();
}

} // namespace

TEST_CASE("token arbiter: a request is granted once it holds a token of each quota it names",
          "[unit]") {
  token_arbiter arb{{2, 1, 1}};
  time_point t0{};
  REQUIRE(arb.enqueue(alice, 1, thread_task, t0));
  auto grants = arb.grant(t0);
  REQUIRE(grants.size() == 1);
  CHECK(grants[0].client == alice);
  CHECK(grants[0].ticket == 1);
  CHECK(grants[0].quotas == thread_task);
  CHECK(borrowed(arb, quota::global) == 1);
  CHECK(borrowed(arb, quota::thread) == 1);
  CHECK(borrowed(arb, quota::process) == 0);
  CHECK(arb.release(alice, thread_task) == thread_task);
  CHECK(arb.idle());
}

TEST_CASE("token arbiter: a two-quota request waits for its scarce token holding nothing else",
          "[unit]") {
  // The kind's token first, the global one second: a task that waits for a thread token holds
  // no global token meanwhile, so it cannot starve tasks that need only a global one; and with
  // one fixed order there is no cycle, hence no deadlock.
  token_arbiter arb{{2, 1, 1}};
  time_point t0{};
  arb.enqueue(alice, 1, thread_task, t0);
  CHECK(tickets(arb.grant(t0)) == std::vector<uint64_t>{1});
  arb.enqueue(alice, 2, thread_task, t0);
  CHECK(arb.grant(t0).empty());
  CHECK(waiting(arb, quota::thread) == 1);
  CHECK(borrowed(arb, quota::global) == 1);
  // An async task gets the second global token while the thread task waits; another one
  // queues for a global token.
  arb.enqueue(bob, 3, global_only, t0);
  CHECK(tickets(arb.grant(t0)) == std::vector<uint64_t>{3});
  arb.enqueue(bob, 4, global_only, t0);
  CHECK(arb.grant(t0).empty());
  // The first thread task ends: the waiting one gets its thread token, then waits its turn for
  // a global one, behind the async task that queued first.
  arb.release(alice, thread_task);
  CHECK(tickets(arb.grant(t0)) == std::vector<uint64_t>{4});
  CHECK(borrowed(arb, quota::thread) == 1);
  CHECK(waiting(arb, quota::global) == 1);
  arb.release(bob, global_only);
  CHECK(tickets(arb.grant(t0)) == std::vector<uint64_t>{2});
}

TEST_CASE("token arbiter: serves each quota first come first served", "[unit]") {
  token_arbiter arb{{1, 4, 4}};
  time_point t0{};
  arb.enqueue(alice, 1, global_only, t0);
  arb.grant(t0);
  // Each reaches the global queue when its kind's token is granted (the actor grants after
  // every message).
  for (auto [who, ticket, quotas] :
       {std::tuple{bob, 10, process_task}, std::tuple{alice, 2, global_only},
        std::tuple{bob, 11, thread_task}}) {
    arb.enqueue(who, static_cast<uint64_t>(ticket), quotas, t0);
    CHECK(arb.grant(t0).empty());
  }
  // The global queue holds them in the order they reached it.
  std::vector<uint64_t> order;
  arb.release(alice, global_only);
  for (int i = 0; i < 3; ++i) {
    auto grants = arb.grant(t0);
    REQUIRE(grants.size() == 1);
    order.push_back(grants[0].ticket);
    arb.release(grants[0].client, grants[0].quotas);
  }
  CHECK(order == std::vector<uint64_t>{10, 2, 11});
}

TEST_CASE("token arbiter: a withdrawn request returns the tokens it took on its way", "[unit]") {
  token_arbiter arb{{1, 2, 1}};
  time_point t0{};
  arb.enqueue(alice, 1, global_only, t0);
  arb.grant(t0);
  arb.enqueue(bob, 2, thread_task, t0);
  CHECK(arb.grant(t0).empty());
  CHECK(arb.held_by(bob, quota::thread) == 1); // on its way: waits for the global token
  CHECK(arb.withdraw(bob, 2));
  CHECK(arb.held_by(bob, quota::thread) == 0);
  CHECK(waiting(arb, quota::global) == 0);
  CHECK_FALSE(arb.withdraw(bob, 2));
  arb.release(alice, global_only);
  CHECK(arb.grant(t0).empty());
  CHECK(arb.idle());
}

TEST_CASE("token arbiter: a dropped client's tokens and requests are reclaimed", "[unit]") {
  token_arbiter arb{{2, 1, 1}};
  time_point t0{};
  arb.enqueue(alice, 1, thread_task, t0);
  arb.enqueue(alice, 2, thread_task, t0);
  arb.enqueue(bob, 3, thread_task, t0);
  CHECK(tickets(arb.grant(t0)) == std::vector<uint64_t>{1});
  CHECK(arb.drop_client(alice) == 2);
  CHECK(tickets(arb.grant(t0)) == std::vector<uint64_t>{3});
  arb.release(bob, thread_task);
  CHECK(arb.idle());
}

TEST_CASE("token arbiter: refuses a duplicate ticket and an empty set of quotas", "[unit]") {
  token_arbiter arb{{1, 1, 1}};
  time_point t0{};
  CHECK(arb.enqueue(alice, 1, global_only, t0));
  CHECK_FALSE(arb.enqueue(alice, 1, thread_task, t0));
  CHECK(arb.enqueue(bob, 1, global_only, t0)); // tickets are per client
  CHECK_FALSE(arb.enqueue(alice, 2, 0, t0));
  CHECK(tickets(arb.grant(t0)) == std::vector<uint64_t>{1});
  CHECK(waiting(arb, quota::global) == 1);
}

TEST_CASE("token arbiter: growing a quota moves its waiters on, shrinking preempts nobody",
          "[unit]") {
  token_arbiter arb{{4, 1, 1}};
  time_point t0{};
  for (uint64_t t = 1; t <= 3; ++t)
    arb.enqueue(alice, t, thread_task, t0);
  CHECK(arb.grant(t0).size() == 1);
  arb.resize(quota::thread, 3);
  CHECK(tickets(arb.grant(t0)) == std::vector<uint64_t>{2, 3});
  arb.resize(quota::thread, 1);
  CHECK(borrowed(arb, quota::thread) == 3);
  CHECK(arb.stats()[static_cast<std::size_t>(quota::thread)].capacity == 1);
  CHECK(arb.release(alice, mask_of(quota::thread)) == mask_of(quota::thread));
  CHECK(arb.release(bob, thread_task) == 0); // bob holds nothing
}

TEST_CASE("token arbiter: statistics per quota, by name", "[unit]") {
  token_arbiter arb{{3, 2, 1}};
  auto stats = arb.stats();
  REQUIRE(stats.size() == quota_count);
  CHECK(stats[0].name == "global");
  CHECK(stats[1].name == "thread");
  CHECK(stats[2].name == "process");
  CHECK(stats[0].capacity == 3);
  CHECK(stats[1].capacity == 2);
  CHECK(stats[2].capacity == 1);
}
