#include "core/task_table.hpp"

#include <algorithm>
#include <charconv>

#include <caf/make_message.hpp>
#include <fmt/format.h>

#include "taskactors/errc.hpp"

namespace taskactors::detail {

namespace {

constexpr uint32_t generation_mask = 0x3FFFFFFF;

bool matches(const task_filter& filter, const task_record& rec) {
  auto has = [](const auto& xs, auto x) {
    return xs.empty() || std::find(xs.begin(), xs.end(), x) != xs.end();
  };
  return has(filter.states, rec.state) && has(filter.kinds, rec.kind);
}

} // namespace

task_table::task_table(table_limits limits) : limits_(limits) {}

task_key task_table::key_of(uint32_t slot) const noexcept {
  return (static_cast<task_key>(records_[slot].generation) << 32) | slot;
}

task_record* task_table::find_mutable(task_key key) noexcept {
  auto slot = slot_of(key);
  if (key == invalid_task_key || slot >= records_.size())
    return nullptr;
  auto& rec = records_[slot];
  if (!rec.used || rec.generation != (key >> 32))
    return nullptr;
  return &rec;
}

const task_record* task_table::find(task_key key) const noexcept {
  return const_cast<task_table*>(this)->find_mutable(key);
}

task_key task_table::lookup(std::string_view id) const noexcept {
  auto i = by_id_.find(id);
  return i == by_id_.end() ? invalid_task_key : i->second;
}

caf::error task_table::check_id(const task_id& id) const {
  if (id.size() > max_task_id_size)
    return caf::make_error(errc::invalid_argument,
                           fmt::format("task id is {} bytes long; at most {} are allowed",
                                       id.size(), max_task_id_size));
  for (std::size_t i = 0; i < id.size(); ++i) {
    auto c = static_cast<unsigned char>(id[i]);
    if (c < 0x20 || c == 0x7F)
      return caf::make_error(errc::invalid_argument,
                             fmt::format("task id has a control character at byte {}", i));
  }
  return {};
}

void task_table::index_generated_id(task_record& rec, task_key key) {
  // One hash lookup per id: the insertion itself finds an id a caller already took.
  for (;;) {
    char buf[24] = {'t', '-'};
    auto end = std::to_chars(buf + 2, buf + sizeof(buf), next_generated_id_++).ptr;
    rec.id.assign(buf, end);
    if (by_id_.emplace(rec.id, key).second)
      return;
  }
}

caf::expected<task_key> task_table::admit(task_id id, task_kind kind, time_point now,
                                          caf::timespan timeout, time_point deadline) {
  if (!id.empty()) {
    if (auto err = check_id(id))
      return err;
    if (by_id_.count(id) > 0)
      return caf::make_error(errc::duplicate_id,
                             fmt::format("a live or retained task already has id '{}'", id));
  }
  if (in_flight() >= limits_.max_queue)
    return caf::make_error(errc::queue_full,
                           fmt::format("{} tasks pending or running: max_queue = {} reached",
                                       in_flight(), limits_.max_queue));
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(records_.size());
    records_.emplace_back();
  }
  auto& rec = records_[slot];
  auto key = key_of(slot);
  rec.used = true;
  rec.kind = kind;
  rec.state = task_state::pending;
  rec.seq = next_seq_++;
  rec.submitted_at = now;
  rec.started_at = time_point{};
  rec.finished_at = time_point{};
  rec.deadline = deadline;
  rec.timeout = timeout;
  rec.armed = time_point::max();
  if (id.empty()) {
    index_generated_id(rec, key);
  } else {
    rec.id = std::move(id);
    by_id_.emplace(rec.id, key);
  }
  ++pending_;
  ++submitted_;
  count(kind, task_state::pending, 1);
  if (deadline != time_point::max())
    arm(key, rec, deadline);
  return key;
}

transition task_table::start(task_key key, time_point now) {
  auto rec = find_mutable(key);
  if (rec == nullptr)
    return transition::unknown;
  if (is_terminal(rec->state))
    return transition::late;
  if (rec->state != task_state::pending)
    return transition::invalid;
  rec->state = task_state::running;
  rec->started_at = now;
  --pending_;
  ++running_;
  count(rec->kind, task_state::pending, -1);
  count(rec->kind, task_state::running, 1);
  auto deadline = rec->deadline;
  if (rec->timeout != no_timeout && rec->timeout < deadline - now)
    deadline = now + rec->timeout;
  if (deadline != rec->armed) {
    disarm(key, *rec);
    if (deadline != time_point::max())
      arm(key, *rec, deadline);
  }
  return transition::applied;
}

transition task_table::finish(task_key key, task_state terminal, time_point now, task_value value,
                              caf::error error) {
  auto rec = find_mutable(key);
  if (rec == nullptr)
    return transition::unknown;
  if (!is_terminal(terminal))
    return transition::invalid;
  if (is_terminal(rec->state)) {
    switch (terminal) {
    case task_state::cancelled:
      ++late_cancels_;
      break;
    case task_state::timeout:
      ++late_timeouts_;
      break;
    default:
      ++late_results_;
    }
    return transition::late;
  }
  if (rec->state == task_state::pending)
    --pending_;
  else
    --running_;
  count(rec->kind, rec->state, -1);
  count(rec->kind, terminal, 1);
  disarm(key, *rec);
  rec->state = terminal;
  rec->finished_at = now;
  rec->value = std::move(value);
  rec->error = std::move(error);
  finished_.push_back(key);
  return transition::applied;
}

void task_table::annotate(task_key key, stop_stage stage, int32_t worker_pid) {
  if (auto rec = find_mutable(key)) {
    if (stage != stop_stage::none)
      rec->stage = stage;
    if (worker_pid != 0)
      rec->worker_pid = worker_pid;
  }
}

task_info task_table::info(task_key key) const {
  auto& rec = records_[slot_of(key)];
  task_info result;
  result.id = rec.id;
  result.kind = rec.kind;
  result.state = rec.state;
  result.submitted_at = rec.submitted_at;
  result.started_at = rec.started_at;
  result.finished_at = rec.finished_at;
  result.deadline = rec.armed;
  result.value = rec.value;
  result.error = rec.error;
  result.stage = rec.stage;
  result.worker_pid = rec.worker_pid;
  return result;
}

std::vector<task_info> task_table::list(const task_filter& filter) const {
  std::vector<std::pair<uint64_t, uint32_t>> selected; // (admission order, slot)
  for (uint32_t slot = 0; slot < records_.size(); ++slot) {
    auto& rec = records_[slot];
    if (rec.used && matches(filter, rec))
      selected.emplace_back(rec.seq, slot);
  }
  if (filter.limit > 0 && filter.limit < selected.size()) {
    std::partial_sort(selected.begin(), selected.begin() + filter.limit, selected.end());
    selected.resize(filter.limit);
  } else {
    std::sort(selected.begin(), selected.end());
  }
  std::vector<task_info> result;
  result.reserve(selected.size());
  for (auto& entry : selected)
    result.push_back(info(key_of(entry.second)));
  return result;
}

std::optional<time_point> task_table::next_deadline() const noexcept {
  if (deadlines_.empty())
    return std::nullopt;
  return deadlines_.begin()->first;
}

std::vector<task_key> task_table::take_due(time_point now) {
  std::vector<task_key> result;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    auto key = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    if (auto rec = find_mutable(key))
      rec->armed = time_point::max();
    result.push_back(key);
  }
  return result;
}

void task_table::prune(time_point now) {
  while (!finished_.empty()) {
    auto key = finished_.front();
    auto rec = find_mutable(key);
    bool expired = rec == nullptr || finished_.size() > limits_.retain_count ||
                   now - rec->finished_at >= limits_.retain_age;
    if (!expired)
      return;
    finished_.pop_front();
    if (rec != nullptr)
      drop(key);
  }
}

std::vector<task_key> task_table::live_keys() const {
  std::vector<std::pair<uint64_t, uint32_t>> live; // (admission order, slot)
  for (uint32_t slot = 0; slot < records_.size(); ++slot) {
    auto& rec = records_[slot];
    if (rec.used && !is_terminal(rec.state))
      live.emplace_back(rec.seq, slot);
  }
  std::sort(live.begin(), live.end());
  std::vector<task_key> result;
  result.reserve(live.size());
  for (auto& entry : live)
    result.push_back(key_of(entry.second));
  return result;
}

void task_table::fill(manager_metrics& out) const {
  out.by_kind_state = counts_;
  out.submitted = submitted_;
  out.retained = finished_.size();
  out.late_results = late_results_;
  out.late_cancels = late_cancels_;
  out.late_timeouts = late_timeouts_;
}

void task_table::arm(task_key key, task_record& rec, time_point deadline) {
  rec.armed = deadline;
  deadlines_.emplace(deadline, key);
}

void task_table::disarm(task_key key, task_record& rec) {
  if (rec.armed == time_point::max())
    return;
  deadlines_.erase(std::make_pair(rec.armed, key));
  rec.armed = time_point::max();
}

void task_table::count(task_kind kind, task_state state, int delta) noexcept {
  auto& n = counts_[static_cast<std::size_t>(kind)][static_cast<std::size_t>(state)];
  n = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(n) + delta);
}

void task_table::drop(task_key key) {
  auto slot = slot_of(key);
  auto& rec = records_[slot];
  by_id_.erase(rec.id);
  rec.used = false;
  rec.id = task_id{};
  rec.value = task_value{};
  rec.error = caf::error{};
  rec.stage = stop_stage::none;
  rec.worker_pid = 0;
  rec.generation = ((key >> 32) + 1) & generation_mask;
  if (rec.generation == 0)
    rec.generation = 1;
  free_slots_.push_back(slot);
}

} // namespace taskactors::detail
