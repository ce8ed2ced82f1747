#include <catch2/catch.hpp>

#include <csignal>
#include <map>
#include <memory>
#include <vector>

#include "actors/manager_state.hpp"
#include "manager_env.hpp"
#include "taskactors/errc.hpp"
#include "wire/wire.hpp"

using namespace taskactors;
using namespace taskactors::detail;
using namespace taskactors::test;
using namespace std::chrono_literals;

namespace {

// Plays the operating system: records what the pool asks for; the test plays the workers by
// sending their events. No process, no thread.
struct fake_os {
  std::shared_ptr<worker_events> events;
  std::vector<worker_id> launched;
  std::map<worker_id, std::vector<wire::frame>> written;
  std::vector<std::pair<worker_id, int>> signals;
  std::vector<worker_id> closed;

  bool signalled(worker_id id, int sig) const {
    for (auto& [w, s] : signals)
      if (w == id && s == sig)
        return true;
    return false;
  }
};

class fake_launcher final : public process_launcher {
public:
  explicit fake_launcher(std::shared_ptr<fake_os> os) : os_(std::move(os)) {}

  void launch(worker_id id, const launch_spec&) override { os_->launched.push_back(id); }

  void write(worker_id id, std::vector<char> bytes) override {
    wire::decoder d;
    std::vector<wire::frame> frames;
    d.feed(bytes.data(), bytes.size(), frames);
    for (auto& f : frames)
      os_->written[id].push_back(std::move(f));
  }

  void signal(worker_id id, int sig) override { os_->signals.emplace_back(id, sig); }

  void close_input(worker_id id) override { os_->closed.push_back(id); }

  std::optional<std::size_t> resident_bytes(worker_id) override { return std::nullopt; }

  void stop() override {}

private:
  std::shared_ptr<fake_os> os_;
};

std::vector<char> frame_bytes(wire::frame_kind kind, uint64_t corr, std::vector<char> payload) {
  std::vector<char> out;
  wire::encode(out, kind, corr, payload);
  return out;
}

manager_config pool_config() {
  auto cfg = small_config(4);
  cfg.process_quota = 1;
  cfg.workers.executable = "/bin/true"; // never started: the launcher is fake
  cfg.workers.kill_grace = 1s;
  cfg.workers.start_timeout = 5s;
  cfg.workers.heartbeat = caf::timespan{0};
  return cfg;
}

struct pool_env : deterministic {
  explicit pool_env(manager_config cfg = pool_config()) : os(std::make_shared<fake_os>()) {
    auto os_ref = os;
    auto spawned = spawn_manager_with(sys(), std::move(cfg), [os_ref](auto events) {
      os_ref->events = std::move(events);
      return std::make_unique<fake_launcher>(os_ref);
    });
    REQUIRE(spawned);
    mgr = *spawned;
    run();
  }

  ~pool_env() {
    self()->send_exit(mgr, caf::exit_reason::kill);
    run();
  }

  void started(worker_id id, int pid) {
    os->events->started(id, pid);
    run();
  }

  void say(worker_id id, std::vector<char> bytes) {
    os->events->output(id, std::move(bytes));
    run();
  }

  void hello(worker_id id) {
    say(id, frame_bytes(wire::frame_kind::hello, 0,
                        wire::encode_payload(wire::hello{100, {"cpu", "echo"}})));
  }

  void exited(worker_id id, int status) {
    os->events->exited(id, status);
    run();
  }

  /// The correlation id of the last request written to worker `id`.
  uint64_t last_request(worker_id id) {
    REQUIRE_FALSE(os->written[id].empty());
    return os->written[id].back().correlation;
  }

  task_id submit_call(typed_call<uint64_t> c, submit_options opts = {}) {
    auto id = ask<task_id>(mgr, submit_atom::value, process_task(std::move(c), std::move(opts)));
    REQUIRE(id);
    return *id;
  }

  task_info status(const task_id& id) {
    auto info = ask<task_info>(mgr, status_atom::value, id);
    REQUIRE(info);
    return *info;
  }

  manager_metrics metrics() {
    auto m = ask<manager_metrics>(mgr, metrics_atom::value);
    REQUIRE(m);
    return *m;
  }

  std::shared_ptr<fake_os> os;
  manager_actor mgr;
};

std::vector<char> u64_result(uint64_t x) {
  return *to_bytes(x);
}

} // namespace

TEST_CASE("worker pool: a job runs on the pre-spawned worker once it said hello", "[actor]") {
  pool_env env;
  REQUIRE(env.os->launched == std::vector<worker_id>{1});
  auto id = env.submit_call(call<uint64_t>("cpu", uint64_t{5}));
  CHECK(env.status(id).state == task_state::running);
  CHECK(env.os->written[1].empty()); // no hello yet: nothing is sent
  env.started(1, 4242);
  env.hello(1);
  REQUIRE(env.os->written[1].size() == 1);
  auto req = wire::decode_request(env.os->written[1][0].payload);
  REQUIRE(req);
  CHECK(req->job == "cpu");
  env.say(1, frame_bytes(wire::frame_kind::result, env.last_request(1), u64_result(99)));
  auto info = env.status(id);
  CHECK(info.state == task_state::completed);
  CHECK(*info.value.get_if<uint64_t>() == 99);
  CHECK(info.worker_pid == 4242);
  auto m = env.metrics();
  CHECK(m.limiters[2].borrowed == 0);
  CHECK(m.processes.idle == 1);
}

TEST_CASE("worker pool: a worker that crashes fails its job and is replaced", "[actor]") {
  pool_env env;
  env.started(1, 4242);
  env.hello(1);
  auto id = env.submit_call(call<uint64_t>("cpu", uint64_t{5}));
  env.exited(1, SIGSEGV);
  auto info = env.status(id);
  CHECK(info.state == task_state::failed);
  CHECK(is(info.error, errc::worker_crashed));
  CHECK(render(info.error).find("worker 4242 was killed by signal 11") != std::string::npos);
  CHECK(env.os->launched == std::vector<worker_id>{1, 2});
  CHECK(env.metrics().limiters[2].borrowed == 0);
}

TEST_CASE("worker pool: cancelling a hung job escalates from SIGTERM to SIGKILL", "[actor]") {
  pool_env env;
  env.started(1, 4242);
  env.hello(1);
  auto id = env.submit_call(call<uint64_t>("cpu", uint64_t{5}));
  CHECK(env.status(id).worker_pid == 4242); // known while the job runs
  auto cancelled = env.ask<task_info>(env.mgr, cancel_atom::value, id);
  REQUIRE(cancelled);
  CHECK(cancelled->state == task_state::cancelled);
  CHECK(cancelled->worker_pid == 4242);
  CHECK(env.os->signalled(1, SIGTERM));
  auto m = env.metrics();
  CHECK(m.limiters[0].borrowed == 0); // the global token returns at once
  CHECK(m.limiters[2].borrowed == 1); // the process token waits for the worker to be gone
  env.advance(999ms);
  CHECK_FALSE(env.os->signalled(1, SIGKILL));
  env.advance(1ms);
  CHECK(env.os->signalled(1, SIGKILL));
  env.exited(1, SIGKILL);
  auto info = env.status(id);
  CHECK(info.state == task_state::cancelled);
  CHECK(info.stage == stop_stage::sigkill);
  m = env.metrics();
  CHECK(m.limiters[2].borrowed == 0);
  CHECK(m.late_results == 0);
  CHECK(m.threads.abandoned == 0); // no thread task ever ran
  CHECK(env.os->launched.size() == 2);
}

TEST_CASE("worker pool: heartbeats count from when they arrived, however late the pool handles "
          "them",
          "[actor]") {
  auto cfg = pool_config();
  cfg.workers.heartbeat = 50ms;
  cfg.workers.heartbeat_timeout = 100ms;
  pool_env env{cfg};
  env.started(1, 4242);
  env.hello(1);
  auto id = env.submit_call(call<uint64_t>("cpu", uint64_t{5}));
  // The worker beats every 50 ms while every scheduler thread is busy elsewhere: the beats and
  // the pool's wake-ups pile up in its mailbox, unhandled, for 400 ms.
  auto beat = frame_bytes(wire::frame_kind::heartbeat, 0, wire::encode_heartbeat(1));
  for (int i = 0; i < 8; ++i) {
    env.sched().advance_time(50ms); // the clock moves; nothing runs
    env.os->events->output(1, beat);
  }
  env.run(); // the threads come back
  CHECK(env.os->signals.empty());
  CHECK(env.status(id).state == task_state::running);
  // A worker that really falls silent is still killed, 100 ms after its last beat (and the
  // one wake-up the late pool asks for then).
  env.advance(99ms);
  CHECK(env.os->signals.empty());
  env.advance(2ms);
  CHECK(env.os->signalled(1, SIGKILL));
}

TEST_CASE("worker pool: a killed process task actor keeps its process token until the worker "
          "is gone",
          "[actor]") {
  pool_env env;
  env.started(1, 4242);
  env.hello(1);
  auto id = env.submit_call(call<uint64_t>("cpu", uint64_t{5}));
  auto* mgr = static_cast<std::remove_pointer_t<manager_pointer>*>(
      caf::actor_cast<caf::abstract_actor*>(env.mgr));
  auto actor = runtime_of(mgr, mgr->state.table.lookup(id)).actor;
  REQUIRE(actor);
  env.self()->send_exit(actor, caf::exit_reason::kill); // no exit handler runs
  env.run();
  auto info = env.status(id);
  CHECK(info.state == task_state::failed);
  CHECK(env.os->signalled(1, SIGTERM));
  auto m = env.metrics();
  CHECK(m.limiters[0].borrowed == 0);
  CHECK(m.limiters[2].borrowed == 1); // the worker is in its SIGTERM grace
  CHECK(m.threads.abandoned == 0);
  env.advance(1s);
  CHECK(env.os->signalled(1, SIGKILL));
  CHECK(env.metrics().limiters[2].borrowed == 1);
  env.exited(1, SIGKILL);
  m = env.metrics();
  CHECK(m.limiters[2].borrowed == 0);
  CHECK(m.late_results == 0);
  CHECK(env.status(id).stage == stop_stage::sigkill);
}

TEST_CASE("worker pool: a timed-out job whose worker obeys SIGTERM records that stage", "[actor]") {
  pool_env env;
  env.started(1, 4242);
  env.hello(1);
  auto id = env.submit_call(call<uint64_t>("cpu", uint64_t{5}), {.timeout = 50ms});
  env.advance(50ms);
  CHECK(env.status(id).state == task_state::timeout);
  CHECK(env.os->signalled(1, SIGTERM));
  env.exited(1, SIGTERM);
  CHECK(env.status(id).stage == stop_stage::sigterm);
}

TEST_CASE("worker pool: garbage from a worker kills it and fails its job", "[actor]") {
  pool_env env;
  env.started(1, 4242);
  env.hello(1);
  auto id = env.submit_call(call<uint64_t>("echo", uint64_t{5}));
  std::string junk = "Traceback (most recent call last):\n";
  env.say(1, std::vector<char>(junk.begin(), junk.end()));
  CHECK(env.os->signalled(1, SIGKILL));
  env.exited(1, SIGKILL);
  auto info = env.status(id);
  CHECK(info.state == task_state::failed);
  CHECK(is(info.error, errc::protocol_error));
  CHECK(env.metrics().processes.crashed == 1);
}

TEST_CASE("worker pool: a worker that never handshakes is killed and its job waits for the "
          "replacement",
          "[actor]") {
  pool_env env;
  auto id = env.submit_call(call<uint64_t>("cpu", uint64_t{5}));
  env.started(1, 4242); // but no hello: a slow or broken start
  env.advance(5s);
  CHECK(env.os->signalled(1, SIGKILL));
  env.exited(1, SIGKILL);
  REQUIRE(env.os->launched == std::vector<worker_id>{1, 2});
  CHECK(env.status(id).state == task_state::running); // waiting for a worker
  env.started(2, 4243);
  env.hello(2);
  env.say(2, frame_bytes(wire::frame_kind::result, env.last_request(2), u64_result(7)));
  CHECK(env.status(id).state == task_state::completed);
}

TEST_CASE("worker pool: an unknown job is refused at submission once workers said hello",
          "[actor]") {
  pool_env env;
  env.started(1, 4242);
  env.hello(1);
  auto id =
      env.ask<task_id>(env.mgr, submit_atom::value, process_task(call<uint64_t>("no-such-job")));
  REQUIRE_FALSE(id);
  CHECK(is(id.error(), errc::unknown_job));
  CHECK(render(id.error()).find("they offer: cpu, echo") != std::string::npos);
}

TEST_CASE("worker pool: shutdown stops the workers and returns every token", "[actor]") {
  pool_env env;
  env.started(1, 4242);
  env.hello(1);
  env.submit_call(call<uint64_t>("cpu", uint64_t{5}));
  auto report = env.self()->request(env.mgr, caf::infinite, shutdown_atom::value,
                                    shutdown_mode::cancel, caf::timespan{5s});
  env.run();
  CHECK(env.os->signalled(1, SIGTERM));
  env.exited(1, SIGTERM);
  // The pool had started a replacement before it heard of the shutdown; it is killed too.
  REQUIRE(env.os->launched == std::vector<worker_id>{1, 2});
  CHECK(env.os->signalled(2, SIGKILL));
  env.exited(2, SIGKILL);
  shutdown_report r;
  report.receive([&](shutdown_report& x) { r = x; }, [](caf::error& err) { FAIL(render(err)); });
  CHECK(r.clean());
  CHECK(r.metrics.processes.workers == 0);
  CHECK(env.running_actors() == 0);
}
