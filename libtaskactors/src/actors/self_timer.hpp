#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_clock.hpp>
#include <caf/error.hpp>
#include <caf/sec.hpp>

namespace taskactors::detail {

/// The timer of an actor: requests to itself that are never answered, whose timeouts are the
/// wake-ups. Unlike a delayed message such a request is disarmed when the actor stops and does
/// not keep the actor alive. CAF cannot take a timeout back, so a wake-up is asked for only when
/// none is outstanding at or before it: a later one waits for an earlier one (the owner asks
/// again from `wake`), a cancelled one is simply not asked for again. Each outstanding request
/// is earlier than all those before it, so what the clock holds is bounded by how often the
/// owner moves its next deadline earlier, not by how often it re-arms.
///
/// `Atom` is the message the actor's interface answers with `caf::delegated<void>`; `Handle`
/// the actor type that accepts `(Atom, uint64_t)`.
template <class Handle, class Atom>
class self_timer {
public:
  using time_point = caf::actor_clock::time_point;

  /// Calls `wake()` on `self` at `at` or a little later, unless a wake-up at or before `at` is
  /// already outstanding. `wake` runs on the actor, like any handler, and asks for the next
  /// wake-up.
  template <class Self, class Wake>
  void wake_at(Self* self, time_point at, Wake wake) {
    wake_at(self, at, std::move(wake), [](const caf::error&) {});
  }

  /// As above; `refused(error)` runs instead of `wake` if the actor answered the timer's
  /// request instead of letting it time out (its behavior no longer has the timer's handler).
  template <class Self, class Wake, class Refused>
  void wake_at(Self* self, time_point at, Wake wake, Refused refused) {
    if (armed() <= at)
      return;
    auto generation = ++generation_;
    outstanding_.emplace(generation, at);
    auto now = self->clock().now();
    auto delay = at > now ? at - now : caf::timespan{1};
    self->request(caf::actor_cast<Handle>(self), delay, Atom::value, generation)
        .then([] {},
              [this, generation, wake, refused](caf::error& err) mutable {
                outstanding_.erase(generation);
                if (err == caf::sec::request_timeout)
                  wake();
                else
                  refused(err);
              });
  }

  /// When the earliest outstanding wake-up comes (`max` if none is).
  time_point armed() const noexcept {
    auto at = time_point::max();
    for (auto& entry : outstanding_)
      at = std::min(at, entry.second);
    return at;
  }

  /// Wake-ups asked for and not yet come.
  std::size_t outstanding() const noexcept { return outstanding_.size(); }

private:
  std::map<uint64_t, time_point> outstanding_;
  uint64_t generation_ = 0;
};

/// Deadlines by id, earliest first: what an actor's timer serves.
template <class Id>
class deadline_queue {
public:
  using time_point = caf::actor_clock::time_point;

  void add(time_point at, Id id) { by_id_.emplace(id, by_time_.emplace(at, id)); }

  bool remove(Id id) {
    auto i = by_id_.find(id);
    if (i == by_id_.end())
      return false;
    by_time_.erase(i->second);
    by_id_.erase(i);
    return true;
  }

  std::optional<time_point> next() const {
    if (by_time_.empty())
      return std::nullopt;
    return by_time_.begin()->first;
  }

  /// Removes and returns the ids due at `now`, earliest first.
  std::vector<Id> take_due(time_point now) {
    std::vector<Id> due;
    while (!by_time_.empty() && by_time_.begin()->first <= now) {
      due.push_back(by_time_.begin()->second);
      by_id_.erase(by_time_.begin()->second);
      by_time_.erase(by_time_.begin());
    }
    return due;
  }

  std::size_t size() const noexcept { return by_id_.size(); }

private:
  std::multimap<time_point, Id> by_time_;
  std::unordered_map<Id, typename std::multimap<time_point, Id>::iterator> by_id_;
};

} // namespace taskactors::detail
