#include <catch2/catch.hpp>

#include "core/token_pool.hpp"

using namespace taskactors;
using namespace taskactors::detail;
using namespace std::chrono_literals;

namespace {

constexpr client_id alice = 1;
constexpr client_id bob = 2;

std::vector<uint64_t> tickets(const std::vector<token_grant>& grants) {
  std::vector<uint64_t> result;
  for (auto& g : grants)
    result.push_back(g.ticket);
  return result;
}

} // namespace

TEST_CASE("token pool: grants at once while tokens are free", "[unit]") {
  token_pool pool{"global", 2};
  time_point t0{};
  CHECK(pool.enqueue(alice, 1, t0));
  CHECK(pool.enqueue(alice, 2, t0));
  CHECK(pool.enqueue(alice, 3, t0));
  CHECK(tickets(pool.grant(t0)) == std::vector<uint64_t>{1, 2});
  CHECK(pool.borrowed() == 2);
  CHECK(pool.waiting() == 1);
  CHECK(pool.held_by(alice) == 2);
}

TEST_CASE("token pool: serves waiters first come first served", "[unit]") {
  token_pool pool{"global", 1};
  time_point t0{};
  pool.enqueue(alice, 1, t0);
  pool.grant(t0);
  pool.enqueue(bob, 10, t0);
  pool.enqueue(alice, 2, t0);
  pool.enqueue(bob, 11, t0);
  std::vector<uint64_t> order;
  for (int i = 0; i < 3; ++i) {
    auto holder = pool.held_by(alice) > 0 ? alice : bob;
    CHECK(pool.release(holder, 1) == 1);
    auto granted = tickets(pool.grant(t0));
    REQUIRE(granted.size() == 1);
    order.push_back(granted.front());
  }
  CHECK(order == std::vector<uint64_t>{10, 2, 11});
}

TEST_CASE("token pool: refuses a duplicate request and withdraws a waiting one", "[unit]") {
  token_pool pool{"thread", 1};
  time_point t0{};
  pool.enqueue(alice, 1, t0);
  pool.grant(t0);
  CHECK(pool.enqueue(bob, 7, t0));
  CHECK_FALSE(pool.enqueue(bob, 7, t0));
  CHECK(pool.waiting() == 1);
  CHECK(pool.withdraw(bob, 7));
  CHECK_FALSE(pool.withdraw(bob, 7));
  pool.release(alice, 1);
  CHECK(pool.grant(t0).empty());
  CHECK(pool.stats().idle());
}

TEST_CASE("token pool: a dead client's tokens and requests are reclaimed", "[unit]") {
  token_pool pool{"global", 2};
  time_point t0{};
  pool.enqueue(alice, 1, t0);
  pool.enqueue(alice, 2, t0);
  pool.enqueue(alice, 3, t0);
  pool.enqueue(bob, 1, t0);
  pool.grant(t0);
  CHECK(pool.drop_client(alice) == 2);
  CHECK_FALSE(pool.knows(alice));
  // Alice's third request is gone: Bob is next.
  CHECK(tickets(pool.grant(t0)) == std::vector<uint64_t>{1});
  CHECK(pool.held_by(bob) == 1);
  CHECK(pool.borrowed() == 1);
}

TEST_CASE("token pool: transfer moves tokens between holders", "[unit]") {
  token_pool pool{"process", 3};
  time_point t0{};
  pool.enqueue(alice, 1, t0);
  pool.enqueue(alice, 2, t0);
  pool.grant(t0);
  CHECK(pool.transfer(alice, bob, 1) == 1);
  CHECK(pool.held_by(alice) == 1);
  CHECK(pool.held_by(bob) == 1);
  CHECK(pool.transfer(alice, bob, 5) == 1); // only what Alice holds
  CHECK(pool.transfer(alice, bob, 1) == 0);
  CHECK(pool.borrowed() == 2);
  CHECK(pool.drop_client(bob) == 2);
  CHECK(pool.borrowed() == 0);
}

TEST_CASE("token pool: over-release returns only what is held", "[unit]") {
  token_pool pool{"global", 2};
  time_point t0{};
  pool.enqueue(alice, 1, t0);
  pool.grant(t0);
  CHECK(pool.release(bob, 1) == 0);
  CHECK(pool.release(alice, 3) == 1);
  CHECK(pool.borrowed() == 0);
}

TEST_CASE("token pool: growing wakes waiters, shrinking never preempts", "[unit]") {
  token_pool pool{"global", 2};
  time_point t0{};
  for (uint64_t t = 1; t <= 5; ++t)
    pool.enqueue(alice, t, t0);
  CHECK(pool.grant(t0).size() == 2);
  pool.resize(4);
  CHECK(tickets(pool.grant(t0)) == std::vector<uint64_t>{3, 4});
  pool.resize(1);
  CHECK(pool.grant(t0).empty());
  CHECK(pool.borrowed() == 4); // nobody lost a token
  CHECK(pool.stats().available() == 0);
  pool.release(alice, 3);
  CHECK(pool.grant(t0).empty()); // 1 borrowed of capacity 1: still full
  pool.release(alice, 1);
  CHECK(tickets(pool.grant(t0)) == std::vector<uint64_t>{5});
}

TEST_CASE("token pool: statistics count grants, peaks and wait times", "[unit]") {
  token_pool pool{"global", 1};
  time_point t0{};
  pool.enqueue(alice, 1, t0);
  pool.grant(t0); // no wait
  pool.enqueue(alice, 2, t0);
  pool.release(alice, 1);
  pool.grant(t0 + 40ms); // waited 40 ms
  auto stats = pool.stats();
  CHECK(stats.name == "global");
  CHECK(stats.capacity == 1);
  CHECK(stats.borrowed == 1);
  CHECK(stats.peak_borrowed == 1);
  CHECK(stats.grants == 2);
  CHECK(stats.waiting == 0);
  CHECK(stats.wait_p50 == caf::timespan{0});
  CHECK(stats.wait_p99 >= 40ms);
  CHECK(stats.wait_p99 <= 47ms); // the bin's upper edge: within ~15%
}
