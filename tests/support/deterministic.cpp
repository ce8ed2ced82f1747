#include "deterministic.hpp"

#include <caf/atom.hpp>

namespace taskactors::test {

deterministic::deterministic() {
  cfg_.set("scheduler.policy", caf::atom("testing"));
  cfg_.add_error_category(caf::atom("taskactors"),
                          [](uint8_t code, caf::atom_value category, const caf::message& ctx) {
                            return render(caf::error{code, category, ctx});
                          });
  sys_ = std::make_unique<caf::actor_system>(cfg_);
  sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
  self_ = std::make_unique<caf::scoped_actor>(*sys_, true);
  run();
  baseline_ = sys_->registry().running();
}

deterministic::~deterministic() {
  self_.reset();
  run();
  // Fire whatever timers are left so that no actor waits on them at shutdown.
  while (sched_->trigger_timeouts() > 0)
    run();
}

void deterministic::advance(caf::timespan delta) {
  sched_->advance_time(delta);
  run();
  while (sched_->advance_time(caf::timespan{0}) > 0)
    run();
}

std::size_t deterministic::running_actors() const {
  return sys_->registry().running() - baseline_;
}

} // namespace taskactors::test
