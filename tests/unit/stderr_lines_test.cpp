#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "os/stderr_lines.hpp"

using taskactors::detail::stderr_lines;
using namespace std::chrono_literals;

namespace {

struct collected {
  std::vector<std::pair<std::string, uint64_t>> lines;

  auto sink() {
    return [this](std::string_view line, uint64_t dropped) { lines.emplace_back(line, dropped); };
  }
};

const auto t0 = stderr_lines::clock::time_point{} + 1h;

} // namespace

TEST_CASE("stderr lines: splits at newlines across reads", "[unit][stderr]") {
  stderr_lines cut{64, 0, t0};
  collected out;
  cut.feed("one\ntw", t0, out.sink());
  cut.feed("o\n\nthree", t0, out.sink());
  cut.finish(t0, out.sink());
  using line = std::pair<std::string, uint64_t>;
  CHECK(out.lines == std::vector<line>{{"one", 0}, {"two", 0}, {"", 0}, {"three", 0}});
}

TEST_CASE("stderr lines: a line past the bound is passed on in pieces of the bound",
          "[unit][stderr]") {
  stderr_lines cut{4, 0, t0};
  collected out;
  cut.feed("abcdefghij\nxy", t0, out.sink());
  cut.finish(t0, out.sink());
  REQUIRE(out.lines.size() == 4);
  CHECK(out.lines[0].first == "abcd");
  CHECK(out.lines[1].first == "efgh");
  CHECK(out.lines[2].first == "ij");
  CHECK(out.lines[3].first == "xy");
}

TEST_CASE("stderr lines: memory stays within the bound however much comes without a newline",
          "[unit][stderr]") {
  stderr_lines cut{4096, 0, t0};
  std::size_t longest = 0;
  std::size_t total = 0;
  std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 256; ++i) // 16 MiB
    cut.feed(chunk, t0, [&](std::string_view line, uint64_t) {
      longest = std::max(longest, line.size());
      total += line.size();
    });
  CHECK(longest == 4096);
  CHECK(total == 256 * chunk.size());
}

TEST_CASE("stderr lines: the rate limit drops and counts, then reports the count",
          "[unit][stderr]") {
  stderr_lines cut{64, 10, t0};
  collected out;
  for (int i = 0; i < 25; ++i)
    cut.feed("line\n", t0, out.sink());
  CHECK(out.lines.size() == 10); // the bucket's depth
  CHECK(cut.dropped() == 15);
  cut.feed("later\n", t0 + 100ms, out.sink()); // one token back
  REQUIRE(out.lines.size() == 11);
  CHECK(out.lines.back() == std::pair<std::string, uint64_t>{"later", 15});
  cut.feed("dropped\n", t0 + 100ms, out.sink());
  cut.finish(t0 + 100ms, out.sink());
  REQUIRE(out.lines.size() == 12);
  CHECK(out.lines.back() == std::pair<std::string, uint64_t>{"", 1}); // the count at the end
}

TEST_CASE("stderr lines: a dropped line is not held", "[unit][stderr]") {
  stderr_lines cut{8, 1, t0};
  collected out;
  cut.feed("kept\n", t0, out.sink());
  cut.feed(std::string(1000, 'y'), t0, out.sink()); // 125 pieces, all over the rate
  CHECK(out.lines.size() == 1);
  CHECK(cut.dropped() == 125);
  cut.feed("\n", t0 + 1s, out.sink());
  REQUIRE(out.lines.size() == 2);
  CHECK(out.lines[1] == std::pair<std::string, uint64_t>{"", 125});
}
