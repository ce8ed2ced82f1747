#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string slurp(const char* path) {
  std::ifstream in{path};
  REQUIRE(in);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct region {
  std::string name;
  std::string text;
};

// The regions of `source` marked "// [name]" ... "// [end]", without the indentation of the
// function they sit in.
std::vector<region> regions_of(const std::string& source) {
  std::vector<region> result;
  std::istringstream in{source};
  std::string line;
  std::regex open{R"(^ *// \[([a-z-]+)\]$)"};
  std::regex close{R"(^ *// \[end\]$)"};
  bool inside = false;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, close)) {
      inside = false;
    } else if (std::regex_match(line, m, open)) {
      result.push_back({m[1], {}});
      inside = true;
    } else if (inside) {
      result.back().text += (line.rfind("  ", 0) == 0 ? line.substr(2) : line) + "\n";
    }
  }
  return result;
}

} // namespace

TEST_CASE("docs: the guide shows the tour's code as it is compiled", "[unit][docs]") {
  auto regions = regions_of(slurp(TASKACTORS_GUIDE_TOUR));
  REQUIRE(regions.size() >= 5);
  auto guide = slurp(TASKACTORS_GUIDE_DOC);
  for (auto& r : regions) {
    INFO("region [" << r.name << "] of docs/examples/guide_tour.cpp:\n" << r.text);
    CHECK(guide.find("```cpp\n" + r.text + "```") != std::string::npos);
  }
}
