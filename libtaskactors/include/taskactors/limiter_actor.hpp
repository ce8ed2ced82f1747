#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "taskactors/atoms.hpp"
#include "taskactors/export.hpp"
#include "taskactors/limiter_stats.hpp"

namespace taskactors {

/// A token actor: lends up to `capacity` tokens, first come first served.
///
/// Protocol:
/// - `(acquire, ticket)`: asks for one token. The limiter answers, now or when a token frees up,
///   with `(granted, ticket)` to the requester, which from then on holds the token. The ticket
///   is any number the requester chooses to tell its requests apart.
/// - `(withdraw, ticket)`: drops a request still waiting. A grant already under way still
///   arrives; its receiver then owns a token it must release.
/// - `(release, n)`: the sender returns `n` of its tokens.
/// - `(transfer, n, holder)`: the sender hands `n` of its tokens to `holder`.
/// - `(resize, capacity)`: changes the capacity; growing wakes waiters, shrinking never takes a
///   token back from its holder. Replies with the statistics after the change.
/// - `(stats)`: replies with the statistics.
/// - `(idle)`: replies with the statistics once every token is back and nobody waits.
///
/// Every holder and requester is monitored: when one dies, its tokens return and its waiting
/// requests are dropped, so no path leaks a token.
using limiter_actor =
    caf::typed_actor<caf::reacts_to<acquire_atom, uint64_t>,
                     caf::reacts_to<withdraw_atom, uint64_t>,
                     caf::reacts_to<release_atom, std::size_t>,
                     caf::reacts_to<transfer_atom, std::size_t, caf::actor>,
                     caf::replies_to<resize_atom, std::size_t>::with<limiter_stats>,
                     caf::replies_to<stats_atom>::with<limiter_stats>,
                     caf::replies_to<idle_atom>::with<limiter_stats>>;

/// What a limiter sends to a requester when it grants a token.
using lease_client_actor = caf::typed_actor<caf::reacts_to<granted_atom, uint64_t>>;

/// Spawns a limiter named `name` lending `capacity` tokens (at least 1).
TASKACTORS_API limiter_actor spawn_limiter(caf::actor_system& sys, std::string name,
                                           std::size_t capacity);

} // namespace taskactors
