#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "taskactors/export.hpp"
#include "taskactors/gather.hpp"
#include "taskactors/manager_actor.hpp"
#include "taskactors/task_info.hpp"

namespace taskactors {

/// The outcomes of an `as_completed` gather, pulled one at a time in completion order. The
/// gather draws no input while `buffer` outcomes wait here unread, so a slow reader slows the
/// gather instead of piling up outcomes. Destroying the stream cancels a gather still running.
/// One reader at a time.
class TASKACTORS_API outcome_stream {
public:
  outcome_stream(outcome_stream&&) noexcept;
  outcome_stream& operator=(outcome_stream&&) noexcept;
  ~outcome_stream();

  /// The gather's id.
  const task_id& id() const noexcept;

  /// Waits up to `wait_limit` for the next outcome. Returns it, `std::nullopt` once every
  /// outcome was read (the gather ended; see `result`), or `errc::wait_timeout` if none came in
  /// time (the gather goes on).
  caf::expected<std::optional<gather_outcome>> next(caf::timespan wait_limit = no_timeout);

  /// Cancels the gather: what runs is cancelled, and the outcomes still come.
  caf::expected<gather_stats> cancel();

  /// The gather's end (its counters and stop reason; no outcomes: they were streamed), once
  /// `next` returned `std::nullopt`; `errc::invalid_argument` before.
  caf::expected<gather_result> result() const;

  struct channel;

private:
  friend class task_manager;

  outcome_stream(std::shared_ptr<channel> ch, manager_actor mgr) noexcept;

  /// Starts the gather `spec` on `mgr` and returns its stream once the gather is admitted.
  static caf::expected<outcome_stream> open(caf::actor_system& sys, manager_actor mgr,
                                            gather_spec spec, std::size_t buffer);

  std::shared_ptr<channel> ch_;
  manager_actor mgr_;
};

} // namespace taskactors
