#include <catch2/catch.hpp>

#include "core/gather_core.hpp"
#include "taskactors/errc.hpp"

using namespace taskactors;
using namespace taskactors::detail;

namespace {

gather_outcome done(std::size_t index, task_state state = task_state::completed) {
  gather_outcome x;
  x.index = index;
  x.state = state;
  if (state == task_state::completed)
    x.value = task_value::make(static_cast<int>(index));
  else
    x.error = caf::make_error(errc::task_failed, "boom");
  return x;
}

const time_point later{std::chrono::seconds{5}};

} // namespace

TEST_CASE("gather core: draws up to the concurrency bound and refills as inputs end", "[unit]") {
  gather_core core{"g", task_kind::async, {2, std::nullopt, std::nullopt, false}};
  CHECK(core.may_draw());
  CHECK(core.draw() == 0);
  CHECK(core.draw() == 1);
  CHECK_FALSE(core.may_draw());
  CHECK(core.stats().in_flight == 2);
  core.finish(done(1));
  CHECK(core.may_draw());
  CHECK(core.draw() == 2);
  CHECK(core.stats().peak_in_flight == 2);
  core.finish(done(0));
  core.finish(done(2));
  CHECK_FALSE(core.done()); // The input sequence has not ended.
  core.exhausted();
  CHECK(core.done());
  auto result = core.take_result();
  REQUIRE(result.outcomes.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(result.outcomes[i].index == i);
    CHECK(result.outcomes[i].get<int>() == static_cast<int>(i));
  }
  CHECK(result.stats.completed == 3);
  CHECK_FALSE(result.stop_reason);
  CHECK(result.all_completed());
}

TEST_CASE("gather core: fail-fast reports the first failure only", "[unit]") {
  gather_core core{"g", task_kind::async, {3, std::nullopt, std::nullopt, true}};
  core.draw();
  core.draw();
  core.draw();
  CHECK(core.finish(done(0, task_state::failed)));
  CHECK(core.finish(done(1, task_state::timeout)));
  auto running = core.stop(task_state::cancelled, caf::make_error(errc::cancelled, "ff"), later);
  CHECK(running.empty()); // Input 2 never launched: it ended with the stop.
  CHECK(core.done());
  auto result = core.take_result();
  CHECK(result.stats.failed == 1);
  CHECK(result.stats.timeout == 1);
  CHECK(result.stats.cancelled == 1);
  CHECK(result.outcomes[2].state == task_state::cancelled);
  CHECK(result.outcomes[2].started_at == time_point{});
}

TEST_CASE("gather core: without fail-fast a failure stops nothing", "[unit]") {
  gather_core core{"g", task_kind::async, {1, std::nullopt, std::nullopt, false}};
  core.draw();
  CHECK_FALSE(core.finish(done(0, task_state::failed)));
  CHECK(core.may_draw());
}

TEST_CASE("gather core: a stop returns the launched inputs and ends the rest of a sized input",
          "[unit]") {
  gather_core core{"g", task_kind::async, {3, std::nullopt, std::size_t{6}, false}};
  core.draw();
  core.launched(0);
  core.draw(); // Waiting out its jitter.
  core.draw();
  core.launched(2);
  auto reason = caf::make_error(errc::timeout, "global timeout of 7 ms exceeded");
  auto running = core.stop(task_state::timeout, reason, later);
  CHECK(running == std::vector<std::size_t>{0, 2});
  CHECK_FALSE(core.may_draw());
  CHECK_FALSE(core.done());
  // A stopped input ends with the gather's reason.
  gather_outcome x = done(0, task_state::timeout);
  core.finish(x);
  core.finish(done(2));
  CHECK(core.done());
  CHECK(core.stop(task_state::cancelled, {}, later).empty()); // A second stop changes nothing.
  auto result = core.take_result();
  REQUIRE(result.outcomes.size() == 6);
  CHECK(result.outcomes[0].error == reason);
  CHECK(result.outcomes[1].state == task_state::timeout);
  CHECK(result.outcomes[2].state == task_state::completed);
  for (std::size_t i = 3; i < 6; ++i) {
    CHECK(result.outcomes[i].index == i);
    CHECK(result.outcomes[i].state == task_state::timeout);
    CHECK(result.outcomes[i].finished_at == later);
  }
  CHECK(result.stats.timeout == 5);
  CHECK(result.stats.completed == 1);
  CHECK(result.stop_reason == reason);
}

TEST_CASE("gather core: a sink receives outcomes in completion order and the window holds "
          "back draws",
          "[unit]") {
  std::vector<std::size_t> seen;
  gather_core core{"g",
                   task_kind::async,
                   {2, std::size_t{2}, std::nullopt, false},
                   [&](gather_outcome&& x) { seen.push_back(x.index); }};
  core.draw();
  core.draw();
  core.finish(done(1));
  CHECK(core.may_draw()); // 1 unread.
  core.draw();
  CHECK_FALSE(core.may_draw()); // 2 in flight.
  core.finish(done(0));
  CHECK_FALSE(core.may_draw()); // 2 unread.
  core.acknowledge(1);
  CHECK(core.may_draw());
  core.finish(done(2));
  CHECK(seen == std::vector<std::size_t>{1, 0, 2});
  core.exhausted();
  CHECK(core.done());
  CHECK(core.take_result().outcomes.empty());
}

TEST_CASE("gather core: an input error stops drawing and is the result's stop reason", "[unit]") {
  gather_core core{"g", task_kind::async, {2, std::nullopt, std::nullopt, false}};
  core.draw();
  core.input_failed(caf::make_error(errc::task_exception, "bad input"));
  CHECK_FALSE(core.may_draw());
  CHECK_FALSE(core.done());
  core.finish(done(0));
  CHECK(core.done());
  auto result = core.take_result();
  CHECK(is(result.stop_reason, errc::task_exception));
  CHECK(result.outcomes[0].ok());
}
