#include "taskactors/outcome_stream.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>

#include "api/facade_errors.hpp"
#include "core/units.hpp"
#include "taskactors/errc.hpp"

namespace taskactors {

struct outcome_stream::channel {
  std::mutex mtx;
  std::condition_variable cv;
  std::deque<gather_outcome> queue;
  task_id id;
  /// Outcomes read and not yet acknowledged to the gather, and how many to acknowledge at once.
  uint64_t unacknowledged = 0;
  uint64_t ack_batch = 1;
  bool started = false;
  bool ended = false;
  caf::expected<gather_result> end{caf::error{}};

  void finish(caf::expected<gather_result> x) {
    std::lock_guard<std::mutex> guard{mtx};
    end = std::move(x);
    ended = true;
    cv.notify_all();
  }
};

namespace {

// The caller of an `as_completed` gather: it receives the end and hands it to the stream. (Its
// state comes as spawn arguments: CAF 0.17 mishandles function actors with none.)
caf::behavior stream_caller(caf::event_based_actor* self,
                            std::shared_ptr<outcome_stream::channel> ch, manager_actor mgr,
                            gather_spec spec) {
  self->request(mgr, caf::infinite, gather_atom::value, std::move(spec))
      .then(
          [self, ch](gather_result& x) {
            ch->finish(std::move(x));
            self->quit();
          },
          [self, ch](caf::error& err) {
            ch->finish(detail::translate(std::move(err)));
            self->quit();
          });
  return caf::behavior{[](ack_atom) {}};
}

} // namespace

caf::expected<outcome_stream> outcome_stream::open(caf::actor_system& sys, manager_actor mgr,
                                                   gather_spec spec, std::size_t buffer) {
  auto ch = std::make_shared<outcome_stream::channel>();
  spec.buffer = buffer;
  ch->ack_batch = std::max<uint64_t>(1, buffer / 4);
  spec.on_start = [ch](const task_id& id) {
    std::lock_guard<std::mutex> guard{ch->mtx};
    ch->id = id;
    ch->started = true;
    ch->cv.notify_all();
  };
  spec.on_outcome = [ch](gather_outcome&& x) {
    std::lock_guard<std::mutex> guard{ch->mtx};
    ch->queue.push_back(std::move(x));
    ch->cv.notify_all();
  };
  sys.spawn(stream_caller, ch, mgr, std::move(spec));
  std::unique_lock<std::mutex> lock{ch->mtx};
  ch->cv.wait(lock, [&] { return ch->started || ch->ended; });
  if (!ch->started)
    return std::move(ch->end.error());
  lock.unlock();
  return outcome_stream{std::move(ch), std::move(mgr)};
}

outcome_stream::outcome_stream(std::shared_ptr<channel> ch, manager_actor mgr) noexcept
    : ch_(std::move(ch)), mgr_(std::move(mgr)) {}

outcome_stream::outcome_stream(outcome_stream&&) noexcept = default;

outcome_stream& outcome_stream::operator=(outcome_stream&& other) noexcept {
  if (this != &other) {
    outcome_stream old{std::move(*this)};
    ch_ = std::move(other.ch_);
    mgr_ = std::move(other.mgr_);
  }
  return *this;
}

outcome_stream::~outcome_stream() {
  if (!ch_)
    return;
  std::lock_guard<std::mutex> guard{ch_->mtx};
  if (!ch_->ended)
    caf::anon_send(mgr_, cancel_atom::value, gather_atom::value, ch_->id);
}

const task_id& outcome_stream::id() const noexcept {
  return ch_->id;
}

caf::expected<std::optional<gather_outcome>> outcome_stream::next(caf::timespan wait_limit) {
  if (wait_limit <= caf::timespan::zero())
    return caf::make_error(errc::invalid_argument, "the wait limit must be positive");
  std::unique_lock<std::mutex> lock{ch_->mtx};
  auto ready = [this] { return !ch_->queue.empty() || ch_->ended; };
  if (wait_limit == no_timeout)
    ch_->cv.wait(lock, ready);
  else if (!ch_->cv.wait_for(lock, wait_limit, ready))
    return caf::make_error(errc::wait_timeout, fmt::format("no outcome of gather '{}' within {} ms",
                                                           ch_->id, detail::whole_ms(wait_limit)));
  if (ch_->queue.empty())
    return std::optional<gather_outcome>{};
  auto x = std::move(ch_->queue.front());
  ch_->queue.pop_front();
  // Acknowledged in batches, and whenever the reader caught up: the gather draws again.
  uint64_t ack = 0;
  if (++ch_->unacknowledged >= ch_->ack_batch || ch_->queue.empty()) {
    ack = ch_->unacknowledged;
    ch_->unacknowledged = 0;
  }
  auto ended = ch_->ended;
  lock.unlock();
  if (ack > 0 && !ended)
    caf::anon_send(mgr_, ack_atom::value, ch_->id, ack);
  return std::optional<gather_outcome>{std::move(x)};
}

caf::expected<gather_stats> outcome_stream::cancel() {
  caf::scoped_actor self{mgr_->home_system(), true};
  caf::expected<gather_stats> result{caf::error{}};
  self->request(mgr_, caf::infinite, cancel_atom::value, gather_atom::value, ch_->id)
      .receive([&](gather_stats& x) { result = std::move(x); },
               [&](caf::error& err) { result = detail::translate(std::move(err)); });
  return result;
}

caf::expected<gather_result> outcome_stream::result() const {
  std::lock_guard<std::mutex> guard{ch_->mtx};
  if (!ch_->ended || !ch_->queue.empty())
    return caf::make_error(errc::invalid_argument,
                           fmt::format("gather '{}' has outcomes still to read", ch_->id));
  return ch_->end;
}

} // namespace taskactors
