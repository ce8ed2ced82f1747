#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "sync.hpp"
#include "taskactors/errc.hpp"
#include "taskactors/taskactors.hpp"

using namespace taskactors;
using namespace taskactors::test;
using namespace std::chrono_literals;

namespace {

// Collects log lines, for the tests that check what reached the log.
class capture_sink final : public log_sink {
public:
  bool enabled(log_level level) const noexcept override { return level >= log_level::info; }

  void write(log_level, std::string_view message) override {
    std::lock_guard<std::mutex> guard{mtx_};
    lines_.emplace_back(message);
  }

  bool contains(const std::string& text) const {
    std::lock_guard<std::mutex> guard{mtx_};
    return std::any_of(lines_.begin(), lines_.end(), [&](const std::string& line) {
      return line.find(text) != std::string::npos;
    });
  }

  std::size_t count_containing(const std::string& text) const {
    std::lock_guard<std::mutex> guard{mtx_};
    return static_cast<std::size_t>(
        std::count_if(lines_.begin(), lines_.end(), [&](const std::string& line) {
          return line.find(text) != std::string::npos;
        }));
  }

  std::size_t longest() const {
    std::lock_guard<std::mutex> guard{mtx_};
    std::size_t n = 0;
    for (auto& line : lines_)
      n = std::max(n, line.size());
    return n;
  }

private:
  mutable std::mutex mtx_;
  std::vector<std::string> lines_;
};

manager_config with_workers(std::size_t processes = 2) {
  manager_config cfg;
  cfg.global_quota = 8;
  cfg.process_quota = processes;
  cfg.log = make_null_sink();
  cfg.workers.executable = TASKACTORS_TEST_WORKER;
  cfg.workers.args = {"--test-jobs"};
  cfg.workers.kill_grace = 200ms;
  return cfg;
}

// Alive and not a zombie (an orphan's zombie may wait long for its new parent to reap it).
bool process_alive(int pid) {
  if (::kill(pid, 0) != 0)
    return false;
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (f == nullptr)
    return false;
  char state = '?';
  auto n = std::fscanf(f, "%*d (%*[^)]) %c", &state);
  std::fclose(f);
  return n != 1 || state != 'Z';
}

/// Waits until none of `pids` is alive (a killed process disappears once reaped).
bool all_gone(const std::vector<int>& pids) {
  return poll_until([&] { return std::none_of(pids.begin(), pids.end(), process_alive); });
}

/// Waits until `n` workers run a job.
bool busy_workers(task_manager& tm, std::size_t n) {
  return poll_until([&] { return tm.metrics()->processes.busy == n; });
}

/// The pids of `n` workers: runs `n` overlapping jobs, one on each.
std::vector<int> worker_pids(task_manager& tm, int n) {
  std::vector<task_id> ids;
  for (int i = 0; i < n; ++i)
    ids.push_back(*tm.submit(process_task(call<uint32_t>("sleep", uint32_t{100}))));
  std::set<int> pids;
  for (auto& id : ids)
    pids.insert(tm.wait(id)->worker_pid);
  return {pids.begin(), pids.end()};
}

} // namespace

TEST_CASE("process tasks: a job's result comes back from a worker process", "[facade][process]") {
  task_manager tm{with_workers()};
  auto sum = tm.run_in_process(call<uint64_t>("sum_squares", uint64_t{1000}));
  REQUIRE(sum);
  CHECK(*sum == 333'833'500);
  auto echo = tm.run_in_process(call<std::string>("echo", std::string{"héllo"}));
  REQUIRE(echo);
  CHECK(*echo == "héllo");
  CHECK(tm.run_in_process(call<void>("noop")));
  auto id = tm.submit(process_task(call<uint64_t>("cpu", uint64_t{1000})));
  REQUIRE(id);
  auto info = tm.wait(*id);
  REQUIRE(info);
  CHECK(info->kind == task_kind::process);
  CHECK(info->state == task_state::completed);
  CHECK(info->worker_pid > 0);
  CHECK(info->worker_pid != ::getpid());
}

TEST_CASE("process tasks: workers are pre-spawned and reused", "[facade][process]") {
  task_manager tm{with_workers(2)};
  for (int i = 0; i < 20; ++i)
    REQUIRE(tm.run_in_process(call<uint64_t>("sum_squares", uint64_t{10})));
  auto m = tm.metrics();
  REQUIRE(m);
  CHECK(m->processes.started == 2);
  CHECK(m->processes.workers == 2);
  CHECK(m->processes.crashed == 0);
}

TEST_CASE("process tasks: bad input gets a clear error", "[facade][process]") {
  task_manager tm{with_workers()};
  REQUIRE(tm.run_in_process(call<void>("noop"))); // the workers have said which jobs they offer
  auto unknown = tm.run_in_process(call<int>("no-such-job"));
  REQUIRE_FALSE(unknown);
  CHECK(is(unknown.error(), errc::unknown_job));
  CHECK(render(unknown.error()).find("no worker offers job 'no-such-job'") != std::string::npos);
  auto bad_args = tm.run_in_process(call<uint64_t>("sum_squares", std::string{"ten"}));
  REQUIRE_FALSE(bad_args);
  CHECK(is(bad_args.error(), errc::bad_args));
  // An `int` literal for a `uint64_t` parameter, the easiest slip: the error names the job, the
  // types it takes and the types that were sent.
  auto int_literal = tm.run_in_process(call<uint64_t>("sum_squares", 30));
  REQUIRE_FALSE(int_literal);
  CHECK(is(int_literal.error(), errc::bad_args));
  CHECK(message_of(int_literal.error()) ==
        "job 'sum_squares' takes (unsigned long), and the arguments sent do not decode as that "
        "(malformed or truncated data); the call sent (int)");
  auto bad_result = tm.run_in_process(call<std::string>("sum_squares", uint64_t{3}));
  REQUIRE_FALSE(bad_result);
  CHECK(is(bad_result.error(), errc::bad_result));
  auto thrown = tm.run_in_process(call<int>("throw"));
  REQUIRE_FALSE(thrown);
  CHECK(is(thrown.error(), errc::task_exception));
  CHECK(render(thrown.error()).find("std::runtime_error: thrown by the job") != std::string::npos);
  CHECK(tm.metrics()->processes.crashed == 0); // job failures leave workers alone
}

TEST_CASE("process tasks: a worker that dies during a job fails it and is replaced",
          "[facade][process]") {
  auto cfg = with_workers(1);
  cfg.workers.restart_intensity = 10;
  task_manager tm{cfg};
  auto crash = tm.run_in_process(call<void>("crash"));
  REQUIRE_FALSE(crash);
  CHECK(is(crash.error(), errc::worker_crashed));
  CHECK(render(crash.error()).find("killed by signal 11 (SIGSEGV) while running job 'crash'") !=
        std::string::npos);
  auto aborted = tm.run_in_process(call<void>("abort"));
  REQUIRE_FALSE(aborted);
  CHECK(render(aborted.error()).find("signal 6 (SIGABRT)") != std::string::npos);
  auto exited = tm.run_in_process(call<void>("exit", int32_t{3}));
  REQUIRE_FALSE(exited);
  CHECK(render(exited.error()).find("exited with code 3") != std::string::npos);
  auto after = tm.run_in_process(call<uint64_t>("sum_squares", uint64_t{2}));
  REQUIRE(after);
  CHECK(*after == 5);
  auto m = tm.metrics();
  CHECK(m->processes.crashed == 3);
  CHECK(m->processes.started == 4);
}

TEST_CASE("process tasks: writing to a worker killed from outside does not end the host",
          "[facade][process]") {
  // The workers die while idle; the next jobs may be written to them before their exit is seen.
  // The write must fail with EPIPE, not raise SIGPIPE (whose default action ends this process).
  auto cfg = with_workers(2);
  cfg.workers.restart_intensity = 100;
  task_manager tm{cfg};
  for (int round = 0; round < 3; ++round) {
    auto pids = worker_pids(tm, 2);
    for (auto pid : pids)
      ::kill(pid, SIGKILL);
    std::string big(256 << 10, 'x'); // more than a pipe buffer: the write is still going on
    std::vector<task_id> ids;
    for (int i = 0; i < 4; ++i)
      ids.push_back(*tm.submit(process_task(call<std::string>("echo", big))));
    for (auto& id : ids) {
      auto info = tm.wait(id, 30s);
      REQUIRE(info);
      CHECK(info->terminal());
    }
  }
  auto after = tm.run_in_process(call<uint64_t>("sum_squares", uint64_t{2}));
  REQUIRE(after);
  CHECK(*after == 5);
}

TEST_CASE("process tasks: cancelling a job terminates its worker only", "[facade][process]") {
  task_manager tm{with_workers(2)};
  auto blocked = tm.submit(process_task(call<void>("block")));
  auto slow = tm.submit(process_task(call<uint32_t>("sleep", uint32_t{300})));
  REQUIRE(blocked);
  REQUIRE(slow);
  REQUIRE(busy_workers(tm, 2));
  auto cancelled = tm.cancel(*blocked);
  REQUIRE(cancelled);
  CHECK(cancelled->state == task_state::cancelled);
  auto done = tm.wait(*slow, 10s);
  REQUIRE(done);
  CHECK(done->state == task_state::completed); // the other worker was not touched
  auto report = tm.shutdown(shutdown_mode::drain, 10s);
  REQUIRE(report);
  CHECK(report->clean());
  CHECK(report->metrics.processes.crashed == 0);
}

TEST_CASE("process tasks: cancellation reports the signal that ended the worker",
          "[facade][process]") {
  task_manager tm{with_workers(2)};
  auto obeys = tm.submit(process_task(call<void>("block"), {.timeout = 100ms}));
  auto ignores = tm.submit(process_task(call<void>("hang"), {.timeout = 100ms}));
  REQUIRE(obeys);
  REQUIRE(ignores);
  auto a = tm.wait(*obeys, 10s);
  auto b = tm.wait(*ignores, 10s);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->state == task_state::timeout);
  CHECK(b->state == task_state::timeout);
  // The stage is recorded once the worker is gone; a drain waits for that.
  auto report = tm.shutdown(shutdown_mode::drain, 10s);
  REQUIRE(report);
  CHECK(report->clean());
}

TEST_CASE("process tasks: the stage that ended a cancelled job is on its record",
          "[facade][process]") {
  auto sink = std::make_shared<capture_sink>();
  auto cfg = with_workers(1);
  cfg.log = sink;
  task_manager tm{cfg};
  auto hang = tm.submit(process_task(call<void>("hang"), {.id = "stubborn-job"}));
  REQUIRE(hang);
  REQUIRE(poll_until([&] { return sink->contains("hang: ignoring SIGTERM"); }));
  REQUIRE(tm.cancel(*hang));
  // The next job needs the process token, which returns only when the killed worker is gone.
  auto next = tm.run_in_process(call<uint64_t>("sum_squares", uint64_t{1}));
  REQUIRE(next);
  auto info = tm.status(*hang);
  REQUIRE(info);
  CHECK(info->state == task_state::cancelled);
  CHECK(info->stage == stop_stage::sigkill); // it ignored SIGTERM for the grace period
  auto block = tm.submit(process_task(call<void>("block")));
  REQUIRE(busy_workers(tm, 1));
  REQUIRE(tm.cancel(*block));
  REQUIRE(tm.run_in_process(call<uint64_t>("sum_squares", uint64_t{1})));
  CHECK(tm.status(*block)->stage == stop_stage::sigterm);
}

TEST_CASE("process tasks: garbage on a worker's stdout kills that worker, not the host",
          "[facade][process]") {
  task_manager tm{with_workers(1)};
  auto garbage = tm.run_in_process(call<int>("garbage"));
  REQUIRE_FALSE(garbage);
  CHECK(is(garbage.error(), errc::protocol_error));
  CHECK(render(garbage.error()).find("magic bytes") != std::string::npos);
  auto after = tm.run_in_process(call<std::string>("echo", std::string{"still fine"}));
  REQUIRE(after);
  CHECK(*after == "still fine");
}

TEST_CASE("process tasks: a worker above its memory limit is killed mid-job", "[facade][process]") {
  auto cfg = with_workers(1);
  cfg.workers.max_rss = 64u << 20;
  cfg.workers.rss_interval = 10ms;
  task_manager tm{cfg};
  auto hog = tm.run_in_process(call<uint32_t>("alloc", uint32_t{256}, uint32_t{5000}));
  REQUIRE_FALSE(hog);
  CHECK(is(hog.error(), errc::memory_limit));
  CHECK(render(hog.error()).find("(limit 64 MiB)") != std::string::npos);
  auto small = tm.run_in_process(call<uint32_t>("alloc", uint32_t{4}, uint32_t{0}));
  REQUIRE(small);
  CHECK(*small == 4);
}

TEST_CASE("process tasks: workers are recycled after max_jobs", "[facade][process]") {
  auto cfg = with_workers(1);
  cfg.workers.max_jobs = 2;
  task_manager tm{cfg};
  std::set<int> pids;
  for (int i = 0; i < 6; ++i) {
    auto ids = tm.run_in_process(call<std::vector<int32_t>>("ids"));
    REQUIRE(ids);
    pids.insert((*ids)[0]);
  }
  CHECK(pids.size() == 3);
  auto m = tm.metrics();
  CHECK(m->processes.recycled >= 2);
  CHECK(m->processes.crashed == 0);
}

TEST_CASE("process tasks: repeated crashes pause restarts, then the pool recovers",
          "[facade][process]") {
  auto cfg = with_workers(1);
  cfg.workers.restart_intensity = 2;
  cfg.workers.restart_period = 10s;
  // Long enough that the next job surely arrives within it, even on a loaded machine under a
  // sanitizer (300 ms was not: it once ran out between the third crash and the next job).
  cfg.workers.restart_backoff = 2s;
  task_manager tm{cfg};
  for (int i = 0; i < 3; ++i)
    CHECK(is(tm.run_in_process(call<void>("crash")).error(), errc::worker_crashed));
  auto paused = tm.run_in_process(call<uint64_t>("sum_squares", uint64_t{1}));
  REQUIRE_FALSE(paused);
  CHECK(is(paused.error(), errc::pool_unavailable));
  CHECK(tm.metrics()->processes.backing_off);
  // Let the back-off pass (an async task that completes after it; no sleep here).
  auto later = tm.submit([](async_context& ctx) {
    ctx.after(2100ms, [&ctx] { ctx.complete(); });
    return ctx.pending();
  });
  REQUIRE(tm.wait(*later, 10s));
  auto recovered = tm.run_in_process(call<uint64_t>("sum_squares", uint64_t{1}));
  REQUIRE(recovered);
  CHECK(*recovered == 1);
}

TEST_CASE("process tasks: a worker that does not speak the protocol fails its jobs clearly",
          "[facade][process]") {
  auto cfg = with_workers(1);
  cfg.workers.executable = "/bin/echo"; // writes a line of text instead of a hello
  cfg.workers.args = {"I am not a worker"};
  cfg.workers.restart_intensity = 1;
  cfg.workers.restart_backoff = 10s;
  task_manager tm{cfg};
  auto r = tm.run_in_process(call<int>("anything"));
  REQUIRE_FALSE(r);
  CHECK(is(r.error(), errc::pool_unavailable));
  CHECK(tm.metrics()->processes.crashed >= 2);
}

TEST_CASE("process tasks: a missing worker executable is refused at start, by path",
          "[facade][process]") {
  auto cfg = with_workers();
  cfg.workers.executable = "/no/such/worker";
  auto started = task_manager::start(cfg);
  REQUIRE_FALSE(started);
  CHECK(is(started.error(), errc::invalid_config));
  CHECK(render(started.error()) ==
        "taskactors::invalid_config: workers.executable = '/no/such/worker': "
        "/no/such/worker does not exist");
  auto plain = std::string{"/tmp/taskactors-not-executable-"} + std::to_string(::getpid());
  std::FILE* f = std::fopen(plain.c_str(), "w");
  REQUIRE(f != nullptr);
  std::fclose(f);
  ::chmod(plain.c_str(), 0644);
  cfg.workers.executable = plain;
  auto not_exec = task_manager::start(cfg);
  ::unlink(plain.c_str());
  REQUIRE_FALSE(not_exec);
  CHECK(render(not_exec.error()).find("is not executable") != std::string::npos);
  manager_config none;
  none.log = make_null_sink();
  task_manager tm{none};
  auto refused = tm.run_in_process(call<int>("cpu"));
  REQUIRE_FALSE(refused);
  CHECK(is(refused.error(), errc::invalid_argument));
  CHECK(render(refused.error()).find("workers.executable") != std::string::npos);
}

TEST_CASE("process tasks: a worker runs in a sandbox", "[facade][process]") {
  ::setenv("TASKACTORS_TEST_SECRET", "must not leak", 1);
  auto cfg = with_workers(1);
  cfg.workers.rlimit_open_files = 64;
  cfg.workers.rlimit_cpu_seconds = 600;
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // A sanitized worker reserves terabytes of address space for its shadow memory.
  cfg.workers.rlimit_address_space = 4ull << 30;
#endif
  task_manager tm{cfg};
  auto env = tm.run_in_process(call<std::vector<std::string>>("environment"));
  REQUIRE(env);
  for (auto& entry : *env) {
    auto name = entry.substr(0, entry.find('='));
    INFO(entry);
    CHECK((name == "PATH" || name == "HOME" || name == "LANG" || name == "LC_ALL" || name == "TZ" ||
           name == "TMPDIR" || name.rfind("TASKACTORS_", 0) == 0));
    CHECK(name != "TASKACTORS_TEST_SECRET");
  }
  auto fds = tm.run_in_process(call<std::vector<int32_t>>("descriptors"));
  REQUIRE(fds);
  std::sort(fds->begin(), fds->end());
  CHECK(*fds == std::vector<int32_t>{0, 1, 2});
  auto limits = tm.run_in_process(call<std::vector<uint64_t>>("limits"));
  REQUIRE(limits);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  CHECK((*limits)[0] == (4ull << 30));
#endif
  CHECK((*limits)[1] == 600);
  CHECK((*limits)[2] == 64);
  auto ids = tm.run_in_process(call<std::vector<int32_t>>("ids"));
  REQUIRE(ids);
  CHECK((*ids)[1] == (*ids)[0]);  // its own process group
  CHECK((*ids)[2] == ::getpid()); // a child of the host
  ::unsetenv("TASKACTORS_TEST_SECRET");
}

TEST_CASE("process tasks: shell metacharacters in names and arguments are inert",
          "[facade][process]") {
  task_manager tm{with_workers(1)};
  std::string nasty = "$(touch /tmp/taskactors-pwned); `id`; | cat > /tmp/x && rm -rf ~";
  auto echoed = tm.run_in_process(call<std::string>("echo", nasty));
  REQUIRE(echoed);
  CHECK(*echoed == nasty);
  auto odd_name = tm.run_in_process(call<int>("echo; touch /tmp/taskactors-pwned"));
  REQUIRE_FALSE(odd_name);
  CHECK(is(odd_name.error(), errc::unknown_job));
  CHECK(::access("/tmp/taskactors-pwned", F_OK) != 0);
  auto argv = tm.run_in_process(call<std::vector<std::string>>("argv"));
  REQUIRE(argv);
  CHECK(*argv == std::vector<std::string>{TASKACTORS_TEST_WORKER, "--test-jobs"});
}

TEST_CASE("process tasks: worker stderr reaches the log with the worker's pid",
          "[facade][process]") {
  auto sink = std::make_shared<capture_sink>();
  auto cfg = with_workers(1);
  cfg.log = sink;
  task_manager tm{cfg};
  auto ids = tm.run_in_process(call<std::vector<int32_t>>("ids"));
  REQUIRE(ids);
  REQUIRE(tm.run_in_process(call<int>("stderr", std::string{"a line for the log"})));
  auto expected = "worker " + std::to_string((*ids)[0]) + ": a line for the log";
  CHECK(poll_until([&] { return sink->contains(expected); })); // written by the I/O thread
}

namespace {

std::size_t resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  unsigned long size = 0;
  unsigned long resident = 0;
  if (f == nullptr || std::fscanf(f, "%lu %lu", &size, &resident) != 2)
    FAIL("cannot read /proc/self/statm");
  std::fclose(f);
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

} // namespace

// A worker that writes without a newline cost the host as much memory as it wrote.
TEST_CASE("process tasks: a stderr flood costs the host one bounded line, and is rate-limited",
          "[facade][process]") {
  auto sink = std::make_shared<capture_sink>();
  auto cfg = with_workers(1);
  cfg.log = sink;
  cfg.workers.stderr_line_max = 1024;
  cfg.workers.stderr_lines_per_second = 20;
  task_manager tm{cfg};
  REQUIRE(tm.run_in_process(call<std::string>("echo", std::string{"warm"}))); // worker up
  auto before = resident_bytes();
  auto done = tm.run_in_process(call<uint32_t>("stderr_flood", uint32_t{192}));
  REQUIRE(done);
  CHECK(*done == 192);
  // The count of dropped lines is logged once a line passes again or the stream ends.
  CHECK_FALSE(tm.run_in_process(call<int>("exit", int32_t{0})));
  CHECK(poll_until([&] { return sink->contains("lines of stderr dropped"); }));
  auto growth = resident_bytes() - std::min(before, resident_bytes());
  CHECK(growth < (32u << 20)); // it wrote 192 MiB
  // 192k pieces of 1 KiB; at 20 lines a second a few dozen pass, however long the flood lasts
  // in this build (the exact accounting of the rate is unit-tested in stderr_lines_test.cpp).
  // Each line that passes after drops is preceded by one line counting them.
  auto notes = sink->count_containing("lines of stderr dropped");
  auto passed = sink->count_containing("worker ") - notes;
  CHECK(passed <= 200);
  CHECK(notes <= passed + 1);
  CHECK(sink->longest() <= 1024 + 64);
}

TEST_CASE("process tasks: what a job forks ends with its worker", "[facade][process]") {
  auto cfg = with_workers(1);
  cfg.workers.max_jobs = 1; // the worker is recycled after the job
  task_manager tm{cfg};
  auto child = tm.run_in_process(call<int32_t>("fork"));
  REQUIRE(child);
  REQUIRE(*child > 0);
  CHECK(all_gone({*child}));
}

TEST_CASE("process tasks: a cancel is prompt even when the host ignores SIGTERM",
          "[facade][process]") {
  struct ignore_sigterm {
    ignore_sigterm() { old = std::signal(SIGTERM, SIG_IGN); }
    ~ignore_sigterm() { std::signal(SIGTERM, old); }
    void (*old)(int);
  } guard;
  auto cfg = with_workers(1);
  cfg.workers.kill_grace = 60s; // only a SIGTERM that works ends it in time
  task_manager tm{cfg};
  auto id = tm.submit(process_task(call<int>("block")));
  REQUIRE(id);
  REQUIRE(busy_workers(tm, 1));
  REQUIRE(tm.cancel(*id));
  CHECK(poll_until([&] { return tm.status(*id)->stage == stop_stage::sigterm; }));
  CHECK(poll_until([&] { return tm.metrics()->limiters[2].borrowed == 0; }));
}

TEST_CASE("process tasks: an async task runs a job without blocking its actor",
          "[facade][process]") {
  task_manager tm{with_workers(1)};
  auto id = tm.submit([](async_context& ctx) {
    run_in_process(ctx, call<uint64_t>("sum_squares", uint64_t{3}),
                   [&ctx](caf::expected<uint64_t> r) {
                     if (r)
                       ctx.complete(*r * 10);
                     else
                       ctx.fail(r.error());
                   });
    return ctx.pending();
  });
  REQUIRE(id);
  auto info = tm.wait(*id, 10s);
  REQUIRE(info);
  CHECK(*info->value.get_if<uint64_t>() == 140);
}

TEST_CASE("process tasks: no worker process outlives its manager", "[facade][process]") {
  std::vector<int> pids;
  {
    task_manager tm{with_workers(2)};
    pids = worker_pids(tm, 2);
    REQUIRE(pids.size() == 2);
    REQUIRE(tm.submit(process_task(call<void>("hang"))));
  } // the destructor cancels the hanging job and stops the pool
  CHECK(all_gone(pids));
}

TEST_CASE("process tasks: killing the manager abruptly leaves no worker behind",
          "[facade][process]") {
  task_manager tm{with_workers(2)};
  auto pids = worker_pids(tm, 2);
  REQUIRE(pids.size() == 2);
  caf::anon_send_exit(tm.actor(), caf::exit_reason::kill);
  CHECK(all_gone(pids));
}

TEST_CASE("process tasks: when the host process dies, its workers die too", "[facade][process]") {
  int out[2];
  REQUIRE(::pipe(out) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::string host = TASKACTORS_TEST_HOST;
  std::string worker = TASKACTORS_TEST_WORKER;
  std::vector<char*> argv{host.data(), worker.data(), const_cast<char*>("2"), nullptr};
  pid_t pid = 0;
  REQUIRE(::posix_spawn(&pid, host.c_str(), &actions, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  std::FILE* in = ::fdopen(out[0], "r");
  std::vector<int> pids;
  char line[64];
  while (std::fgets(line, sizeof(line), in) != nullptr && std::string{line} != "ready\n")
    pids.push_back(std::atoi(line));
  std::fclose(in);
  REQUIRE(pids.size() == 2);
  CHECK(std::all_of(pids.begin(), pids.end(), process_alive));
  ::kill(pid, SIGKILL); // no destructor, no shutdown: the host is just gone
  ::waitpid(pid, nullptr, 0);
  CHECK(all_gone(pids));
}

namespace {

std::string thread_name() {
  char name[32] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

} // namespace

TEST_CASE("process tasks: a slow callback runs on a scheduler thread and gets no healthy worker "
          "killed as hung",
          "[facade][process]") {
  auto cfg = with_workers(2);
  cfg.scheduler_threads = 1; // the slow callback holds the only scheduler thread
  cfg.workers.heartbeat = 20ms;
  cfg.workers.heartbeat_timeout = 150ms;
  task_manager tm{cfg};
  REQUIRE(tm.run_in_process(call<void>("noop"))); // the workers are up
  auto mgr = tm.actor();
  std::promise<task_info> long_job;
  std::promise<std::string> process_callback;
  std::promise<std::string> thread_callback;
  tm.system().spawn(
      [&, mgr](caf::event_based_actor* self, int) -> caf::behavior {
        // A job that runs long, on one worker, beating all along.
        self->request(mgr, caf::infinite, run_atom::value,
                      process_task(call<uint32_t>("sleep", uint32_t{800})))
            .then([&](task_info& info) { long_job.set_value(info); },
                  [&](caf::error& err) { FAIL(render(err)); });
        // A short one on the other, whose callback is slow user code.
        self->request(mgr, caf::infinite, run_atom::value, process_task(call<void>("noop")))
            .then(
                [&](task_info&) {
                  auto name = thread_name();
                  std::this_thread::sleep_for(500ms); // slow user code, not a wait in the test
                  process_callback.set_value(name);
                },
                [&](caf::error& err) { FAIL(render(err)); });
        self->request(mgr, caf::infinite, run_atom::value, thread_task([] { return 1; }))
            .then([&](task_info&) { thread_callback.set_value(thread_name()); },
                  [&](caf::error& err) { FAIL(render(err)); });
        return {[](int) {}};
      },
      0);
  auto named = process_callback.get_future();
  REQUIRE(named.wait_for(30s) == std::future_status::ready);
  CHECK(named.get().rfind("taskactors.", 0) != 0); // neither the I/O nor a pool thread
  auto by_thread = thread_callback.get_future();
  REQUIRE(by_thread.wait_for(30s) == std::future_status::ready);
  CHECK(by_thread.get().rfind("taskactors.", 0) != 0);
  auto done = long_job.get_future();
  REQUIRE(done.wait_for(30s) == std::future_status::ready);
  auto info = done.get();
  CHECK(info.state == task_state::completed);
  CHECK(info.value.get_if<uint32_t>() != nullptr);
  CHECK(tm.metrics()->processes.killed == 0);
}
