#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "taskactors/manager_metrics.hpp"
#include "taskactors/task_filter.hpp"
#include "taskactors/task_info.hpp"
#include "taskactors/task_state.hpp"
#include "taskactors/task_value.hpp"

namespace taskactors::detail {

/// Refers to one record: a slot index (low 32 bits) and the slot's generation (high bits), so a
/// key of a dropped record never matches the record that reuses its slot. Never 0.
using task_key = uint64_t;

inline constexpr task_key invalid_task_key = 0;

/// The longest task id accepted, in bytes.
inline constexpr std::size_t max_task_id_size = 256;

struct table_limits {
  std::size_t max_queue = 100'000;
  std::size_t retain_count = 10'000;
  caf::timespan retain_age = std::chrono::minutes{10};
};

/// The outcome of a requested state change.
enum class transition : uint8_t {
  /// The state changed.
  applied,
  /// The task had already reached a terminal state: the request is counted and ignored.
  late,
  /// No live or retained task has this key.
  unknown,
  /// The change does not apply to the task's state (e.g. starting a running task).
  invalid,
};

struct task_record {
  task_id id;
  task_kind kind = task_kind::async;
  task_state state = task_state::pending;
  bool used = false;
  uint32_t generation = 1;
  /// Admission order, for listings.
  uint64_t seq = 0;
  time_point submitted_at{};
  time_point started_at{};
  time_point finished_at{};
  /// The absolute deadline given at submission.
  time_point deadline = time_point::max();
  /// The execution timeout, applied at start.
  caf::timespan timeout = no_timeout;
  /// The deadline in the timer set (`max` when none is armed).
  time_point armed = time_point::max();
  task_value value;
  caf::error error;
  stop_stage stage = stop_stage::none;
  int32_t worker_pid = 0;

  bool terminal() const noexcept { return is_terminal(state); }
};

/// The manager's functional core: task records, their state machine, their deadlines and the
/// retention of finished records. No actor inside; time is a parameter. Every operation costs
/// O(1) or O(log n) in the number of tasks, except the queries `list` and `live_keys`.
class task_table {
public:
  explicit task_table(table_limits limits);

  /// Admits a task as `pending`. An empty `id` gets a generated one. Fails with
  /// `invalid_argument` (malformed id), `duplicate_id` or `queue_full`.
  caf::expected<task_key> admit(task_id id, task_kind kind, time_point now, caf::timespan timeout,
                                time_point deadline);

  /// `pending` -> `running`; arms the earlier of the deadline and `now + timeout`.
  transition start(task_key key, time_point now);

  /// Moves a live task to the terminal state `terminal`. On a task already terminal the request
  /// is counted as late (result, cancel or timeout by `terminal`) and changes nothing.
  transition finish(task_key key, task_state terminal, time_point now, task_value value = {},
                    caf::error error = {});

  /// Records how a process task's worker ended; applies to terminal records too (it is a detail
  /// of the end, not a state change).
  void annotate(task_key key, stop_stage stage, int32_t worker_pid);

  const task_record* find(task_key key) const noexcept;

  /// The key of the live or retained task `id`, or `invalid_task_key`.
  task_key lookup(std::string_view id) const noexcept;

  /// A snapshot of the record; `key` must be valid.
  task_info info(task_key key) const;

  /// Snapshots of the records `filter` selects, oldest admission first.
  std::vector<task_info> list(const task_filter& filter) const;

  /// The earliest armed deadline, if any.
  std::optional<time_point> next_deadline() const noexcept;

  /// Disarms and returns the tasks whose deadline is at or before `now`, earliest first.
  std::vector<task_key> take_due(time_point now);

  /// Drops finished records beyond the retention count or older than the retention age.
  void prune(time_point now);

  /// Keys of every pending and running task, in admission order.
  std::vector<task_key> live_keys() const;

  /// Pending plus running tasks.
  std::size_t in_flight() const noexcept { return pending_ + running_; }

  std::size_t pending() const noexcept { return pending_; }

  std::size_t running() const noexcept { return running_; }

  /// Finished records kept for queries.
  std::size_t retained() const noexcept { return finished_.size(); }

  std::size_t late_results() const noexcept { return late_results_; }

  std::size_t late_cancels() const noexcept { return late_cancels_; }

  std::size_t late_timeouts() const noexcept { return late_timeouts_; }

  /// Copies the counters into `out` (per kind and state, admissions, retention, late events).
  void fill(manager_metrics& out) const;

  const table_limits& limits() const noexcept { return limits_; }

private:
  static uint32_t slot_of(task_key key) noexcept { return static_cast<uint32_t>(key); }

  task_record* find_mutable(task_key key) noexcept;

  task_key key_of(uint32_t slot) const noexcept;

  caf::error check_id(const task_id& id) const;

  /// Gives `rec` the next generated id ("t-<n>") that no task has, and indexes it.
  void index_generated_id(task_record& rec, task_key key);

  void arm(task_key key, task_record& rec, time_point deadline);

  void disarm(task_key key, task_record& rec);

  void count(task_kind kind, task_state state, int delta) noexcept;

  void drop(task_key key);

  table_limits limits_;
  /// A deque never moves its elements, so `by_id_` may point into the records' ids.
  std::deque<task_record> records_;
  std::vector<uint32_t> free_slots_;
  std::unordered_map<std::string_view, task_key> by_id_;
  std::set<std::pair<time_point, task_key>> deadlines_;
  std::deque<task_key> finished_;
  std::array<std::array<std::size_t, task_state_count>, task_kind_count> counts_{};
  std::size_t pending_ = 0;
  std::size_t running_ = 0;
  std::size_t submitted_ = 0;
  std::size_t late_results_ = 0;
  std::size_t late_cancels_ = 0;
  std::size_t late_timeouts_ = 0;
  uint64_t next_seq_ = 0;
  uint64_t next_generated_id_ = 1;
};

} // namespace taskactors::detail
