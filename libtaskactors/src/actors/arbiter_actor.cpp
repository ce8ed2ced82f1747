#include "actors/arbiter_actor.hpp"

#include <caf/actor_cast.hpp>
#include <caf/system_messages.hpp>

#include "actors/lease_clients.hpp"
#include "taskactors/errc.hpp"

namespace taskactors::detail {

arbiter_state::arbiter_state() : tokens({1, 1, 1}) {}

arbiter_state::~arbiter_state() {
  for (auto& rp : idle_waiters)
    rp.deliver(caf::make_error(errc::not_running, "token arbiter stopped before it became idle"));
}

namespace {

// Sends every grant that can be made now, then answers idle waiters if every token is back.
void dispatch(arbiter_pointer self) {
  auto& st = self->state;
  for (auto& g : st.tokens.grant(self->clock().now())) {
    auto i = st.clients.find(g.client);
    if (i == st.clients.end())
      continue;
    if (auto client = i->second.lock())
      self->send(caf::actor_cast<arbiter_client_actor>(client), granted_atom::value, g.ticket,
                 g.quotas);
  }
  if (!st.idle_waiters.empty() && st.tokens.idle()) {
    auto stats = st.tokens.stats();
    for (auto& rp : st.idle_waiters)
      rp.deliver(stats);
    st.idle_waiters.clear();
  }
}

} // namespace

arbiter_actor::behavior_type arbiter_behavior(arbiter_pointer self,
                                              std::array<std::size_t, quota_count> capacities) {
  self->state.tokens = token_arbiter{capacities};
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    st.tokens.drop_client(dm.source.id());
    st.clients.erase(dm.source.id());
    dispatch(self);
  });
  return {
      [self](acquire_atom, uint64_t ticket, quota_mask quotas) {
        auto sender = self->current_sender();
        if (!sender)
          return; // An anonymous request cannot be answered (nor reclaimed).
        watch_client(self, sender);
        self->state.tokens.enqueue(sender->id(), ticket, quotas, self->clock().now());
        dispatch(self);
      },
      [self](withdraw_atom, uint64_t ticket) {
        self->state.tokens.withdraw(sender_id(self), ticket);
        dispatch(self);
      },
      [self](release_atom, quota_mask quotas) {
        self->state.tokens.release(sender_id(self), quotas);
        dispatch(self);
      },
      [self](resize_atom, quota q, std::size_t capacity) -> caf::result<limiter_stats> {
        if (static_cast<std::size_t>(q) >= quota_count)
          return caf::make_error(errc::invalid_argument, "unknown quota");
        if (capacity == 0)
          return caf::make_error(errc::invalid_argument,
                                 "quota capacity must be at least 1, got 0");
        self->state.tokens.resize(q, capacity);
        dispatch(self);
        return self->state.tokens.pool(q).stats();
      },
      [self](stats_atom) { return self->state.tokens.stats(); },
      [self](idle_atom) -> caf::result<std::vector<limiter_stats>> {
        auto& st = self->state;
        if (st.tokens.idle())
          return st.tokens.stats();
        auto rp = self->make_response_promise<std::vector<limiter_stats>>();
        st.idle_waiters.push_back(rp);
        return rp;
      },
  };
}

} // namespace taskactors::detail
