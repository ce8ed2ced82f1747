#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor_control_block.hpp>
#include <caf/typed_response_promise.hpp>

#include "core/token_pool.hpp"
#include "taskactors/limiter_actor.hpp"

namespace taskactors::detail {

/// The limiter actor's state: the token pool plus the handles of the clients it monitors.
struct limiter_state {
  limiter_state();
  ~limiter_state();

  token_pool pool;
  /// Every client that holds or waits, monitored once.
  std::unordered_map<caf::actor_id, caf::weak_actor_ptr> clients;
  /// Requests waiting for the limiter to become idle.
  std::vector<caf::typed_response_promise<limiter_stats>> idle_waiters;

  static inline const char* name = "taskactors.limiter";
};

using limiter_pointer = limiter_actor::stateful_pointer<limiter_state>;

/// The limiter's behavior; spawn it with `spawn(limiter_behavior, name, capacity)`.
limiter_actor::behavior_type limiter_behavior(limiter_pointer self, std::string name,
                                              std::size_t capacity);

} // namespace taskactors::detail
