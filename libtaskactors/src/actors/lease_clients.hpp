#pragma once

#include <caf/actor_addr.hpp>
#include <caf/actor_control_block.hpp>

namespace taskactors::detail {

// What the token actors (the limiter and the manager's arbiter) share about their clients. Both
// keep `state.clients`, a map from actor id to a weak handle of every client that holds or
// waits: weak, because the manager holds its arbiter strongly, and a cycle of strong handles
// would keep a manager that nobody references alive, and its actor system from stopping.

/// Remembers `who` and monitors it, once: its tokens are reclaimed when it dies.
template <class Self>
void watch_client(Self self, const caf::strong_actor_ptr& who) {
  if (self->state.clients.emplace(who->id(), caf::actor_cast<caf::weak_actor_ptr>(who)).second)
    self->monitor(who);
}

/// The id of the current message's sender, or `caf::invalid_actor_id` for an anonymous one.
template <class Self>
caf::actor_id sender_id(Self self) {
  auto& sender = self->current_sender();
  return sender ? sender->id() : caf::invalid_actor_id;
}

} // namespace taskactors::detail
