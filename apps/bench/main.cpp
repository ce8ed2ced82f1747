// taskactors-bench: concurrency models side by side on the same workloads, in one run.
//
// Systems: taskactors (the manager, through its public API), raw-caf (an actor per task and a
// reply, no manager: the floor), thread-per-task (std::thread), thread-pool
// (boost::asio::thread_pool) and python-anyio (anyio_peer.py, the Python design it succeeds, run
// with Debian's python3 when python3-anyio is installed). Prints one JSON object per line per
// (workload, system), then a table with each figure's ratio to taskactors.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench.hpp"
#include "cli.hpp"

using namespace taskactors;
using namespace bench;

namespace {

// -- workloads ------------------------------------------------------------------------------------

using system_fn = std::function<std::optional<row>()>;

struct workload_def {
  std::string name;
  std::vector<std::pair<std::string, system_fn>> systems;
};

std::vector<workload_def> workloads() {
  auto some = [](row r) { return std::optional<row>{std::move(r)}; };
  std::vector<workload_def> w;
  w.push_back({"spawn",
               {{"taskactors", [=] { return some(ta_spawn(pick(100'000, 5'000))); }},
                {"raw-caf", [=] { return some(raw_spawn(pick(100'000, 5'000))); }},
                {"thread-per-task", [=] { return some(tpt_spawn(pick(20'000, 1'000))); }},
                {"thread-pool", [=] { return some(pool_spawn(pick(100'000, 5'000))); }},
                {"python-anyio", [] { return peer("spawn", pick(100'000, 5'000)); }}}});
  w.push_back({"hold",
               {{"taskactors", [=] { return some(ta_hold(pick(100'000, 5'000))); }},
                {"raw-caf", [=] { return some(raw_hold(pick(100'000, 5'000))); }},
                {"thread-per-task", [=] { return some(tpt_hold(pick(10'000, 500), "hold")); }},
                {"python-anyio", [] { return peer("hold", pick(100'000, 5'000)); }}}});
  w.push_back({"gather-io",
               {{"taskactors", [=] { return some(ta_gather_io(pick(10'000, 512))); }},
                {"python-anyio", [] { return peer("gather-io", pick(10'000, 512)); }}}});
  w.push_back({"cancel",
               {{"taskactors", [=] { return some(ta_cancel(pick(1'000, 100))); }},
                {"python-anyio", [] { return peer("cancel", pick(1'000, 100)); }}}});
  w.push_back({"timeout",
               {{"taskactors", [=] { return some(ta_timeout(pick(300, 50))); }},
                {"python-anyio", [] { return peer("timeout", pick(300, 50)); }}}});
  w.push_back({"cpu",
               {{"taskactors", [=] { return ta_cpu(pick(8, 4)); }},
                {"python-anyio", [] { return peer("cpu", pick(8, 4)); }}}});
  w.push_back({"proc-rt",
               {{"taskactors", [=] { return ta_proc_rt(pick(2'000, 100)); }},
                {"python-anyio", [] { return peer("proc-rt", pick(2'000, 100)); }}}});
  w.push_back({"thread-rt",
               {{"taskactors", [=] { return some(ta_thread_rt(pick(2'000, 100))); }},
                {"thread-pool", [=] { return some(pool_thread_rt(pick(2'000, 100))); }}}});
  w.push_back({"scale", {{"taskactors", [] {
                            std::vector<std::size_t> sizes =
                                opts.quick ? std::vector<std::size_t>{1'000, 10'000}
                                           : std::vector<std::size_t>{10'000, 100'000, 1'000'000};
                            for (auto size : sizes) {
                              auto s = ta_spawn(size);
                              auto h = ta_hold(size, "scale");
                              emit({"scale",
                                    "taskactors",
                                    size,
                                    {{"us_per_task", 1e6 / *s.get("tasks_per_s")},
                                     {"kb_per_task", *h.get("kb_per_task")}}});
                            }
                            return std::optional<row>{};
                          }}}});
  w.push_back({"models",
               {{"taskactors",
                 [] {
                   for (std::size_t size : {100, 1'000, 10'000})
                     emit(ta_hold(size, "models"));
                   return std::optional<row>{};
                 }},
                {"raw-caf",
                 [] {
                   for (std::size_t size : {100, 1'000, 10'000})
                     emit(raw_hold(size, "models"));
                   return std::optional<row>{};
                 }},
                {"thread-per-task",
                 [] {
                   for (std::size_t size : {100, 1'000, 10'000})
                     emit(tpt_hold(size, "models"));
                   return std::optional<row>{};
                 }},
                {"python-anyio", [] {
                   for (std::size_t size : {100, 1'000, 10'000})
                     if (auto r = peer("models", size))
                       emit(*r);
                   return std::optional<row>{};
                 }}}});
  return w;
}

// The figure each workload's table shows.
const std::map<std::string, std::string> headline{
    {"spawn", "tasks_per_s"}, {"hold", "kb_per_task"}, {"gather-io", "efficiency"},
    {"cancel", "p50_us"},     {"timeout", "p99_ms"},   {"cpu", "efficiency"},
    {"proc-rt", "p50_us"},    {"thread-rt", "p50_us"}, {"scale", "us_per_task"},
    {"models", "rss_mb"}};

void print_table() {
  std::fprintf(json_only ? stderr : stdout, "\n%-10s %-16s %9s %-12s %12s %8s\n", "workload",
               "system", "n", "figure", "value", "vs ta");
  for (auto& r : rows) {
    auto key = headline.at(r.workload);
    auto value = r.get(key);
    if (!value)
      continue;
    std::optional<double> base;
    for (auto& b : rows)
      if (b.workload == r.workload && b.system == "taskactors" && b.n == r.n)
        base = b.get(key);
    if (!base && r.workload != "scale" && r.workload != "models")
      for (auto& b : rows)
        if (b.workload == r.workload && b.system == "taskactors")
          base = b.get(key);
    auto ratio = base && *base != 0 ? fmt::format("{:.2f}x", *value / *base) : std::string{"-"};
    std::fprintf(json_only ? stderr : stdout, "%-10s %-16s %9zu %-12s %12.4g %8s\n",
                 r.workload.c_str(), r.system.c_str(), r.n, key.c_str(), *value, ratio.c_str());
  }
}

void write_csv(const std::string& path) {
  std::ofstream out{path};
  out << "workload,system,n,figure,value\n";
  for (auto& r : rows)
    for (auto& [k, v] : r.figures)
      out << r.workload << ',' << r.system << ',' << r.n << ',' << k << ',' << v << '\n';
}

// A bar chart of each workload's headline figure, relative to taskactors (gnuplot-nox).
void write_plot(const std::string& svg) {
  auto data = svg + ".dat";
  {
    std::ofstream out{data};
    for (auto& r : rows) {
      auto key = headline.at(r.workload);
      auto value = r.get(key);
      std::optional<double> base;
      for (auto& b : rows)
        if (b.workload == r.workload && b.system == "taskactors" && b.n == r.n)
          base = b.get(key);
      if (value && base && *base != 0 && r.system != "taskactors")
        out << '"' << r.workload << " (" << key << ")\\n"
            << r.system << " n=" << r.n << "\" " << *value / *base << '\n';
    }
  }
  auto script = fmt::format(
      "set terminal svg size 1100,600 font 'sans,10'; set output '{}';"
      "set title 'each system relative to taskactors (1.0), same run';"
      "set style fill solid 0.6; set boxwidth 0.7; set logscale y; set grid y;"
      "set xtics rotate by -45 font ',8'; set ylabel 'ratio (log)';"
      "plot '{}' using 0:2:xtic(1) with boxes notitle, 1 with lines lw 2 title 'taskactors'",
      svg, data);
  auto cmd = fmt::format("gnuplot -e \"{}\"", script);
  if (std::system(cmd.c_str()) != 0)
    std::fprintf(stderr, "note: no plot (gnuplot-nox not installed?)\n");
  std::filesystem::remove(data);
}

std::string beside_me(const std::vector<std::string>& names) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec)
    return {};
  for (auto& name : names)
    for (auto dir : {self.parent_path(), self.parent_path().parent_path() / "worker",
                     self.parent_path().parent_path() / "share" / "taskactors",
                     std::filesystem::path{TASKACTORS_BENCH_SOURCE_DIR}})
      if (std::filesystem::exists(dir / name))
        return (dir / name).string();
  return {};
}

} // namespace

int main(int argc, char** argv) {
  std::string workload = "all";
  std::string system = "all";
  std::string csv;
  std::string plot;
  apps::config_options config;
  CLI::App app{"taskactors-bench: the runtime against raw CAF, threads and an AnyIO peer\n"
               "workloads: spawn hold gather-io cancel timeout cpu proc-rt thread-rt scale models\n"
               "systems: taskactors raw-caf thread-per-task thread-pool python-anyio",
               "taskactors-bench"};
  app.add_option("--workload", workload, "workloads to run, separated by commas, or all")
      ->type_name("NAME[,NAME...]")
      ->capture_default_str();
  app.add_option("--system", system, "one system, or all")
      ->type_name("NAME")
      ->capture_default_str();
  std::size_t n = 0;
  app.add_option("--n", n, "the size of every workload (default: its full or quick size)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--quick", opts.quick, "small sizes, for a smoke run");
  app.add_flag("--json", json_only, "only the JSON result lines on stdout (the table on stderr)");
  app.add_option("--csv", csv, "also write the results as CSV")->type_name("FILE");
  app.add_option("--plot", plot, "also plot the results with gnuplot")->type_name("FILE.svg");
  // Set by the bench itself for the memory workloads, each run in a fresh process.
  app.add_flag("--isolated", isolated)->group("");
  apps::add_config_options(app, config);
  if (auto rc = apps::parse(app, argc, argv))
    return *rc;
  opts.sources = config.sources();
  if (n > 0)
    opts.n = n;
  opts.worker = beside_me({"taskactors-worker"});
  self_path = std::filesystem::read_symlink("/proc/self/exe").string();
  opts.peer = beside_me({"anyio_peer.py"});
  auto all = workloads();
  // The workloads to run, in the order given: "all", or names separated by commas.
  std::vector<const workload_def*> chosen;
  std::string unknown;
  for (std::size_t pos = 0; pos <= workload.size();) {
    auto comma = std::min(workload.find(',', pos), workload.size());
    auto name = workload.substr(pos, comma - pos);
    pos = comma + 1;
    for (auto& w : all)
      if (name == "all" || w.name == name)
        chosen.push_back(&w);
    if (name != "all" &&
        std::none_of(all.begin(), all.end(), [&](auto& w) { return w.name == name; }))
      unknown = name;
  }
  bool known_workload = unknown.empty();
  if (!known_workload)
    workload = unknown;
  bool known_system = system == "all";
  for (auto& w : all)
    for (auto& [name, fn] : w.systems)
      known_system |= name == system;
  if (!known_workload || !known_system) {
    std::fprintf(stderr, "taskactors-bench: unknown %s '%s'\n\n%s",
                 known_workload ? "system" : "workload",
                 known_workload ? system.c_str() : workload.c_str(), app.help().c_str());
    return 2;
  }
  for (auto* def : chosen) {
    auto& w = *def;
    for (auto& [name, fn] : w.systems) {
      if (system != "all" && name != system)
        continue;
      bool memory = w.name == "hold" || w.name == "models" || w.name == "scale";
      if (memory && !isolated && name != "python-anyio")
        run_isolated(w.name, name);
      else if (auto r = fn())
        emit(std::move(*r));
    }
  }
  if (isolated)
    return 0;
  print_table();
  if (!csv.empty())
    write_csv(csv);
  if (!plot.empty())
    write_plot(plot);
  return 0;
}
