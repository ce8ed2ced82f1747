#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/token_pool.hpp"
#include "taskactors/limiter_stats.hpp"
#include "taskactors/task_state.hpp"

namespace taskactors::detail {

/// A set of quotas, one bit per `quota`.
using quota_mask = uint8_t;

constexpr quota_mask mask_of(quota q) noexcept {
  return static_cast<quota_mask>(1u << static_cast<unsigned>(q));
}

/// A request that `token_arbiter::grant` served in full.
struct arbiter_grant {
  client_id client;
  uint64_t ticket;
  quota_mask quotas;
};

/// The token accounting of the manager's three quotas in one place, with no actor inside: a
/// request names the quotas it needs and is granted once it holds one token of each.
///
/// A request acquires its quotas one at a time, the scarcer kind quota (thread, process) before
/// the global one, each in its pool's FIFO order: no request holds a global token while it waits
/// for a thread or process token. A token a request acquired on its way counts as its client's
/// from then on; it goes back if the request is withdrawn or the client is dropped. Doing this in
/// one place costs one message each way per task instead of one per quota.
class token_arbiter {
public:
  /// Pool `i` lends `capacities[i]` tokens of `quota(i)`.
  explicit token_arbiter(const std::array<std::size_t, quota_count>& capacities);

  /// Queues `client`'s request `ticket` for one token of each quota in `quotas`. Returns false,
  /// changing nothing, if the client already has a request with that ticket or `quotas` is
  /// empty. Call `grant` afterwards.
  bool enqueue(client_id client, uint64_t ticket, quota_mask quotas, time_point now);

  /// Drops a request not granted yet and returns the tokens it acquired on its way. Returns
  /// false if there was no such request.
  bool withdraw(client_id client, uint64_t ticket);

  /// Returns one of the client's tokens of each quota in `quotas`; returns the quotas it held a
  /// token of.
  quota_mask release(client_id client, quota_mask quotas);

  /// Forgets a client that died: its tokens return and its requests are dropped. Returns the
  /// number of tokens reclaimed.
  std::size_t drop_client(client_id client);

  /// Sets the capacity of quota `q`. Holders keep their tokens when it shrinks.
  void resize(quota q, std::size_t capacity);

  /// Moves requests on while tokens are free and returns those now granted in full.
  std::vector<arbiter_grant> grant(time_point now);

  /// Tokens of `q` that `client` holds, counting those held by its requests on their way.
  std::size_t held_by(client_id client, quota q) const noexcept;

  /// Returns whether nobody holds a token and no request waits.
  bool idle() const noexcept;

  /// The statistics of each quota, indexed by `quota`.
  std::vector<limiter_stats> stats() const;

  const token_pool& pool(quota q) const noexcept { return pools_[static_cast<std::size_t>(q)]; }

private:
  struct request_key {
    client_id client;
    uint64_t ticket;
    bool operator==(const request_key&) const = default;
  };

  struct request_hash {
    std::size_t operator()(const request_key& x) const noexcept {
      return std::hash<uint64_t>{}(x.client * 0x9E3779B97F4A7C15ull ^ x.ticket);
    }
  };

  /// A request on its way: the quotas it needs, and those it holds already.
  struct request {
    quota_mask quotas;
    quota_mask held;
  };

  token_pool& pool_of(quota q) noexcept { return pools_[static_cast<std::size_t>(q)]; }

  /// The quota a request acquires next, given what it holds.
  static quota next_quota(const request& r) noexcept;

  /// Returns the tokens `r` holds.
  void give_back(client_id client, const request& r);

  std::array<token_pool, quota_count> pools_;
  std::unordered_map<request_key, request, request_hash> requests_;
  /// Requests per client, so that a client's death scans the table only if it has any.
  std::unordered_map<client_id, std::size_t> requests_by_client_;
};

} // namespace taskactors::detail
