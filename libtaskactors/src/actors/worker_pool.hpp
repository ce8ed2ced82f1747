#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/manager_internal.hpp"
#include "api/logger.hpp"
#include "core/worker_supervisor.hpp"
#include "os/process_launcher.hpp"
#include "taskactors/atoms.hpp"
#include "taskactors/manager_metrics.hpp"

namespace taskactors::detail {

using run_job_atom = caf::atom_constant<caf::atom("runjob")>;
using stop_job_atom = caf::atom_constant<caf::atom("stopjob")>;
/// A job whose task actor is gone: stop it, and tell `orphan_sink_actor` once its worker is.
using orphan_job_atom = caf::atom_constant<caf::atom("orphanjob")>;
using pool_tick_atom = caf::atom_constant<caf::atom("pooltick")>;
using w_started_atom = caf::atom_constant<caf::atom("wstarted")>;
using w_failed_atom = caf::atom_constant<caf::atom("wfailed")>;
using w_output_atom = caf::atom_constant<caf::atom("woutput")>;
using w_exited_atom = caf::atom_constant<caf::atom("wexited")>;

/// The actor that owns the worker processes: a thin shell around `worker_supervisor`, fed by the
/// launcher's events and by process task actors.
using worker_pool_actor = caf::typed_actor<
    caf::replies_to<run_job_atom, uint64_t, std::string, std::vector<char>>::with<job_result>,
    caf::reacts_to<stop_job_atom, uint64_t, stop_reason>,
    caf::reacts_to<orphan_job_atom, uint64_t, orphan_sink_actor>,
    caf::replies_to<stats_atom>::with<process_metrics>, caf::reacts_to<resize_atom, std::size_t>,
    caf::replies_to<shutdown_atom>::with<process_metrics>,
    caf::reacts_to<w_started_atom, worker_id, int32_t>,
    caf::reacts_to<w_failed_atom, worker_id, std::string>,
    caf::reacts_to<w_output_atom, worker_id, std::vector<char>, caf::timespan>,
    caf::reacts_to<w_exited_atom, worker_id, int32_t>,
    caf::replies_to<pool_tick_atom, uint64_t>::with<void>>;

/// Who hears of the jobs the workers offer (the manager).
using jobs_listener_actor = caf::typed_actor<caf::reacts_to<jobs_atom, std::vector<std::string>>,
                                             caf::reacts_to<job_pid_atom, uint64_t, int32_t>>;

/// Builds the launcher a pool uses; the real one by default, a fake one in tests.
using launcher_factory =
    std::function<std::unique_ptr<process_launcher>(std::shared_ptr<worker_events>)>;

struct worker_pool_config {
  pool_settings settings;
  launch_spec launch;
  std::shared_ptr<log_sink> log;
  launcher_factory make_launcher;
};

/// Spawns a worker pool linked to `owner`, which hears of the offered jobs.
worker_pool_actor spawn_worker_pool(caf::local_actor* owner, jobs_listener_actor listener,
                                    worker_pool_config cfg);

} // namespace taskactors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(taskactors::detail::job_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(taskactors::detail::stop_reason)
