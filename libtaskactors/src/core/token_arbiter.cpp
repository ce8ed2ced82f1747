#include "core/token_arbiter.hpp"

#include <string>

namespace taskactors::detail {

namespace {

std::array<token_pool, quota_count>
make_pools(const std::array<std::size_t, quota_count>& capacities) {
  auto pool = [&](quota q) {
    return token_pool{std::string{to_string(q)},
                      std::max<std::size_t>(capacities[static_cast<std::size_t>(q)], 1)};
  };
  return {pool(quota::global), pool(quota::thread), pool(quota::process)};
}

} // namespace

token_arbiter::token_arbiter(const std::array<std::size_t, quota_count>& capacities)
    : pools_(make_pools(capacities)) {}

quota token_arbiter::next_quota(const request& r) noexcept {
  auto missing = static_cast<quota_mask>(r.quotas & ~r.held);
  // The kind quotas first, the global one last.
  for (auto q : {quota::thread, quota::process})
    if (missing & mask_of(q))
      return q;
  return quota::global;
}

bool token_arbiter::enqueue(client_id client, uint64_t ticket, quota_mask quotas, time_point now) {
  quotas &= static_cast<quota_mask>((1u << quota_count) - 1);
  if (quotas == 0)
    return false;
  auto [i, added] = requests_.emplace(request_key{client, ticket}, request{quotas, 0});
  if (!added)
    return false;
  ++requests_by_client_[client];
  pool_of(next_quota(i->second)).enqueue(client, ticket, now);
  return true;
}

void token_arbiter::give_back(client_id client, const request& r) {
  for (std::size_t q = 0; q < quota_count; ++q)
    if (r.held & mask_of(static_cast<quota>(q)))
      pools_[q].release(client, 1);
}

bool token_arbiter::withdraw(client_id client, uint64_t ticket) {
  auto i = requests_.find(request_key{client, ticket});
  if (i == requests_.end())
    return false;
  pool_of(next_quota(i->second)).withdraw(client, ticket);
  give_back(client, i->second);
  requests_.erase(i);
  if (--requests_by_client_[client] == 0)
    requests_by_client_.erase(client);
  return true;
}

quota_mask token_arbiter::release(client_id client, quota_mask quotas) {
  quota_mask returned = 0;
  for (std::size_t q = 0; q < quota_count; ++q) {
    auto bit = mask_of(static_cast<quota>(q));
    if ((quotas & bit) && pools_[q].release(client, 1) == 1)
      returned |= bit;
  }
  return returned;
}

std::size_t token_arbiter::drop_client(client_id client) {
  if (requests_by_client_.erase(client) > 0)
    std::erase_if(requests_, [client](auto& kv) { return kv.first.client == client; });
  std::size_t reclaimed = 0;
  for (auto& pool : pools_)
    reclaimed += pool.drop_client(client);
  return reclaimed;
}

void token_arbiter::resize(quota q, std::size_t capacity) {
  pool_of(q).resize(std::max<std::size_t>(capacity, 1));
}

std::vector<arbiter_grant> token_arbiter::grant(time_point now) {
  std::vector<arbiter_grant> result;
  // A grant of a kind token moves its request on to the global queue, which may grant it at
  // once: go round until no pool grants anything.
  for (bool moved = true; moved;) {
    moved = false;
    for (auto& pool : pools_)
      for (auto& g : pool.grant(now)) {
        moved = true;
        auto i = requests_.find(request_key{g.client, g.ticket});
        auto q = static_cast<quota>(&pool - pools_.data());
        if (i == requests_.end()) {
          pool.release(g.client, 1); // cannot happen: withdrawn requests leave their queue
          continue;
        }
        i->second.held |= mask_of(q);
        if (i->second.held == i->second.quotas) {
          result.push_back(arbiter_grant{g.client, g.ticket, i->second.quotas});
          requests_.erase(i);
          if (--requests_by_client_[g.client] == 0)
            requests_by_client_.erase(g.client);
        } else {
          pool_of(next_quota(i->second)).enqueue(g.client, g.ticket, now);
        }
      }
  }
  return result;
}

std::size_t token_arbiter::held_by(client_id client, quota q) const noexcept {
  return pools_[static_cast<std::size_t>(q)].held_by(client);
}

bool token_arbiter::idle() const noexcept {
  for (auto& pool : pools_)
    if (pool.borrowed() != 0 || pool.waiting() != 0)
      return false;
  return true;
}

std::vector<limiter_stats> token_arbiter::stats() const {
  std::vector<limiter_stats> result;
  result.reserve(quota_count);
  for (auto& pool : pools_)
    result.push_back(pool.stats());
  return result;
}

} // namespace taskactors::detail
