#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/multi_index/hashed_index.hpp>
#include <boost/multi_index/sequenced_index.hpp>
#include <boost/multi_index_container.hpp>

#include "core/wait_histogram.hpp"
#include "taskactors/limiter_stats.hpp"
#include "taskactors/task_info.hpp"

namespace taskactors::detail {

/// Identifies a client of a limiter (an actor id in the actor shell).
using client_id = uint64_t;

/// A request that `grant` decided to serve.
struct token_grant {
  client_id client;
  uint64_t ticket;
};

/// The token accounting of one limiter, with no actor inside: a FIFO of waiting requests, the
/// tokens each client holds, and statistics. Time is a parameter.
class token_pool {
public:
  token_pool(std::string name, std::size_t capacity);

  /// Queues a request of `client` for one token. Returns false, changing nothing, if the client
  /// already waits with `ticket`. Call `grant` afterwards.
  bool enqueue(client_id client, uint64_t ticket, time_point now);

  /// Drops a waiting request. Returns false if it was not waiting.
  bool withdraw(client_id client, uint64_t ticket);

  /// Returns up to `n` of the client's tokens; returns how many it held and gave back.
  std::size_t release(client_id client, std::size_t n);

  /// Hands up to `n` tokens of `from` to `to`; returns how many moved.
  std::size_t transfer(client_id from, client_id to, std::size_t n);

  /// Forgets a client that died: reclaims its tokens and drops its waiting requests. Returns the
  /// number of tokens reclaimed.
  std::size_t drop_client(client_id client);

  /// Sets the capacity. Holders keep their tokens when it shrinks.
  void resize(std::size_t capacity);

  /// Grants waiting requests, first come first served, while tokens are available.
  std::vector<token_grant> grant(time_point now);

  /// Tokens `client` holds.
  std::size_t held_by(client_id client) const noexcept;

  /// Returns whether `client` holds tokens or waits.
  bool knows(client_id client) const noexcept;

  limiter_stats stats() const;

  std::size_t capacity() const noexcept { return capacity_; }

  std::size_t borrowed() const noexcept { return borrowed_; }

  std::size_t waiting() const noexcept { return waiters_.size(); }

  /// Returns whether nobody holds a token and no request waits.
  bool idle() const noexcept { return borrowed_ == 0 && waiters_.empty(); }

private:
  struct waiter {
    client_id client;
    uint64_t ticket;
    time_point since;
  };

  struct request_key {
    using result_type = std::pair<client_id, uint64_t>;
    result_type operator()(const waiter& x) const noexcept { return {x.client, x.ticket}; }
  };

  struct request_hash {
    std::size_t operator()(const std::pair<client_id, uint64_t>& x) const noexcept {
      return std::hash<uint64_t>{}(x.first * 0x9E3779B97F4A7C15ull ^ x.second);
    }
  };

  struct by_request {};

  /// First come first served, with withdrawal by (client, ticket) in O(1).
  using waiter_queue = boost::multi_index_container<
      waiter, boost::multi_index::indexed_by<
                  boost::multi_index::sequenced<>,
                  boost::multi_index::hashed_unique<boost::multi_index::tag<by_request>,
                                                    request_key, request_hash>>>;

  void take(client_id client, std::size_t n);

  void count_waiting(client_id client, int delta);

  std::string name_;
  std::size_t capacity_;
  std::size_t borrowed_ = 0;
  std::size_t peak_borrowed_ = 0;
  std::size_t grants_ = 0;
  waiter_queue waiters_;
  /// Waiting requests per client, so that a client's death scans the queue only if it waits.
  std::unordered_map<client_id, std::size_t> waiting_by_client_;
  std::unordered_map<client_id, std::size_t> holders_;
  wait_histogram waits_;
};

} // namespace taskactors::detail
