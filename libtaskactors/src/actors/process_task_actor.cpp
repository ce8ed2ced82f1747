#include "actors/process_task_actor.hpp"

#include <caf/send.hpp>
#include <caf/system_messages.hpp>
#include <fmt/format.h>

#include "taskactors/errc.hpp"

namespace taskactors::detail {

process_task_actor::process_task_actor(caf::actor_config& cfg, uint64_t key,
                                       task_parent_actor parent, process_call call,
                                       worker_pool_actor pool)
    : caf::event_based_actor(cfg), key_(key), parent_(std::move(parent)), call_(std::move(call)),
      pool_(std::move(pool)) {}

caf::behavior process_task_actor::make_behavior() {
  set_exit_handler([this](caf::exit_msg& msg) {
    if (!msg.reason || stopping_)
      return;
    // The job's worker is terminated; the pool answers the run request once it is gone.
    stopping_ = true;
    auto why = is(msg.reason, errc::timeout) ? stop_reason::timeout : stop_reason::cancelled;
    send(pool_, stop_job_atom::value, key_, why);
  });
  request(pool_, caf::infinite, run_job_atom::value, key_, call_.job, std::move(call_.args))
      .then(
          [this](job_result& r) {
            task_outcome outcome;
            outcome.stage = r.stage;
            outcome.worker_pid = r.pid;
            outcome.stopped = stopping_;
            if (!r.ok) {
              outcome.state = task_state::failed;
              outcome.error = std::move(r.error);
              // The worker names what the job takes; what was sent is known only here.
              if (is(outcome.error, errc::bad_args) && !call_.arg_types.empty())
                outcome.error = caf::make_error(
                    errc::bad_args, fmt::format("{}; the call sent {}", message_of(outcome.error),
                                                call_.arg_types));
            } else if (auto value = call_.decode(r.value)) {
              outcome.state = task_state::completed;
              outcome.value = std::move(*value);
            } else {
              outcome.state = task_state::failed;
              outcome.error = std::move(value.error());
            }
            report(std::move(outcome));
            quit();
          },
          [this](caf::error& err) {
            report(task_outcome{task_state::failed, {}, std::move(err)});
            quit();
          });
  return {[](int32_t) {}}; // nothing but the response is expected
}

void process_task_actor::report(task_outcome outcome) {
  reported_ = true;
  send(parent_, done_atom::value, key_, std::move(outcome));
}

void process_task_actor::on_exit() {
  if (reported_)
    return;
  // Killed before the job ended: the task is settled now, but its process token stays held
  // until the pool reports the worker gone (a worker in its SIGTERM grace still runs).
  caf::anon_send(pool_, orphan_job_atom::value, key_, caf::actor_cast<orphan_sink_actor>(parent_));
  task_outcome outcome{task_state::failed, {}, fail_state()};
  outcome.exited = true;
  outcome.callable_running = true;
  report(std::move(outcome));
}

} // namespace taskactors::detail
