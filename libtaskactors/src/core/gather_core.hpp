#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>

#include "taskactors/gather.hpp"

namespace taskactors::detail {

/// The bookkeeping of one gather, with no actor inside: which inputs are in flight, the bound
/// on them, the outcomes in input order (or handed to a sink as they end), the counters, and
/// the stop rules (fail-fast, a stop for any reason).
class gather_core {
public:
  struct limits {
    std::size_t concurrency = 1;
    /// No input is drawn while this many outcomes were handed to the sink and not
    /// acknowledged. Unset: no such bound.
    std::optional<std::size_t> buffer;
    /// The number of inputs, if known.
    std::optional<std::size_t> size;
    bool fail_fast = false;
  };

  /// With a `sink`, outcomes are handed to it as they end instead of being kept.
  gather_core(task_id id, task_kind kind, limits lim,
              std::function<void(gather_outcome&&)> sink = {});

  /// Whether a new input may be drawn now.
  bool may_draw() const noexcept;

  /// Counts a new input in flight (waiting, not yet submitted) and returns its index.
  std::size_t draw();

  /// The input's task was submitted.
  void launched(std::size_t index);

  /// The input sequence ended.
  void exhausted() noexcept { exhausted_ = true; }

  /// The input sequence raised `reason`: no more input is drawn, what is in flight goes on, and
  /// the result reports `reason`.
  void input_failed(caf::error reason);

  /// An input ended. Returns whether this failure stops the gather (fail-fast).
  bool finish(gather_outcome x);

  /// The consumer took `n` outcomes.
  void acknowledge(std::size_t n) noexcept;

  /// Stops drawing, for `reason` (`state` is what the inputs it stops become). Inputs still
  /// waiting and, when the size is known, inputs never drawn end now; returns the inputs whose
  /// tasks were submitted and are still running, for the caller to stop. A second stop changes
  /// nothing and returns nothing.
  std::vector<std::size_t> stop(task_state state, caf::error reason, time_point now);

  bool stopped() const noexcept { return stopped_; }

  /// Whether the input is waiting (drawn, not yet submitted, not ended).
  bool waiting(std::size_t index) const noexcept;

  /// Whether every drawn input ended and no more will be drawn.
  bool done() const noexcept { return (stopped_ || exhausted_) && live_.empty(); }

  const gather_stats& stats() const noexcept { return stats_; }

  /// The result, once done.
  gather_result take_result();

private:
  void count(task_state state) noexcept;

  gather_stats stats_;
  limits lim_;
  std::function<void(gather_outcome&&)> sink_;
  /// Inputs in flight: true once submitted.
  std::unordered_map<std::size_t, bool> live_;
  std::vector<gather_outcome> outcomes_;
  std::size_t unacknowledged_ = 0;
  bool exhausted_ = false;
  bool stopped_ = false;
  task_state stop_state_ = task_state::cancelled;
  caf::error stop_reason_;
};

} // namespace taskactors::detail
