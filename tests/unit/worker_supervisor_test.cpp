#include <catch2/catch.hpp>

#include <csignal>
#include <map>
#include <string>
#include <vector>

#include <sys/wait.h>

#include "core/worker_supervisor.hpp"
#include "taskactors/errc.hpp"
#include "wire/wire.hpp"

using namespace taskactors;
using namespace taskactors::detail;
using namespace std::chrono_literals;

namespace {

// Records what the supervisor asks for; the test plays the workers.
struct recorder : pool_driver {
  std::vector<worker_id> spawned;
  std::map<worker_id, std::vector<wire::frame>> sent;
  std::vector<std::pair<worker_id, int>> signals;
  std::vector<worker_id> closed;
  std::map<worker_id, std::size_t> rss;
  std::map<job_key, job_result> done;
  std::vector<std::string> offered;
  std::vector<std::string> notes;

  void spawn(worker_id id) override { spawned.push_back(id); }

  void send(worker_id id, std::vector<char> bytes) override {
    wire::decoder d;
    std::vector<wire::frame> frames;
    REQUIRE(d.feed(bytes.data(), bytes.size(), frames));
    for (auto& f : frames)
      sent[id].push_back(std::move(f));
  }

  void signal(worker_id id, int sig) override { signals.emplace_back(id, sig); }

  void close_input(worker_id id) override { closed.push_back(id); }

  std::optional<std::size_t> resident_bytes(worker_id id) override {
    auto i = rss.find(id);
    return i == rss.end() ? std::nullopt : std::optional<std::size_t>{i->second};
  }

  void job_done(job_key key, job_result result) override { done[key] = std::move(result); }

  void jobs_offered(const std::vector<std::string>& names) override { offered = names; }

  void note(log_level, std::string text) override { notes.push_back(std::move(text)); }

  bool signalled(worker_id id, int sig) const {
    for (auto& [w, s] : signals)
      if (w == id && s == sig)
        return true;
    return false;
  }
};

std::vector<char> frame_bytes(wire::frame_kind kind, uint64_t corr, std::vector<char> payload) {
  std::vector<char> out;
  wire::encode(out, kind, corr, payload);
  return out;
}

std::vector<char> hello(int pid, std::vector<std::string> jobs = {"cpu", "echo"}) {
  return frame_bytes(wire::frame_kind::hello, 0,
                     wire::encode_payload(wire::hello{static_cast<uint32_t>(pid), jobs}));
}

int signalled_status(int sig) {
  return sig; // WIFSIGNALED: low 7 bits hold the signal, no core dump bit
}

int exit_status(int code) {
  return code << 8; // WIFEXITED
}

pool_settings settings(std::size_t workers = 2) {
  pool_settings s;
  s.max_workers = workers;
  s.prespawn = workers;
  s.workers.kill_grace = 1s;
  s.workers.start_timeout = 5s;
  s.workers.restart_intensity = 3;
  s.workers.restart_period = 10s;
  s.workers.restart_backoff = 5s;
  s.workers.heartbeat = caf::timespan{0};
  return s;
}

struct fixture {
  explicit fixture(pool_settings s = settings()) : sup(s, rec) {}

  void feed(worker_id id, const std::vector<char>& bytes) {
    sup.on_output(id, bytes.data(), bytes.size(), now, now);
  }

  /// Starts and handshakes worker `id` with pid 100 + id.
  void ready(worker_id id) {
    sup.on_started(id, pid(id), now);
    feed(id, hello(pid(id)));
  }

  static int pid(worker_id id) { return 100 + static_cast<int>(id); }

  void start_all() {
    sup.start(now);
    for (auto id : rec.spawned)
      ready(id);
  }

  /// The request frame most recently sent to `id`.
  wire::frame last_request(worker_id id) {
    REQUIRE_FALSE(rec.sent[id].empty());
    return rec.sent[id].back();
  }

  void reply(worker_id id, std::vector<char> value) {
    feed(id, frame_bytes(wire::frame_kind::result, last_request(id).correlation, value));
  }

  void advance(caf::timespan d) {
    now += d;
    sup.tick(now);
  }

  recorder rec;
  worker_supervisor sup;
  time_point now{1h};
};

} // namespace

TEST_CASE("worker supervisor: pre-spawns workers and learns their jobs from the handshake",
          "[unit][process]") {
  fixture f;
  f.sup.start(f.now);
  CHECK(f.rec.spawned == std::vector<worker_id>{1, 2});
  f.ready(1);
  CHECK(f.rec.offered == std::vector<std::string>{"cpu", "echo"});
  CHECK(f.sup.stats().idle == 1);
  f.ready(2);
  CHECK(f.sup.stats().idle == 2);
}

TEST_CASE("worker supervisor: runs a job on an idle worker and hands back its result",
          "[unit][process]") {
  fixture f;
  f.start_all();
  f.sup.submit(7, "echo", {'x'}, f.now);
  auto req = f.last_request(1);
  CHECK(req.kind == wire::frame_kind::request);
  auto decoded = wire::decode_request(req.payload);
  REQUIRE(decoded);
  CHECK(decoded->job == "echo");
  CHECK(decoded->args == std::vector<char>{'x'});
  f.reply(1, {'o', 'k'});
  REQUIRE(f.rec.done.count(7) == 1);
  CHECK(f.rec.done[7].ok);
  CHECK(f.rec.done[7].value == std::vector<char>{'o', 'k'});
  CHECK(f.rec.done[7].pid == 101);
  CHECK(f.sup.stats().idle == 2);
}

TEST_CASE("worker supervisor: queues jobs first in first out while every worker is busy",
          "[unit][process]") {
  fixture f{settings(1)};
  f.start_all();
  for (job_key k = 1; k <= 3; ++k)
    f.sup.submit(k, "cpu", {}, f.now);
  CHECK(f.sup.stats().queued == 2);
  CHECK(f.rec.spawned.size() == 1); // never more workers than allowed
  f.reply(1, {});
  CHECK(f.rec.done.count(1) == 1);
  CHECK(f.rec.sent[1].size() == 2);
  f.reply(1, {});
  f.reply(1, {});
  CHECK(f.rec.done.size() == 3);
}

TEST_CASE("worker supervisor: a worker that dies during a job fails it and is replaced",
          "[unit][process]") {
  fixture f{settings(1)};
  f.start_all();
  f.sup.submit(1, "crash", {}, f.now);
  f.sup.on_exit(1, signalled_status(SIGSEGV), f.now);
  REQUIRE(f.rec.done.count(1) == 1);
  auto& r = f.rec.done[1];
  CHECK_FALSE(r.ok);
  CHECK(is(r.error, errc::worker_crashed));
  CHECK(render(r.error) ==
        "taskactors::worker_crashed: worker 101 was killed by signal 11 (SIGSEGV) while "
        "running job 'crash'");
  CHECK(f.rec.spawned == std::vector<worker_id>{1, 2}); // the replacement
  f.ready(2);
  f.sup.submit(2, "exit", {}, f.now);
  f.sup.on_exit(2, exit_status(3), f.now);
  CHECK(render(f.rec.done[2].error).find("worker 102 exited with code 3") != std::string::npos);
  CHECK(f.sup.stats().crashed == 2);
}

TEST_CASE("worker supervisor: a cancelled job waiting for a worker is never sent",
          "[unit][process]") {
  fixture f{settings(1)};
  f.start_all();
  f.sup.submit(1, "cpu", {}, f.now);
  f.sup.submit(2, "cpu", {}, f.now);
  f.sup.stop_job(2, stop_reason::cancelled, f.now);
  REQUIRE(f.rec.done.count(2) == 1);
  CHECK(is(f.rec.done[2].error, errc::cancelled));
  CHECK(f.rec.done[2].stage == stop_stage::none);
  f.reply(1, {});
  CHECK(f.rec.sent[1].size() == 1);
  CHECK(f.rec.signals.empty());
}

TEST_CASE("worker supervisor: stopping a running job terminates its worker, then kills it",
          "[unit][process]") {
  fixture f{settings(2)};
  f.start_all();
  f.sup.submit(1, "block", {}, f.now);
  f.sup.submit(2, "hang", {}, f.now);
  f.sup.stop_job(1, stop_reason::cancelled, f.now);
  f.sup.stop_job(2, stop_reason::timeout, f.now);
  CHECK(f.rec.signalled(1, SIGTERM));
  CHECK(f.rec.signalled(2, SIGTERM));
  // Worker 1 obeys SIGTERM; worker 2 ignores it and gets SIGKILL when the grace period ends.
  f.sup.on_exit(1, signalled_status(SIGTERM), f.now);
  CHECK(f.rec.done[1].stage == stop_stage::sigterm);
  CHECK(is(f.rec.done[1].error, errc::cancelled));
  f.advance(999ms);
  CHECK_FALSE(f.rec.signalled(2, SIGKILL));
  f.advance(1ms);
  CHECK(f.rec.signalled(2, SIGKILL));
  f.sup.on_exit(2, signalled_status(SIGKILL), f.now);
  CHECK(f.rec.done[2].stage == stop_stage::sigkill);
  CHECK(is(f.rec.done[2].error, errc::timeout));
  CHECK(f.sup.stats().crashed == 0); // stopped on purpose
  CHECK(f.rec.spawned.size() == 4);  // both replaced
}

TEST_CASE("worker supervisor: never trusts a frame", "[unit][process]") {
  auto check_killed = [](fixture& f, worker_id id, job_key key, const char* what) {
    INFO(what);
    CHECK(f.rec.signalled(id, SIGKILL));
    f.sup.on_exit(id, signalled_status(SIGKILL), f.now);
    REQUIRE(f.rec.done.count(key) == 1);
    CHECK(is(f.rec.done[key].error, errc::protocol_error));
    CHECK(render(f.rec.done[key].error).find(what) != std::string::npos);
  };
  SECTION("bytes that are not a frame") {
    fixture f{settings(1)};
    f.start_all();
    f.sup.submit(1, "garbage", {}, f.now);
    std::string junk = "this is not a frame\n";
    f.feed(1, std::vector<char>(junk.begin(), junk.end()));
    check_killed(f, 1, 1, "magic bytes");
  }
  SECTION("a frame above the size limit") {
    auto s = settings(1);
    s.workers.max_frame = 1024;
    fixture f{s};
    f.start_all();
    f.sup.submit(1, "echo", {}, f.now);
    f.feed(1, frame_bytes(wire::frame_kind::result, 1, std::vector<char>(2048)));
    check_killed(f, 1, 1, "exceeds the limit of 1024");
  }
  SECTION("a result for another request") {
    fixture f{settings(1)};
    f.start_all();
    f.sup.submit(1, "echo", {}, f.now);
    f.feed(1, frame_bytes(wire::frame_kind::result, 999, {}));
    check_killed(f, 1, 1, "a result for request 999");
  }
  SECTION("a second hello") {
    fixture f{settings(1)};
    f.start_all();
    f.sup.submit(1, "echo", {}, f.now);
    f.feed(1, hello(101));
    check_killed(f, 1, 1, "a second hello");
  }
  SECTION("a request frame") {
    fixture f{settings(1)};
    f.start_all();
    f.sup.submit(1, "echo", {}, f.now);
    f.feed(1, frame_bytes(wire::frame_kind::request, 1, {}));
    check_killed(f, 1, 1, "a request frame");
  }
  SECTION("a malformed error frame") {
    fixture f{settings(1)};
    f.start_all();
    f.sup.submit(1, "echo", {}, f.now);
    f.feed(1, frame_bytes(wire::frame_kind::error, f.last_request(1).correlation, {'\x7f'}));
    check_killed(f, 1, 1, "a malformed error frame");
  }
}

TEST_CASE("worker supervisor: a worker speaking another protocol version is refused",
          "[unit][process]") {
  fixture f{settings(1)};
  f.sup.start(f.now);
  f.sup.on_started(1, 101, f.now);
  auto bytes = hello(101);
  bytes[2] = 2; // version byte
  f.feed(1, bytes);
  CHECK(f.rec.signalled(1, SIGKILL));
  f.sup.on_exit(1, signalled_status(SIGKILL), f.now);
  CHECK(f.sup.stats().crashed == 1);
  CHECK(f.rec.spawned.size() == 2);
}

TEST_CASE("worker supervisor: a worker that does not handshake in time is killed",
          "[unit][process]") {
  fixture f{settings(1)};
  f.sup.start(f.now);
  f.sup.on_started(1, 101, f.now);
  f.advance(4s);
  CHECK(f.rec.signals.empty());
  f.advance(1s);
  CHECK(f.rec.signalled(1, SIGKILL));
}

TEST_CASE("worker supervisor: error frames fail the job with the worker's reason",
          "[unit][process]") {
  fixture f{settings(1)};
  f.start_all();
  auto fail_with = [&](job_key key, wire::job_error code, errc expected) {
    f.sup.submit(key, "x", {}, f.now);
    f.feed(1, frame_bytes(wire::frame_kind::error, f.last_request(1).correlation,
                          wire::encode_payload(wire::failure{code, "because"})));
    REQUIRE(f.rec.done.count(key) == 1);
    CHECK(is(f.rec.done[key].error, expected));
    CHECK(render(f.rec.done[key].error).find("because") != std::string::npos);
  };
  fail_with(1, wire::job_error::unknown_job, errc::unknown_job);
  fail_with(2, wire::job_error::bad_args, errc::bad_args);
  fail_with(3, wire::job_error::job_exception, errc::task_exception);
  fail_with(4, wire::job_error::bad_result, errc::bad_result);
  CHECK(f.rec.signals.empty()); // job failures do not harm the worker
}

TEST_CASE("worker supervisor: too many crashes pause restarts, then the pool recovers",
          "[unit][process]") {
  fixture f{settings(1)};
  f.start_all();
  worker_id next = 1;
  for (int i = 0; i < 4; ++i) { // the fourth crash within the period exceeds intensity 3
    f.sup.on_exit(next, signalled_status(SIGSEGV), f.now);
    if (f.rec.spawned.size() > static_cast<std::size_t>(i + 1)) {
      next = f.rec.spawned.back();
      f.ready(next);
    }
  }
  CHECK(f.sup.stats().backing_off);
  auto spawned = f.rec.spawned.size();
  f.sup.submit(1, "cpu", {}, f.now);
  REQUIRE(f.rec.done.count(1) == 1);
  CHECK(is(f.rec.done[1].error, errc::pool_unavailable));
  f.advance(4s);
  CHECK(f.rec.spawned.size() == spawned);
  f.advance(1s); // the back-off is over
  CHECK_FALSE(f.sup.stats().backing_off);
  REQUIRE(f.rec.spawned.size() == spawned + 1);
  f.ready(f.rec.spawned.back());
  f.sup.submit(2, "cpu", {}, f.now);
  f.reply(f.rec.spawned.back(), {});
  CHECK(f.rec.done[2].ok);
}

TEST_CASE("worker supervisor: crashes spread over time do not pause restarts", "[unit][process]") {
  fixture f{settings(1)};
  f.start_all();
  for (int i = 0; i < 6; ++i) {
    f.sup.on_exit(f.rec.spawned.back(), signalled_status(SIGSEGV), f.now);
    f.ready(f.rec.spawned.back());
    f.advance(4s);
  }
  CHECK_FALSE(f.sup.stats().backing_off);
}

TEST_CASE("worker supervisor: recycles a worker after max_jobs_per_worker jobs",
          "[unit][process]") {
  auto s = settings(1);
  s.workers.max_jobs = 2;
  fixture f{s};
  f.start_all();
  f.sup.submit(1, "cpu", {}, f.now);
  f.reply(1, {});
  f.sup.submit(2, "cpu", {}, f.now);
  f.reply(1, {});
  CHECK(f.rec.closed == std::vector<worker_id>{1});
  f.sup.on_exit(1, exit_status(0), f.now);
  CHECK(f.sup.stats().recycled == 1);
  CHECK(f.sup.stats().crashed == 0);
  CHECK(f.rec.spawned.back() == 2);
}

TEST_CASE("worker supervisor: a job whose worker passes the memory limit fails and is killed",
          "[unit][process]") {
  auto s = settings(1);
  s.workers.max_rss = 100u << 20;
  s.workers.rss_interval = 50ms;
  fixture f{s};
  f.start_all();
  f.sup.submit(1, "alloc", {}, f.now);
  f.rec.rss[1] = 60u << 20;
  f.advance(50ms);
  CHECK(f.rec.signals.empty());
  f.rec.rss[1] = 150u << 20;
  f.advance(50ms);
  CHECK(f.rec.signalled(1, SIGKILL));
  f.sup.on_exit(1, signalled_status(SIGKILL), f.now);
  REQUIRE(f.rec.done.count(1) == 1);
  CHECK(is(f.rec.done[1].error, errc::memory_limit));
  CHECK(render(f.rec.done[1].error).find("used 150 MiB (limit 100 MiB)") != std::string::npos);
  CHECK(f.sup.stats().crashed == 0);
}

TEST_CASE("worker supervisor: a worker that holds too much after a job is recycled",
          "[unit][process]") {
  auto s = settings(1);
  s.workers.max_rss = 100u << 20;
  fixture f{s};
  f.start_all();
  f.sup.submit(1, "cpu", {}, f.now);
  f.rec.rss[1] = 120u << 20;
  f.reply(1, {});
  CHECK(f.rec.done[1].ok);
  CHECK(f.rec.closed == std::vector<worker_id>{1});
}

TEST_CASE("worker supervisor: a silent worker is killed when heartbeats are expected",
          "[unit][process]") {
  auto s = settings(1);
  s.workers.heartbeat = 1s;
  s.workers.heartbeat_timeout = 3s;
  fixture f{s};
  f.start_all();
  f.sup.submit(1, "cpu", {}, f.now);
  f.advance(2s);
  f.feed(1, frame_bytes(wire::frame_kind::heartbeat, 0, wire::encode_heartbeat(1)));
  f.advance(2s);
  CHECK(f.rec.signals.empty());
  f.advance(1s);
  CHECK(f.rec.signalled(1, SIGKILL));
  f.sup.on_exit(1, signalled_status(SIGKILL), f.now);
  CHECK(render(f.rec.done[1].error).find("sent nothing for 3000 ms") != std::string::npos);
}

TEST_CASE("worker supervisor: a worker that cannot start counts as a failure", "[unit][process]") {
  fixture f{settings(1)};
  f.sup.start(f.now);
  f.sup.on_start_failed(1, "cannot start /x: No such file or directory", f.now);
  CHECK(f.sup.stats().crashed == 1);
  CHECK(f.rec.spawned.size() == 2);
}

TEST_CASE("worker supervisor: shutdown lets idle workers exit and terminates busy ones",
          "[unit][process]") {
  fixture f{settings(2)};
  f.start_all();
  f.sup.submit(1, "block", {}, f.now);
  f.sup.submit(2, "cpu", {}, f.now);
  f.sup.submit(3, "cpu", {}, f.now); // waits
  f.reply(2, {});                    // worker 2 picks up job 3
  f.sup.submit(4, "cpu", {}, f.now); // waits
  f.sup.shutdown(f.now);
  CHECK(is(f.rec.done[4].error, errc::not_running));
  CHECK(f.rec.signalled(1, SIGTERM));
  CHECK(f.rec.signalled(2, SIGTERM));
  f.sup.on_exit(1, signalled_status(SIGTERM), f.now);
  CHECK_FALSE(f.sup.stopped());
  f.sup.on_exit(2, signalled_status(SIGTERM), f.now);
  CHECK(f.sup.stopped());
  CHECK(f.rec.spawned.size() == 2); // nothing restarted
  f.sup.submit(5, "cpu", {}, f.now);
  CHECK(is(f.rec.done[5].error, errc::not_running));
}
