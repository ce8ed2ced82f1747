#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/token_shell.hpp"
#include "core/token_arbiter.hpp"
#include "taskactors/atoms.hpp"
#include "taskactors/limiter_stats.hpp"

namespace taskactors::detail {

/// The manager's token actor: the global, thread and process quotas in one actor, so that a task
/// gets all the tokens it needs with one request and one grant, and returns them with one
/// message.
///
/// Protocol (as the limiter's, with a set of quotas in each request):
/// - `(acquire, ticket, quotas)`: asks for one token of each quota in `quotas`. The arbiter
///   answers `(granted, ticket, quotas)` once the requester holds all of them.
/// - `(withdraw, ticket)`: drops a request not granted yet; tokens it acquired on its way go
///   back. A grant already under way still arrives; its receiver then owns tokens to release.
/// - `(release, quotas)`: the sender returns one token of each quota in `quotas`.
/// - `(resize, quota, capacity)`: changes one quota's capacity (growing wakes waiters, shrinking
///   preempts nobody) and replies with that quota's statistics.
/// - `(stats)`: replies with the statistics of every quota, indexed by `quota`.
/// - `(idle)`: the same, once every token is back and nobody waits.
///
/// Every requester is monitored: when one dies, its tokens return and its requests are dropped.
using arbiter_actor =
    caf::typed_actor<caf::reacts_to<acquire_atom, uint64_t, quota_mask>,
                     caf::reacts_to<withdraw_atom, uint64_t>,
                     caf::reacts_to<release_atom, quota_mask>,
                     caf::replies_to<resize_atom, quota, std::size_t>::with<limiter_stats>,
                     caf::replies_to<stats_atom>::with<std::vector<limiter_stats>>,
                     caf::replies_to<idle_atom>::with<std::vector<limiter_stats>>>;

/// What the arbiter sends a requester when it grants a request.
using arbiter_client_actor = caf::typed_actor<caf::reacts_to<granted_atom, uint64_t, quota_mask>>;

struct arbiter_state : token_shell_state<token_arbiter> {
  arbiter_state() : token_shell_state(token_arbiter{{1, 1, 1}}) {}

  static inline const char* name = "taskactors.arbiter";
};

using arbiter_pointer = arbiter_actor::stateful_pointer<arbiter_state>;

/// The arbiter's behavior; spawn it with `spawn(arbiter_behavior, capacities)`.
arbiter_actor::behavior_type arbiter_behavior(arbiter_pointer self,
                                              std::array<std::size_t, quota_count> capacities);

} // namespace taskactors::detail
