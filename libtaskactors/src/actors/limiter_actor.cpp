#include "taskactors/limiter_actor.hpp"

#include <unordered_map>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "core/token_pool.hpp"
#include "taskactors/errc.hpp"

namespace taskactors {

namespace detail {

namespace {

// The actor shell around one `token_pool`: it remembers and monitors every client, sends the
// grants the pool makes, reclaims the tokens of a client that dies, and answers the requests
// that wait for every token to be back. Clients are remembered by weak handle: a client that
// holds its limiter strongly would otherwise make a cycle that keeps both, and their actor
// system, alive.
struct limiter_state {
  limiter_state() : tokens("limiter", 1) {}

  limiter_state(const limiter_state&) = delete;
  limiter_state& operator=(const limiter_state&) = delete;

  ~limiter_state() {
    for (auto& rp : idle_waiters)
      rp.deliver(caf::make_error(errc::not_running, "limiter stopped before it became idle"));
  }

  token_pool tokens;
  /// Every client that holds or waits, monitored once.
  std::unordered_map<caf::actor_id, caf::weak_actor_ptr> clients;
  /// Requests waiting for every token to be back.
  std::vector<caf::typed_response_promise<limiter_stats>> idle_waiters;

  static inline const char* name = "taskactors.limiter";
};

using limiter_pointer = limiter_actor::stateful_pointer<limiter_state>;

// Remembers `who` and monitors it, once: its tokens are reclaimed when it dies.
void watch_client(limiter_pointer self, const caf::strong_actor_ptr& who) {
  if (self->state.clients.emplace(who->id(), caf::actor_cast<caf::weak_actor_ptr>(who)).second)
    self->monitor(who);
}

// The id of the current message's sender, or `caf::invalid_actor_id` for an anonymous one.
caf::actor_id sender_id(limiter_pointer self) {
  auto& sender = self->current_sender();
  return sender ? sender->id() : caf::invalid_actor_id;
}

// Sends every grant the pool can make now, then answers the idle waiters if every token is back.
void dispatch(limiter_pointer self) {
  auto& st = self->state;
  for (auto& g : st.tokens.grant(self->clock().now())) {
    auto i = st.clients.find(g.client);
    if (i == st.clients.end())
      continue;
    if (auto client = i->second.lock())
      self->send(caf::actor_cast<lease_client_actor>(client), granted_atom::value, g.ticket);
  }
  if (!st.idle_waiters.empty() && st.tokens.idle()) {
    auto stats = st.tokens.stats();
    for (auto& rp : st.idle_waiters)
      rp.deliver(stats);
    st.idle_waiters.clear();
  }
}

limiter_actor::behavior_type limiter_behavior(limiter_pointer self, std::string name,
                                              std::size_t capacity) {
  self->state.tokens = token_pool(std::move(name), std::max<std::size_t>(capacity, 1));
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    st.tokens.drop_client(dm.source.id());
    st.clients.erase(dm.source.id());
    dispatch(self);
  });
  return {
      [self](acquire_atom, uint64_t ticket) {
        auto& sender = self->current_sender();
        if (!sender)
          return; // An anonymous request can be neither answered nor reclaimed.
        watch_client(self, sender);
        self->state.tokens.enqueue(sender->id(), ticket, self->clock().now());
        dispatch(self);
      },
      [self](withdraw_atom, uint64_t ticket) {
        self->state.tokens.withdraw(sender_id(self), ticket);
        dispatch(self);
      },
      [self](release_atom, std::size_t n) {
        self->state.tokens.release(sender_id(self), n);
        dispatch(self);
      },
      [self](transfer_atom, std::size_t n, caf::actor& holder) {
        if (!holder)
          return;
        watch_client(self, caf::actor_cast<caf::strong_actor_ptr>(holder));
        self->state.tokens.transfer(sender_id(self), holder.id(), n);
      },
      [self](resize_atom, std::size_t new_capacity) -> caf::result<limiter_stats> {
        if (new_capacity == 0)
          return caf::make_error(errc::invalid_argument,
                                 "limiter capacity must be at least 1, got 0");
        self->state.tokens.resize(new_capacity);
        dispatch(self);
        return self->state.tokens.stats();
      },
      [self](stats_atom) { return self->state.tokens.stats(); },
      [self](idle_atom) -> caf::result<limiter_stats> {
        auto& st = self->state;
        if (st.tokens.idle())
          return st.tokens.stats();
        auto rp = self->make_response_promise<limiter_stats>();
        st.idle_waiters.push_back(rp);
        return rp;
      },
  };
}

} // namespace

} // namespace detail

limiter_actor spawn_limiter(caf::actor_system& sys, std::string name, std::size_t capacity) {
  return sys.spawn(detail::limiter_behavior, std::move(name), capacity);
}

} // namespace taskactors
