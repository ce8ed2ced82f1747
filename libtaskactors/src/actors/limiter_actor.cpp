#include "taskactors/limiter_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/token_shell.hpp"
#include "core/token_pool.hpp"

namespace taskactors {

namespace detail {

namespace {

// A limiter is the token shell around one `token_pool`.
struct limiter_state : token_shell_state<token_pool> {
  limiter_state() : token_shell_state(token_pool("limiter", 1)) {}

  static inline const char* name = "taskactors.limiter";
};

using limiter_pointer = limiter_actor::stateful_pointer<limiter_state>;

void dispatch(limiter_pointer self) {
  dispatch_grants(self, [self](const caf::strong_actor_ptr& client, const token_grant& g) {
    self->send(caf::actor_cast<lease_client_actor>(client), granted_atom::value, g.ticket);
  });
}

limiter_actor::behavior_type limiter_behavior(limiter_pointer self, std::string name,
                                              std::size_t capacity) {
  self->state.tokens = token_pool(std::move(name), std::max<std::size_t>(capacity, 1));
  reclaim_on_down(self, dispatch);
  return {
      [self](acquire_atom, uint64_t ticket) {
        auto client = admit_sender(self);
        if (client == caf::invalid_actor_id)
          return;
        self->state.tokens.enqueue(client, ticket, self->clock().now());
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
      [self](idle_atom) { return reply_when_idle(self); },
  };
}

} // namespace

} // namespace detail

limiter_actor spawn_limiter(caf::actor_system& sys, std::string name, std::size_t capacity) {
  return sys.spawn(detail::limiter_behavior, std::move(name), capacity);
}

} // namespace taskactors
