#pragma once

#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_response_promise.hpp>

#include "taskactors/errc.hpp"

namespace taskactors::detail {

// The actor shell around a token accounting core (`token_pool` for a limiter, `token_arbiter`
// for the manager's quotas): it remembers and monitors every client, sends the grants the core
// makes, reclaims the tokens of a client that dies, and answers the requests that wait for every
// token to be back. Each token actor adds only the handlers that speak its protocol.
//
// Clients are remembered by weak handle: the manager holds its arbiter strongly, and a cycle of
// strong handles would keep a manager that nobody references alive, and its actor system from
// stopping.

/// The state of a token actor over the core `Tokens`.
template <class Tokens>
struct token_shell_state {
  using stats_type = decltype(std::declval<const Tokens&>().stats());

  explicit token_shell_state(Tokens core) : tokens(std::move(core)) {}

  token_shell_state(const token_shell_state&) = delete;
  token_shell_state& operator=(const token_shell_state&) = delete;

  ~token_shell_state() {
    for (auto& rp : idle_waiters)
      rp.deliver(caf::make_error(errc::not_running, "token actor stopped before it became idle"));
  }

  Tokens tokens;
  /// Every client that holds or waits, monitored once.
  std::unordered_map<caf::actor_id, caf::weak_actor_ptr> clients;
  /// Requests waiting for every token to be back.
  std::vector<caf::typed_response_promise<stats_type>> idle_waiters;
};

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

/// Watches the sender of the current request and returns its id; an anonymous request can be
/// neither answered nor reclaimed, and gets `caf::invalid_actor_id`.
template <class Self>
caf::actor_id admit_sender(Self self) {
  auto& sender = self->current_sender();
  if (!sender)
    return caf::invalid_actor_id;
  watch_client(self, sender);
  return sender->id();
}

/// Sends, by `send(client, grant)`, every grant the core can make now, then answers the idle
/// waiters if every token is back.
template <class Self, class Send>
void dispatch_grants(Self self, Send&& send) {
  auto& st = self->state;
  for (auto& g : st.tokens.grant(self->clock().now())) {
    auto i = st.clients.find(g.client);
    if (i == st.clients.end())
      continue;
    if (auto client = i->second.lock())
      send(client, g);
  }
  if (!st.idle_waiters.empty() && st.tokens.idle()) {
    auto stats = st.tokens.stats();
    for (auto& rp : st.idle_waiters)
      rp.deliver(stats);
    st.idle_waiters.clear();
  }
}

/// Makes a client's death return its tokens and drop its requests; `dispatch(self)` then hands
/// them on.
template <class Self, class Dispatch>
void reclaim_on_down(Self self, Dispatch dispatch) {
  self->set_down_handler([self, dispatch](caf::down_msg& dm) {
    auto& st = self->state;
    st.tokens.drop_client(dm.source.id());
    st.clients.erase(dm.source.id());
    dispatch(self);
  });
}

/// Answers an `idle` request: the statistics now if every token is back, else once they are.
template <class Self>
auto reply_when_idle(Self self)
    -> caf::result<typename std::remove_reference_t<decltype(self->state)>::stats_type> {
  using stats_type = typename std::remove_reference_t<decltype(self->state)>::stats_type;
  auto& st = self->state;
  if (st.tokens.idle())
    return st.tokens.stats();
  auto rp = self->template make_response_promise<stats_type>();
  st.idle_waiters.push_back(rp);
  return rp;
}

} // namespace taskactors::detail
