#include "runtime/scheduler.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/message_id.hpp>

namespace taskactors::detail {

void quiet_clock::note(caf::abstract_actor* self) {
  std::lock_guard<std::mutex> guard{mtx_};
  timed_.insert(self->id());
}

void quiet_clock::set_ordinary_timeout(time_point t, caf::abstract_actor* self,
                                       caf::atom_value type, uint64_t id) {
  note(self);
  inner_.set_ordinary_timeout(t, self, type, id);
}

void quiet_clock::set_request_timeout(time_point t, caf::abstract_actor* self, caf::message_id id) {
  note(self);
  inner_.set_request_timeout(t, self, id);
}

void quiet_clock::set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                                    uint64_t id) {
  note(self);
  inner_.set_multi_timeout(t, self, type, id);
}

void quiet_clock::cancel_ordinary_timeout(caf::abstract_actor* self, caf::atom_value type) {
  inner_.cancel_ordinary_timeout(self, type);
}

void quiet_clock::cancel_request_timeout(caf::abstract_actor* self, caf::message_id id) {
  inner_.cancel_request_timeout(self, id);
}

void quiet_clock::cancel_timeouts(caf::abstract_actor* self) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (timed_.erase(self->id()) == 0)
      return; // it never set one: nothing for the clock thread to drop
  }
  inner_.cancel_timeouts(self);
}

void quiet_clock::schedule_message(time_point t, caf::strong_actor_ptr receiver,
                                   caf::mailbox_element_ptr content) {
  inner_.schedule_message(t, std::move(receiver), std::move(content));
}

void quiet_clock::schedule_message(time_point t, caf::group target, caf::strong_actor_ptr sender,
                                   caf::message content) {
  inner_.schedule_message(t, std::move(target), std::move(sender), std::move(content));
}

void quiet_clock::cancel_all() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    timed_.clear();
  }
  inner_.cancel_all();
}

} // namespace taskactors::detail
