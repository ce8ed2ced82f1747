#include <catch2/catch.hpp>

#include "core/task_table.hpp"
#include "taskactors/errc.hpp"

using namespace taskactors;
using namespace taskactors::detail;
using namespace std::chrono_literals;

namespace {

constexpr auto none = time_point::max();

table_limits limits(std::size_t max_queue = 100, std::size_t retain_count = 100,
                    caf::timespan retain_age = 1h) {
  return table_limits{max_queue, retain_count, retain_age};
}

task_key admit(task_table& table, task_id id, time_point now = {},
               caf::timespan timeout = no_timeout, time_point deadline = none) {
  auto key = table.admit(std::move(id), task_kind::async, now, timeout, deadline);
  REQUIRE(key);
  return *key;
}

} // namespace

TEST_CASE("task table: generates unique ids and keeps caller-chosen ones", "[unit]") {
  task_table table{limits()};
  auto a = admit(table, "");
  auto b = admit(table, "");
  auto c = admit(table, "fetch-user-42");
  CHECK(table.find(a)->id == "t-1");
  CHECK(table.find(b)->id == "t-2");
  CHECK(table.find(c)->id == "fetch-user-42");
  CHECK(table.lookup("fetch-user-42") == c);
  CHECK(table.lookup("t-2") == b);
  CHECK(table.lookup("nope") == invalid_task_key);
}

TEST_CASE("task table: a generated id skips ids callers already took", "[unit]") {
  task_table table{limits()};
  admit(table, "t-1");
  auto key = admit(table, "");
  CHECK(table.find(key)->id == "t-2");
}

TEST_CASE("task table: rejects a duplicate of a live or retained id", "[unit]") {
  task_table table{limits()};
  auto key = admit(table, "job");
  auto live = table.admit("job", task_kind::async, {}, no_timeout, none);
  REQUIRE_FALSE(live);
  CHECK(is(live.error(), errc::duplicate_id));
  table.start(key, {});
  table.finish(key, task_state::completed, {});
  auto retained = table.admit("job", task_kind::async, {}, no_timeout, none);
  REQUIRE_FALSE(retained);
  CHECK(is(retained.error(), errc::duplicate_id));
  CHECK(render(retained.error()).find("'job'") != std::string::npos);
}

TEST_CASE("task table: rejects malformed ids with a message naming the problem", "[unit]") {
  task_table table{limits()};
  auto control = table.admit(std::string{"bad\nid"}, task_kind::async, {}, no_timeout, none);
  REQUIRE_FALSE(control);
  CHECK(is(control.error(), errc::invalid_argument));
  CHECK(render(control.error()).find("byte 3") != std::string::npos);
  auto too_long = table.admit(std::string(300, 'x'), task_kind::async, {}, no_timeout, none);
  REQUIRE_FALSE(too_long);
  CHECK(is(too_long.error(), errc::invalid_argument));
  CHECK(table.in_flight() == 0);
}

TEST_CASE("task table: refuses admission at max_queue and loses nothing admitted", "[unit]") {
  task_table table{limits(2)};
  auto a = admit(table, "a");
  auto b = admit(table, "b");
  auto full = table.admit("c", task_kind::async, {}, no_timeout, none);
  REQUIRE_FALSE(full);
  CHECK(is(full.error(), errc::queue_full));
  CHECK(table.in_flight() == 2);
  CHECK(table.find(a)->state == task_state::pending);
  CHECK(table.find(b)->state == task_state::pending);
  // Finished tasks stop counting against the bound.
  table.finish(a, task_state::cancelled, {});
  CHECK(table.admit("c", task_kind::async, {}, no_timeout, none));
}

TEST_CASE("task table: time-stamps every transition", "[unit]") {
  task_table table{limits()};
  time_point t0{1s};
  auto key = admit(table, "x", t0);
  CHECK(table.start(key, t0 + 5ms) == transition::applied);
  CHECK(table.finish(key, task_state::completed, t0 + 12ms, task_value::make(7)) ==
        transition::applied);
  auto info = table.info(key);
  CHECK(info.state == task_state::completed);
  CHECK(info.submitted_at == t0);
  CHECK(info.started_at == t0 + 5ms);
  CHECK(info.finished_at == t0 + 12ms);
  CHECK(info.queued_for() == 5ms);
  CHECK(info.ran_for() == 7ms);
  CHECK(*info.value.get_if<int>() == 7);
}

TEST_CASE("task table: a terminal state is reached exactly once; late events are counted",
          "[unit]") {
  task_table table{limits()};
  auto key = admit(table, "x");
  table.start(key, {});
  CHECK(table.finish(key, task_state::cancelled, {}) == transition::applied);
  CHECK(table.finish(key, task_state::completed, {}, task_value::make(1)) == transition::late);
  CHECK(table.finish(key, task_state::failed, {}) == transition::late);
  CHECK(table.finish(key, task_state::cancelled, {}) == transition::late);
  CHECK(table.finish(key, task_state::timeout, {}) == transition::late);
  CHECK(table.start(key, {}) == transition::late);
  CHECK(table.find(key)->state == task_state::cancelled);
  CHECK_FALSE(table.find(key)->value.has_value());
  CHECK(table.late_results() == 2);
  CHECK(table.late_cancels() == 1);
  CHECK(table.late_timeouts() == 1);
}

TEST_CASE("task table: refuses changes that do not apply", "[unit]") {
  task_table table{limits()};
  auto key = admit(table, "x");
  CHECK(table.finish(key, task_state::running, {}) == transition::invalid);
  table.start(key, {});
  CHECK(table.start(key, {}) == transition::invalid);
  CHECK(table.finish(key + 1, task_state::completed, {}) == transition::unknown);
}

TEST_CASE("task table: a pending task's deadline is armed at admission", "[unit]") {
  task_table table{limits()};
  time_point t0{};
  auto a = admit(table, "a", t0, no_timeout, t0 + 30ms);
  auto b = admit(table, "b", t0, no_timeout, t0 + 10ms);
  admit(table, "c", t0);
  CHECK(table.next_deadline() == t0 + 10ms);
  CHECK(table.take_due(t0 + 9ms).empty());
  CHECK(table.take_due(t0 + 30ms) == std::vector<task_key>{b, a});
  CHECK_FALSE(table.next_deadline());
}

TEST_CASE("task table: start arms the earlier of deadline and timeout", "[unit]") {
  task_table table{limits()};
  time_point t0{};
  auto by_timeout = admit(table, "a", t0, 50ms, t0 + 1s);
  auto by_deadline = admit(table, "b", t0, 50ms, t0 + 20ms);
  auto no_limit = admit(table, "c", t0);
  table.start(by_timeout, t0 + 10ms);
  table.start(by_deadline, t0 + 10ms);
  table.start(no_limit, t0 + 10ms);
  CHECK(table.find(by_timeout)->armed == t0 + 60ms);
  CHECK(table.find(by_deadline)->armed == t0 + 20ms);
  CHECK(table.find(no_limit)->armed == none);
  CHECK(table.take_due(t0 + 60ms) == std::vector<task_key>{by_deadline, by_timeout});
}

TEST_CASE("task table: finishing disarms the deadline", "[unit]") {
  task_table table{limits()};
  time_point t0{};
  auto key = admit(table, "a", t0, 10ms);
  table.start(key, t0);
  table.finish(key, task_state::completed, t0 + 1ms);
  CHECK_FALSE(table.next_deadline());
  CHECK(table.take_due(t0 + 1h).empty());
}

TEST_CASE("task table: retention drops the oldest finished records by count", "[unit]") {
  task_table table{limits(100, 2)};
  std::vector<task_key> keys;
  for (auto id : {"a", "b", "c"}) {
    keys.push_back(admit(table, id));
    table.finish(keys.back(), task_state::completed, {});
  }
  table.prune({});
  CHECK(table.retained() == 2);
  CHECK(table.lookup("a") == invalid_task_key);
  CHECK(table.find(keys[0]) == nullptr);
  CHECK(table.lookup("b") == keys[1]);
  CHECK(table.lookup("c") == keys[2]);
  // The dropped id is free again; the reused slot does not answer to the old key.
  auto again = admit(table, "a");
  CHECK(again != keys[0]);
  CHECK(table.find(keys[0]) == nullptr);
}

TEST_CASE("task table: retention drops finished records by age, never live ones", "[unit]") {
  task_table table{limits(100, 100, 1min)};
  time_point t0{};
  auto old_one = admit(table, "old", t0);
  table.finish(old_one, task_state::completed, t0);
  auto live = admit(table, "live", t0);
  auto young = admit(table, "young", t0);
  table.finish(young, task_state::failed, t0 + 30s);
  table.prune(t0 + 59s);
  CHECK(table.retained() == 2);
  table.prune(t0 + 60s);
  CHECK(table.lookup("old") == invalid_task_key);
  CHECK(table.lookup("young") == young);
  table.prune(t0 + 1h);
  CHECK(table.lookup("young") == invalid_task_key);
  CHECK(table.lookup("live") == live);
}

TEST_CASE("task table: lists by state and kind, oldest first, with a limit", "[unit]") {
  task_table table{limits()};
  auto a = admit(table, "a");
  admit(table, "b");
  auto c = admit(table, "c");
  table.start(c, {});
  table.finish(a, task_state::completed, {});
  auto all = table.list({});
  REQUIRE(all.size() == 3);
  CHECK(all[0].id == "a");
  CHECK(all[2].id == "c");
  auto pending = table.list(task_filter{{task_state::pending}, {}, 0});
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].id == "b");
  auto live = table.list(task_filter{{task_state::pending, task_state::running}, {}, 0});
  CHECK(live.size() == 2);
  auto first = table.list(task_filter{{}, {}, 2});
  REQUIRE(first.size() == 2);
  CHECK(first[1].id == "b");
  CHECK(table.list(task_filter{{}, {task_kind::thread}, 0}).empty());
  CHECK(table.live_keys() == std::vector<task_key>{table.lookup("b"), c});
}

TEST_CASE("task table: counts per kind and state", "[unit]") {
  task_table table{limits()};
  auto a = admit(table, "a");
  auto b = admit(table, "b");
  admit(table, "c");
  table.start(a, {});
  table.finish(a, task_state::completed, {});
  table.finish(b, task_state::timeout, {});
  manager_metrics m;
  table.fill(m);
  CHECK(m.submitted == 3);
  CHECK(m.count(task_kind::async, task_state::pending) == 1);
  CHECK(m.count(task_kind::async, task_state::running) == 0);
  CHECK(m.count(task_kind::async, task_state::completed) == 1);
  CHECK(m.count(task_kind::async, task_state::timeout) == 1);
  CHECK(m.finished() == 2);
  CHECK(m.in_flight() == 1);
  CHECK(m.retained == 2);
}
