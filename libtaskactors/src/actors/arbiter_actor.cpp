#include "actors/arbiter_actor.hpp"

namespace taskactors::detail {

namespace {

void dispatch(arbiter_pointer self) {
  dispatch_grants(self, [self](const caf::strong_actor_ptr& client, const arbiter_grant& g) {
    self->send(caf::actor_cast<arbiter_client_actor>(client), granted_atom::value, g.ticket,
               g.quotas);
  });
}

} // namespace

arbiter_actor::behavior_type arbiter_behavior(arbiter_pointer self,
                                              std::array<std::size_t, quota_count> capacities) {
  self->state.tokens = token_arbiter{capacities};
  reclaim_on_down(self, dispatch);
  return {
      [self](acquire_atom, uint64_t ticket, quota_mask quotas) {
        auto client = admit_sender(self);
        if (client == caf::invalid_actor_id)
          return;
        self->state.tokens.enqueue(client, ticket, quotas, self->clock().now());
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
      [self](idle_atom) { return reply_when_idle(self); },
  };
}

} // namespace taskactors::detail
