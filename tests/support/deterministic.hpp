#pragma once

#include <memory>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/after.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <catch2/catch.hpp>

#include "taskactors/errc.hpp"

namespace taskactors::test {

// Note for test helpers: spawn function-based actors with at least one argument besides `self`.
// CAF 0.17.6 dereferences an empty std::shared_ptr<std::tuple<>> for argument-less ones, which
// UndefinedBehaviorSanitizer rightly reports (caf/detail/init_fun_factory.hpp:85).

/// An actor system on CAF's deterministic test coordinator: nothing runs until the test calls
/// `run()`, and time moves only through `advance()`. No thread, no sleep, no wall clock.
class deterministic {
public:
  deterministic();
  ~deterministic();

  deterministic(const deterministic&) = delete;
  deterministic& operator=(const deterministic&) = delete;

  caf::actor_system& sys() noexcept { return *sys_; }

  caf::scheduler::test_coordinator& sched() noexcept { return *sched_; }

  /// A blocking actor for the test's own requests and messages.
  caf::scoped_actor& self() noexcept { return *self_; }

  /// Runs every actor until no message is left.
  void run() { sched_->run(); }

  /// Moves the clock forward, fires what is due, runs until idle, and repeats for timers that
  /// became due on the way.
  void advance(caf::timespan delta);

  /// Runs until idle and returns whether the test actor has a message waiting.
  bool has_message() {
    run();
    return !(*self_)->mailbox().empty();
  }

  /// Sends a request, runs until idle and returns the reply (FAILs if there is none).
  template <class Result, class Handle, class... Ts>
  caf::expected<Result> ask(const Handle& dest, Ts&&... xs) {
    auto response = self()->request(dest, caf::infinite, std::forward<Ts>(xs)...);
    if (!has_message())
      FAIL("no reply to the request");
    caf::expected<Result> result{caf::error{}};
    response.receive([&](Result& x) { result = std::move(x); },
                     [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// Takes one message that must already be there, handing it to `fs...`.
  template <class... Fs>
  void receive_now(Fs... fs) {
    run();
    bool got = true;
    self()->receive(
        std::move(fs)..., caf::after(std::chrono::seconds{0}) >> [&] { got = false; });
    if (!got)
      FAIL("expected a message, found none");
  }

  /// Actors alive in the system beyond those alive right after start (system and test actors).
  std::size_t running_actors() const;

private:
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  std::unique_ptr<caf::scoped_actor> self_;
  std::size_t baseline_ = 0;
};

} // namespace taskactors::test
