#pragma once

#include <caf/atom.hpp>

namespace taskactors {

// The message vocabulary of the library's typed actor interfaces.

// Manager.
using submit_atom = caf::atom_constant<caf::atom("submit")>;
using run_atom = caf::atom_constant<caf::atom("run")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using wait_atom = caf::atom_constant<caf::atom("wait")>;
using metrics_atom = caf::atom_constant<caf::atom("metrics")>;
using resize_atom = caf::atom_constant<caf::atom("resize")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using gather_atom = caf::atom_constant<caf::atom("gather")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;

// Limiter.
using acquire_atom = caf::atom_constant<caf::atom("acquire")>;
using withdraw_atom = caf::atom_constant<caf::atom("withdraw")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using transfer_atom = caf::atom_constant<caf::atom("transfer")>;
using granted_atom = caf::atom_constant<caf::atom("granted")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;

} // namespace taskactors
