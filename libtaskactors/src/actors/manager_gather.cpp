// Gathers: admission, tracking, cancellation.

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>

#include "actors/manager_state.hpp"
#include "taskactors/errc.hpp"

namespace taskactors::detail {

namespace {

caf::error invalid(std::string text) {
  return caf::make_error(errc::invalid_argument, std::move(text));
}

bool positive_or_unset(const std::optional<caf::timespan>& x) {
  return !x || *x > caf::timespan::zero();
}

caf::error check_gather(manager_pointer self, const gather_spec& spec) {
  auto& opts = spec.options;
  if (!spec.next)
    return invalid("a gather needs inputs (build it with make_gather)");
  if (opts.concurrency && *opts.concurrency <= 0)
    return invalid(fmt::format("gather concurrency must be positive, got {}", *opts.concurrency));
  if (!positive_or_unset(opts.task_timeout))
    return invalid(
        fmt::format("gather task_timeout must be positive, got {} ns", opts.task_timeout->count()));
  if (!positive_or_unset(opts.global_timeout))
    return invalid(fmt::format("gather global_timeout must be positive, got {} ns",
                               opts.global_timeout->count()));
  if (opts.jitter < caf::timespan::zero())
    return invalid(
        fmt::format("gather jitter must not be negative, got {} ns", opts.jitter.count()));
  if (opts.id.find('/') != std::string::npos)
    return invalid(fmt::format("gather id '{}' must not contain '/'", opts.id));
  if (spec.kind == task_kind::process) {
    if (spec.job.empty())
      return invalid("a process gather needs a job name");
    if (auto err = check_job(self, spec.job))
      return err;
  }
  return {};
}

} // namespace

caf::result<gather_result> start_gather(manager_pointer self, gather_spec& spec) {
  auto& st = self->state;
  if (st.phase != manager_phase::running)
    return reject(self, caf::make_error(errc::shutting_down, "the manager is shutting down"));
  if (auto err = check_gather(self, spec))
    return reject(self, std::move(err));
  auto parent = running_parent(self, spec.options.parent);
  if (!parent)
    return reject(self, std::move(parent.error()));
  auto& id = spec.options.id;
  if (id.empty()) {
    do
      id = fmt::format("g-{}", ++st.gathers_started);
    while (st.gathers.count(id) > 0);
  } else if (st.gathers.count(id) > 0) {
    return reject(self, caf::make_error(errc::duplicate_id,
                                        fmt::format("a gather with id '{}' is running", id)));
  }
  auto concurrency = spec.options.concurrency ? static_cast<std::size_t>(*spec.options.concurrency)
                                              : st.cfg.quotas().global;
  st.log->debug("gather {} started ({}, concurrency {})", id, to_string(spec.kind), concurrency);
  auto gid = id;
  auto actor = spawn_gather(self, caf::actor_cast<manager_internal_actor>(self), std::move(spec),
                            concurrency);
  self->monitor(actor);
  st.gathers.emplace(gid, gather_entry{actor, *parent});
  return self->delegate(actor, run_atom::value);
}

void cancel_gathers(manager_pointer self, task_key parent) {
  for (auto& [id, entry] : self->state.gathers)
    if (parent == invalid_task_key || entry.parent == parent)
      caf::anon_send(entry.actor, cancel_atom::value);
}

} // namespace taskactors::detail
