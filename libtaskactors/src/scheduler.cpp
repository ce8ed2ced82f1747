#include "scheduler.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/message_id.hpp>

#include "helping_unit.hpp"

namespace taskactors::detail {

namespace {

using handoff_coordinator = quiet_coordinator<handoff_policy>;

} // namespace

helping_unit::helping_unit(caf::actor_system& sys) : caf::execution_unit(&sys), sys_(sys) {
  if (auto* c = dynamic_cast<handoff_coordinator*>(&sys.scheduler()); c && c->add_helper())
    handoff_ = c;
}

helping_unit::~helping_unit() {
  for (auto* job : jobs_)
    sys_.scheduler().enqueue(job);
  if (handoff_ != nullptr)
    static_cast<handoff_coordinator*>(handoff_)->remove_helper();
}

bool helping_unit::scheduler_idle() const {
  if (handoff_ == nullptr)
    return false;
  auto* c = static_cast<handoff_coordinator*>(handoff_);
  return handoff_policy::idle(c->data(), c->num_workers());
}

void helping_unit::exec_later(caf::resumable* job) {
  if (scheduler_idle())
    jobs_.push_back(job); // the reference the caller added comes with it
  else
    sys_.scheduler().enqueue(job);
}

void helping_unit::run() {
  auto throughput = sys_.scheduler().max_throughput();
  for (std::size_t turns = 0; !jobs_.empty(); ++turns) {
    auto* job = jobs_.front();
    jobs_.pop_front();
    if (turns >= budget || !scheduler_idle()) {
      sys_.scheduler().enqueue(job);
      continue;
    }
    switch (job->resume(this, throughput)) {
    case caf::resumable::resume_later:
      jobs_.push_back(job);
      break;
    case caf::resumable::done:
    case caf::resumable::awaiting_message:
    case caf::resumable::shutdown_execution_unit:
      caf::intrusive_ptr_release(job);
      break;
    }
  }
}

void helping_unit::deliver(const caf::actor& dest, caf::message msg) {
  if (!dest)
    return;
  helping_unit unit{dest->home_system()};
  caf::actor_cast<caf::abstract_actor*>(dest)->enqueue(nullptr, caf::make_message_id(),
                                                       std::move(msg), &unit);
  unit.run();
}

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
