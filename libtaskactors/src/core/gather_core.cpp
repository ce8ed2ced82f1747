#include "core/gather_core.hpp"

#include <algorithm>
#include <utility>

namespace taskactors::detail {

gather_core::gather_core(task_id id, task_kind kind, limits lim,
                         std::function<void(gather_outcome&&)> sink)
    : lim_(std::move(lim)), sink_(std::move(sink)) {
  stats_.id = std::move(id);
  stats_.kind = kind;
  stats_.concurrency = lim_.concurrency;
  if (lim_.size && !sink_)
    outcomes_.reserve(*lim_.size);
}

bool gather_core::may_draw() const noexcept {
  if (stopped_ || exhausted_ || live_.size() >= lim_.concurrency)
    return false;
  return !lim_.buffer || unacknowledged_ < *lim_.buffer;
}

std::size_t gather_core::draw() {
  auto index = stats_.started++;
  live_.emplace(index, false);
  stats_.in_flight = live_.size();
  stats_.peak_in_flight = std::max(stats_.peak_in_flight, stats_.in_flight);
  return index;
}

void gather_core::launched(std::size_t index) {
  if (auto i = live_.find(index); i != live_.end())
    i->second = true;
}

bool gather_core::waiting(std::size_t index) const noexcept {
  auto i = live_.find(index);
  return i != live_.end() && !i->second;
}

void gather_core::count(task_state state) noexcept {
  switch (state) {
  case task_state::completed:
    ++stats_.completed;
    break;
  case task_state::failed:
    ++stats_.failed;
    break;
  case task_state::timeout:
    ++stats_.timeout;
    break;
  default:
    ++stats_.cancelled;
    break;
  }
}

bool gather_core::finish(gather_outcome x) {
  if (live_.erase(x.index) == 0)
    return false; // Already ended (a stop recorded it).
  stats_.in_flight = live_.size();
  // An input the gather stopped ends with the gather's reason, not the manager's generic one.
  if (stopped_ && x.state == stop_state_ && stop_reason_)
    x.error = stop_reason_;
  count(x.state);
  auto failure = x.state == task_state::failed || x.state == task_state::timeout;
  if (sink_) {
    ++unacknowledged_;
    sink_(std::move(x));
  } else {
    if (outcomes_.size() <= x.index)
      outcomes_.resize(x.index + 1);
    outcomes_[x.index] = std::move(x);
  }
  return failure && lim_.fail_fast && !stopped_;
}

void gather_core::input_failed(caf::error reason) {
  exhausted_ = true;
  if (!stop_reason_)
    stop_reason_ = std::move(reason);
}

void gather_core::acknowledge(std::size_t n) noexcept {
  unacknowledged_ -= std::min(n, unacknowledged_);
}

std::vector<std::size_t> gather_core::stop(task_state state, caf::error reason, time_point now) {
  std::vector<std::size_t> running;
  if (stopped_)
    return running;
  stopped_ = true;
  stop_state_ = state;
  stop_reason_ = std::move(reason);
  std::vector<std::size_t> waiting;
  for (auto& [index, submitted] : live_)
    (submitted ? running : waiting).push_back(index);
  std::sort(waiting.begin(), waiting.end());
  std::sort(running.begin(), running.end());
  for (auto index : waiting)
    finish(gather_outcome{index, state, {}, stop_reason_, {}, now});
  // Inputs never drawn: an outcome each when the gather keeps them and knows how many there are.
  if (lim_.size && !sink_) {
    for (auto index = stats_.started; index < *lim_.size; ++index) {
      if (outcomes_.size() <= index)
        outcomes_.resize(index + 1);
      outcomes_[index] = gather_outcome{index, state, {}, stop_reason_, {}, now};
      count(state);
    }
  }
  return running;
}

gather_result gather_core::take_result() {
  gather_result result;
  result.stats = stats_;
  result.outcomes = std::move(outcomes_);
  result.stop_reason = stop_reason_;
  return result;
}

} // namespace taskactors::detail
