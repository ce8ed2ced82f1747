#include <catch2/catch.hpp>

#include "core/wait_histogram.hpp"

using taskactors::detail::wait_histogram;
using namespace std::chrono_literals;

TEST_CASE("wait histogram: reports zero when empty", "[unit]") {
  wait_histogram h;
  CHECK(h.count() == 0);
  CHECK(h.quantile(0.5) == caf::timespan{0});
}

TEST_CASE("wait histogram: quantiles are within one bin of the truth", "[unit]") {
  wait_histogram h;
  for (int i = 1; i <= 100; ++i)
    h.record(std::chrono::milliseconds{i});
  auto p50 = h.quantile(0.5);
  auto p99 = h.quantile(0.99);
  CHECK(p50 >= 50ms);
  CHECK(p50 <= 58ms);
  CHECK(p99 >= 99ms);
  CHECK(p99 <= 114ms);
}

TEST_CASE("wait histogram: waits under a microsecond count as zero", "[unit]") {
  wait_histogram h;
  for (int i = 0; i < 10; ++i)
    h.record(caf::timespan{100});
  h.record(2s);
  CHECK(h.quantile(0.5) == caf::timespan{0});
  CHECK(h.quantile(1.0) >= 2s);
}
