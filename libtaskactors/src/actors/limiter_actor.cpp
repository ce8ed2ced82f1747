#include "taskactors/limiter_actor.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/lease_clients.hpp"
#include "actors/limiter_impl.hpp"
#include "taskactors/errc.hpp"

namespace taskactors {

namespace detail {

limiter_state::limiter_state() : pool("limiter", 1) {}

limiter_state::~limiter_state() {
  for (auto& rp : idle_waiters)
    rp.deliver(caf::make_error(errc::not_running, "limiter stopped before it became idle"));
}

namespace {

// Sends every grant the pool can make now, then answers idle waiters if the pool is idle.
void dispatch(limiter_pointer self) {
  auto& st = self->state;
  for (auto& g : st.pool.grant(self->clock().now())) {
    auto i = st.clients.find(g.client);
    if (i == st.clients.end())
      continue;
    if (auto client = i->second.lock())
      self->send(caf::actor_cast<lease_client_actor>(client), granted_atom::value, g.ticket);
  }
  if (!st.idle_waiters.empty() && st.pool.borrowed() == 0 && st.pool.waiting() == 0) {
    auto stats = st.pool.stats();
    for (auto& rp : st.idle_waiters)
      rp.deliver(stats);
    st.idle_waiters.clear();
  }
}

} // namespace

limiter_actor::behavior_type limiter_behavior(limiter_pointer self, std::string name,
                                              std::size_t capacity) {
  self->state.pool = token_pool(std::move(name), std::max<std::size_t>(capacity, 1));
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    st.pool.drop_client(dm.source.id());
    st.clients.erase(dm.source.id());
    dispatch(self);
  });
  return {
      [self](acquire_atom, uint64_t ticket) {
        auto sender = self->current_sender();
        if (!sender)
          return; // An anonymous request cannot be answered (nor reclaimed).
        watch_client(self, sender);
        self->state.pool.enqueue(sender->id(), ticket, self->clock().now());
        dispatch(self);
      },
      [self](withdraw_atom, uint64_t ticket) {
        self->state.pool.withdraw(sender_id(self), ticket);
        dispatch(self);
      },
      [self](release_atom, std::size_t n) {
        self->state.pool.release(sender_id(self), n);
        dispatch(self);
      },
      [self](transfer_atom, std::size_t n, caf::actor& holder) {
        if (!holder)
          return;
        watch_client(self, caf::actor_cast<caf::strong_actor_ptr>(holder));
        self->state.pool.transfer(sender_id(self), holder.id(), n);
      },
      [self](resize_atom, std::size_t new_capacity) -> caf::result<limiter_stats> {
        if (new_capacity == 0)
          return caf::make_error(errc::invalid_argument,
                                 "limiter capacity must be at least 1, got 0");
        self->state.pool.resize(new_capacity);
        dispatch(self);
        return self->state.pool.stats();
      },
      [self](stats_atom) { return self->state.pool.stats(); },
      [self](idle_atom) -> caf::result<limiter_stats> {
        auto& st = self->state;
        if (st.pool.borrowed() == 0 && st.pool.waiting() == 0)
          return st.pool.stats();
        auto rp = self->make_response_promise<limiter_stats>();
        st.idle_waiters.push_back(rp);
        return rp;
      },
  };
}

} // namespace detail

limiter_actor spawn_limiter(caf::actor_system& sys, std::string name, std::size_t capacity) {
  return sys.spawn(detail::limiter_behavior, std::move(name), capacity);
}

} // namespace taskactors
