#include <catch2/catch.hpp>

#include <set>
#include <string_view>

#include <caf/sec.hpp>

#include "taskactors/errc.hpp"
#include "taskactors/task_state.hpp"

using namespace taskactors;

TEST_CASE("errors: render with their code name and context", "[unit]") {
  auto err = caf::make_error(errc::queue_full, "max_queue = 3 reached");
  CHECK(is(err, errc::queue_full));
  CHECK_FALSE(is(err, errc::duplicate_id));
  CHECK(render(err) == "taskactors::queue_full: max_queue = 3 reached");
  CHECK(render(caf::make_error(errc::not_running)) == "taskactors::not_running");
  CHECK(render(caf::error{}) == "none");
  CHECK(render(caf::make_error(caf::sec::request_timeout)).find("request_timeout") !=
        std::string::npos);
}

TEST_CASE("errors: every code has a distinct name", "[unit]") {
  std::set<std::string_view> names;
  for (uint8_t i = 0; i <= static_cast<uint8_t>(errc::bad_result); ++i)
    names.insert(to_string(static_cast<errc>(i)));
  CHECK(names.size() == static_cast<std::size_t>(errc::bad_result) + 1);
  CHECK(names.count("unknown_error") == 0);
}

TEST_CASE("names: states, kinds and quotas round-trip through their names", "[unit]") {
  for (std::size_t i = 0; i < task_state_count; ++i) {
    auto x = static_cast<task_state>(i);
    CHECK(parse_task_state(to_string(x)) == x);
  }
  for (std::size_t i = 0; i < task_kind_count; ++i) {
    auto x = static_cast<task_kind>(i);
    CHECK(parse_task_kind(to_string(x)) == x);
  }
  for (std::size_t i = 0; i < quota_count; ++i) {
    auto x = static_cast<quota>(i);
    CHECK(parse_quota(to_string(x)) == x);
  }
  CHECK_FALSE(parse_task_state("done"));
  CHECK(is_terminal(task_state::timeout));
  CHECK_FALSE(is_terminal(task_state::running));
}

TEST_CASE("errors: an empty error is no error code", "[unit]") {
  CHECK_FALSE(is(caf::error{}, errc::timeout));
  CHECK(is(caf::make_error(errc::timeout, "late"), errc::timeout));
  CHECK_FALSE(is(caf::make_error(errc::timeout, "late"), errc::cancelled));
}
