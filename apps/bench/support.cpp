// taskactors-bench: result lines, settings, and the Python peer and isolated runs.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "bench.hpp"
#include "proc_stats.hpp"

using namespace taskactors;
using namespace std::chrono_literals;

namespace bench {

// -- output ---------------------------------------------------------------------------------------

std::vector<row> rows;
bool json_only = false;

void emit(row r) {
  auto line = nlohmann::ordered_json{{"workload", r.workload}, {"system", r.system}, {"n", r.n}};
  for (auto& [k, v] : r.figures)
    line[k] = std::strtod(fmt::format("{:.6g}", v).c_str(), nullptr); // six significant digits
  std::printf("%s\n", line.dump().c_str());
  std::fflush(stdout);
  rows.push_back(std::move(r));
}

double seconds_since(clock_t_::time_point t0) {
  return std::chrono::duration<double>(clock_t_::now() - t0).count();
}

double rss_kb() {
  return apps::resident_bytes() / 1024.0;
}

// -- settings -------------------------------------------------------------------------------------

settings opts;

std::size_t pick(std::size_t full, std::size_t quick) {
  return opts.n ? *opts.n : (opts.quick ? quick : full);
}

manager_config base_config() {
  manager_config defaults;
  defaults.log = make_stderr_sink(log_level::error);
  defaults.workers.executable = opts.worker;
  defaults.workers.kill_grace = 500ms;
  auto cfg = load_config(opts.sources, defaults);
  if (!cfg) {
    std::fprintf(stderr, "configuration: %s\n", render(cfg.error()).c_str());
    std::exit(2);
  }
  return *cfg;
}

// -- python-anyio ---------------------------------------------------------------------------------

namespace {

bool peer_available() {
  static std::optional<bool> ok;
  if (!ok) {
    ok = !opts.peer.empty() && std::system("/usr/bin/python3 -c 'import anyio' 2>/dev/null") == 0;
    if (!*ok)
      std::fprintf(stderr, "note: python-anyio skipped (needs /usr/bin/python3 with python3-anyio "
                           "and apps/bench/anyio_peer.py)\n");
  }
  return *ok;
}

} // namespace

// Runs `cmd` and reads the result lines it prints, each
// {"workload": "...", "system": "...", "n": N, "key": value, ...}.
std::vector<row> rows_of(const std::string& cmd, const std::string& workload,
                         const std::string& system) {
  std::vector<row> result;
  auto pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr)
    return result;
  std::string out;
  char buf[4096];
  while (auto len = std::fread(buf, 1, sizeof buf, pipe))
    out.append(buf, len);
  ::pclose(pipe);
  std::istringstream in{out};
  std::string line;
  while (std::getline(in, line)) {
    // Anything else a run prints (a note, a warning) is not a result line.
    auto x = nlohmann::ordered_json::parse(line, nullptr, false);
    if (!x.is_object() || !x.contains("workload") || !x.contains("n"))
      continue;
    row r{workload, system, x["n"].get<std::size_t>(), {}};
    for (auto& [key, value] : x.items())
      if (value.is_number() && key != "n")
        r.figures.emplace_back(key, value.get<double>());
    result.push_back(std::move(r));
  }
  if (result.empty())
    std::fprintf(stderr, "%s %s: no result\n", system.c_str(), workload.c_str());
  return result;
}

std::optional<row> peer(const std::string& workload, std::size_t n) {
  if (!peer_available())
    return std::nullopt;
  auto cmd = fmt::format("/usr/bin/python3 '{}' --workload {} --n {}{}", opts.peer, workload, n,
                         opts.quick ? " --cpu-iterations 300000" : "");
  auto result = rows_of(cmd, workload, "python-anyio");
  if (result.empty())
    return std::nullopt;
  return result.front();
}

// Memory figures come from a fresh process: memory freed by an earlier workload would be
// reused without growing the resident set, and make a later one look smaller.
std::string self_path;
bool isolated = false;

void run_isolated(const std::string& workload, const std::string& system) {
  auto cmd = fmt::format("'{}' --workload {} --system {} --json --isolated{}{}", self_path,
                         workload, system, opts.quick ? " --quick" : "",
                         opts.n ? fmt::format(" --n {}", *opts.n) : std::string{});
  for (auto& r : rows_of(cmd, workload, system))
    emit(std::move(r));
}

} // namespace bench
