#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "taskactors/task_value.hpp"

using namespace taskactors;

namespace {

struct point {
  int x = 0;
  int y = 0;
};

} // namespace

TEST_CASE("task value: holds any type and hands it back only as that type", "[unit]") {
  auto v = task_value::make(std::string{"hello"});
  REQUIRE(v.has_value());
  CHECK(v.holds<std::string>());
  CHECK(*v.get_if<std::string>() == "hello");
  CHECK(v.get_if<int>() == nullptr);
  auto p = task_value::make(point{1, 2});
  CHECK(p.get_if<point>()->y == 2);
  CHECK(p.to_string().find("point") != std::string::npos);
}

TEST_CASE("task value: keeps move-only values and shares them between copies", "[unit]") {
  auto v = task_value::make(std::make_unique<int>(5));
  auto copy = v;
  REQUIRE(copy.get_if<std::unique_ptr<int>>() != nullptr);
  CHECK(**copy.get_if<std::unique_ptr<int>>() == 5);
  CHECK(copy.get_if<std::unique_ptr<int>>() == v.get_if<std::unique_ptr<int>>());
}

TEST_CASE("task value: renders printable values and names others", "[unit]") {
  CHECK(task_value{}.to_string() == "<none>");
  CHECK(task_value::make(42).to_string() == "42");
  CHECK(task_value::make(true).to_string() == "true");
  CHECK(task_value::make(std::vector<int>{1}).type_name().find("vector") != std::string::npos);
  CHECK(task_value{}.type() == typeid(void));
}
