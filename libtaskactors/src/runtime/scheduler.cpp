#include "runtime/scheduler.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/message_id.hpp>

#include "runtime/helping_unit.hpp"

namespace taskactors::detail {

namespace {

// The delivery the calling thread is in the middle of, if any.
struct helping_run {
  helping_unit* unit;
  std::deque<caf::resumable*> jobs;
};

thread_local helping_run* current_run = nullptr;

} // namespace

helping_host::~helping_host() = default;

bool helping_host::add_helper() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (stopping_)
    return false;
  ++helpers_;
  return true;
}

void helping_host::remove_helper() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (--helpers_ == 0)
    cv_.notify_all();
}

void helping_host::stop_helpers() {
  std::unique_lock<std::mutex> guard{mtx_};
  stopping_ = true;
  cv_.wait(guard, [this] { return helpers_ == 0; });
}

helping_unit::helping_unit(caf::actor_system& sys, helping_host& host)
    : caf::execution_unit(&sys), sys_(sys), host_(host) {}

bool helping_unit::active() noexcept {
  return current_run != nullptr;
}

void helping_unit::exec_later(caf::resumable* job) {
  // The reference the caller added comes with the job, either way.
  if (current_run != nullptr && current_run->unit == this && host_.idle())
    current_run->jobs.push_back(job);
  else
    sys_.scheduler().enqueue(job);
}

void helping_unit::run(std::deque<caf::resumable*>& jobs) {
  auto throughput = sys_.scheduler().max_throughput();
  for (std::size_t turns = 0; !jobs.empty(); ++turns) {
    auto* job = jobs.front();
    jobs.pop_front();
    if (turns >= budget || !host_.idle()) {
      sys_.scheduler().enqueue(job);
      continue;
    }
    switch (job->resume(this, throughput)) {
    case caf::resumable::resume_later:
      jobs.push_back(job);
      break;
    case caf::resumable::done:
    case caf::resumable::awaiting_message:
    case caf::resumable::shutdown_execution_unit:
      caf::intrusive_ptr_release(job);
      break;
    }
  }
}

void helping_unit::deliver(caf::actor dest, caf::message msg) {
  if (!dest)
    return;
  auto* target = caf::actor_cast<caf::abstract_actor*>(dest);
  auto* host = dynamic_cast<helping_host*>(&target->home_system().scheduler());
  auto* unit = host != nullptr ? host->helping() : nullptr;
  if (current_run != nullptr && current_run->unit == unit) {
    // Already helping (an event inside an actor's turn): the current run takes it.
    target->enqueue(nullptr, caf::make_message_id(), std::move(msg), unit);
    return;
  }
  if (unit == nullptr || current_run != nullptr || !host->add_helper()) {
    target->enqueue(nullptr, caf::make_message_id(), std::move(msg), nullptr);
    return;
  }
  helping_run run{unit, {}};
  current_run = &run;
  // Ends the delivery on every path, an exception included: what is left goes to the
  // scheduler, and the thread stops counting as a helper only once it holds no actor.
  struct finish {
    helping_run& run;
    helping_host& host;
    caf::actor& dest;
    ~finish() {
      for (auto* job : run.jobs)
        run.unit->system().scheduler().enqueue(job);
      run.jobs.clear();
      current_run = nullptr;
      dest = nullptr;
      host.remove_helper();
    }
  } end{run, *host, dest};
  target->enqueue(nullptr, caf::make_message_id(), std::move(msg), unit);
  dest = nullptr;
  unit->run(run.jobs);
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
