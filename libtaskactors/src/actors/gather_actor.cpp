#include "actors/gather_actor.hpp"

#include <chrono>
#include <limits>
#include <random>
#include <unordered_map>

#include <caf/actor_cast.hpp>
#include <caf/local_actor.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <fmt/format.h>

#include "core/gather_core.hpp"
#include "core/units.hpp"
#include "taskactors/errc.hpp"
#include "taskactors/task_spec.hpp"

namespace taskactors::detail {

namespace {

constexpr uint64_t global_timer = std::numeric_limits<uint64_t>::max();

struct gather_state {
  gather_state() = default;
  gather_state(const gather_state&) = delete;
  gather_state& operator=(const gather_state&) = delete;

  ~gather_state() {
    // The actor stopped before answering (it was killed): its caller still gets an answer.
    if (promise.pending())
      promise.deliver(caf::make_error(errc::cancelled, "the gather stopped before it finished"));
  }

  std::optional<gather_core> core;
  gather_spec spec;
  manager_internal_actor manager;
  std::mt19937_64 rng;
  time_point deadline = time_point::max();
  /// The bodies of inputs waiting out their jitter.
  std::unordered_map<std::size_t, task_body> waiting;
  caf::typed_response_promise<gather_result> promise;

  static inline const char* name = "taskactors.gather";
};

using gather_pointer = gather_actor::stateful_pointer<gather_state>;

std::string task_id_of(const gather_state& st, std::size_t index) {
  return fmt::format("{}/{}", st.spec.options.id, index);
}

bool ends_gather(const caf::error& err) {
  return err == errc::shutting_down || err == errc::not_running || err == errc::invalid_argument ||
         err == caf::sec::request_receiver_down;
}

// A request to ourselves that is never answered: its timeout is the timer. It dies with the
// gather instead of keeping it alive like a delayed message would.
void arm(gather_pointer self, caf::timespan delay, uint64_t tag);

void fill(gather_pointer self);

void conclude(gather_pointer self) {
  auto& st = self->state;
  if (!st.core->done() || !st.promise.pending())
    return;
  self->send(st.manager, gather_done_atom::value, st.spec.options.id);
  st.promise.deliver(st.core->take_result());
  self->quit();
}

void stop(gather_pointer self, task_state state, caf::error reason) {
  auto& st = self->state;
  if (st.core->stopped())
    return;
  auto running = st.core->stop(state, std::move(reason), self->clock().now());
  st.waiting.clear();
  // On a global timeout the tasks carry the gather's deadline: the manager ends them
  // `timeout` itself. Otherwise they are cancelled here.
  if (state == task_state::cancelled)
    for (auto index : running)
      caf::anon_send(st.manager, cancel_atom::value, task_id_of(st, index));
}

void on_end(gather_pointer self, gather_outcome x) {
  auto& st = self->state;
  bool fail_fast = false;
  auto index = x.index;
  try {
    fail_fast = st.core->finish(std::move(x));
  } catch (...) {
    stop(self, task_state::cancelled, exception_to_error(std::current_exception()));
  }
  if (fail_fast)
    stop(self, task_state::cancelled,
         caf::make_error(errc::cancelled, fmt::format("cancelled by fail-fast: {} did not complete",
                                                      task_id_of(st, index))));
  fill(self);
  conclude(self);
}

void launch(gather_pointer self, std::size_t index, task_body body) {
  auto& st = self->state;
  task_spec spec;
  spec.options.id = task_id_of(st, index);
  spec.options.timeout = st.spec.options.task_timeout;
  if (st.deadline != time_point::max())
    spec.options.deadline = st.deadline;
  spec.options.parent = st.spec.options.parent;
  spec.body = std::move(body);
  st.core->launched(index);
  self->request(st.manager, caf::infinite, run_atom::value, std::move(spec))
      .then(
          [self, index](task_info& info) {
            // No worker offers the job (checked on admission once the workers told which jobs
            // they offer): every other input would fail the same way.
            if (is(info.error, errc::unknown_job))
              stop(self, task_state::cancelled, info.error);
            on_end(self, gather_outcome{index, info.state, std::move(info.value),
                                        std::move(info.error), info.started_at, info.finished_at});
          },
          [self, index](caf::error& err) {
            // Not admitted. Refused because the manager stops or the parent ended: the gather
            // stops; refused for another reason (e.g. a full queue): this input failed.
            auto now = self->clock().now();
            if (ends_gather(err)) {
              stop(self, task_state::cancelled, err);
              on_end(self, gather_outcome{index, task_state::cancelled, {}, err, {}, now});
              return;
            }
            on_end(self, gather_outcome{index, task_state::failed, {}, std::move(err), {}, now});
          });
}

void fill(gather_pointer self) {
  auto& st = self->state;
  auto jitter = st.spec.options.jitter;
  while (st.core->may_draw()) {
    std::optional<task_body> body;
    try {
      body = st.spec.next();
    } catch (...) {
      st.core->input_failed(exception_to_error(std::current_exception()));
      break;
    }
    if (!body) {
      st.core->exhausted();
      break;
    }
    auto index = st.core->draw();
    if (jitter > caf::timespan::zero()) {
      std::uniform_int_distribution<caf::timespan::rep> dist{0, jitter.count()};
      auto delay = caf::timespan{dist(st.rng)};
      st.waiting.emplace(index, std::move(*body));
      arm(self, delay, index);
    } else {
      launch(self, index, std::move(*body));
    }
  }
}

void on_timer(gather_pointer self, uint64_t tag) {
  auto& st = self->state;
  if (tag == global_timer) {
    stop(self, task_state::timeout,
         caf::make_error(errc::timeout, fmt::format("global timeout of {} ms exceeded",
                                                    whole_ms(*st.spec.options.global_timeout))));
    conclude(self);
    return;
  }
  auto i = st.waiting.find(tag);
  if (i == st.waiting.end())
    return; // Stopped meanwhile.
  auto body = std::move(i->second);
  st.waiting.erase(i);
  launch(self, tag, std::move(body));
}

void arm(gather_pointer self, caf::timespan delay, uint64_t tag) {
  if (delay <= caf::timespan::zero())
    delay = caf::timespan{1};
  auto me = caf::actor_cast<gather_actor>(self);
  self->request(me, delay, timer_atom::value, tag)
      .then([] {}, [self, tag](caf::error&) { on_timer(self, tag); });
}

gather_actor::behavior_type gather_behavior(gather_pointer self, manager_internal_actor manager,
                                            gather_spec spec, std::size_t concurrency) {
  auto& init = self->state;
  init.manager = std::move(manager);
  std::function<void(gather_outcome &&)> sink;
  if (spec.on_outcome)
    sink = [self](gather_outcome&& x) { self->state.spec.on_outcome(std::move(x)); };
  init.core.emplace(
      spec.options.id, spec.kind,
      gather_core::limits{concurrency, spec.buffer, spec.size, spec.options.fail_fast},
      std::move(sink));
  init.rng.seed(spec.options.seed.value_or(std::random_device{}()));
  init.spec = std::move(spec);
  return {
      [self](run_atom) -> caf::result<gather_result> {
        auto& st = self->state;
        if (st.promise.pending())
          return caf::make_error(errc::invalid_argument, "the gather already runs");
        // A gather nobody waits for any more (its caller stopped, e.g. gave up waiting) stops.
        // (Read the caller first: making the promise moves it out of the message.)
        if (auto caller = self->current_sender())
          self->monitor(caller);
        st.promise = self->make_response_promise<gather_result>();
        self->set_down_handler([self](caf::down_msg&) {
          stop(self, task_state::cancelled,
               caf::make_error(errc::cancelled, "the gather's caller stopped waiting"));
          conclude(self);
        });
        if (st.spec.on_start) {
          try {
            st.spec.on_start(st.spec.options.id);
          } catch (...) {
            st.core->input_failed(exception_to_error(std::current_exception()));
          }
        }
        if (auto limit = st.spec.options.global_timeout; limit && *limit != no_timeout) {
          auto now = self->clock().now();
          st.deadline = *limit < time_point::max() - now ? now + *limit : time_point::max();
          arm(self, *limit, global_timer);
        }
        auto rp = st.promise;
        fill(self);
        conclude(self);
        return rp;
      },
      [self](cancel_atom) -> gather_stats {
        stop(self, task_state::cancelled,
             caf::make_error(errc::cancelled, "the gather was cancelled"));
        auto stats = self->state.core->stats();
        conclude(self);
        return stats;
      },
      [self](stats_atom) -> gather_stats { return self->state.core->stats(); },
      [self](ack_atom, uint64_t n) {
        self->state.core->acknowledge(n);
        fill(self);
        conclude(self);
      },
      [](timer_atom, uint64_t) -> caf::result<void> { return caf::delegated<void>{}; },
  };
}

} // namespace

gather_actor spawn_gather(caf::local_actor* parent, manager_internal_actor manager,
                          gather_spec spec, std::size_t concurrency) {
  return parent->spawn(gather_behavior, std::move(manager), std::move(spec), concurrency);
}

} // namespace taskactors::detail
