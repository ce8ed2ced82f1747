#pragma once

#include <cstdint>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/manager_internal.hpp"
#include "taskactors/gather.hpp"

namespace taskactors::detail {

/// The actor of one gather: draws inputs while a slot is free, runs each as a task of the
/// manager (`run` requests), records the outcomes and answers its `run` request at the end.
///
/// - `(run)` -> result: starts the gather (the manager delegates its caller's request here);
/// - `(cancel)` -> stats: stops the gather, cancelling what runs;
/// - `(stats)` -> stats; `(ack, n)`: a pulling consumer took `n` outcomes.
using gather_actor = caf::typed_actor<caf::replies_to<run_atom>::with<gather_result>,
                                      caf::replies_to<cancel_atom>::with<gather_stats>,
                                      caf::replies_to<stats_atom>::with<gather_stats>,
                                      caf::reacts_to<ack_atom, uint64_t>,
                                      caf::replies_to<timer_atom, uint64_t>::with<void>>;

/// Spawns the actor of a validated gather `spec` (its id, concurrency and size resolved) that
/// runs its tasks through `manager`.
gather_actor spawn_gather(caf::local_actor* parent, manager_internal_actor manager,
                          gather_spec spec, std::size_t concurrency);

} // namespace taskactors::detail
