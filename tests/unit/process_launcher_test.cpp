// The real launcher with real processes: writes from the caller's thread, in order with those
// the I/O thread finishes, and no SIGPIPE for a write to a worker that stopped reading.

#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <signal.h>
#include <unistd.h>

#include "os/process_launcher.hpp"
#include "taskactors/log.hpp"

using namespace taskactors;
using namespace taskactors::detail;
using namespace std::chrono_literals;

namespace {

// Records what the launcher reports; tests wait on it with deadlines.
class recorder final : public worker_events {
public:
  void started(worker_id, int) override {}

  void start_failed(worker_id id, std::string reason) override {
    std::lock_guard<std::mutex> guard{mtx_};
    failures_[id] = std::move(reason);
    cv_.notify_all();
  }

  void output(worker_id id, std::vector<char> bytes) override {
    std::lock_guard<std::mutex> guard{mtx_};
    out_[id].append(bytes.begin(), bytes.end());
    cv_.notify_all();
  }

  void exited(worker_id id, int status) override {
    std::lock_guard<std::mutex> guard{mtx_};
    exits_[id] = status;
    cv_.notify_all();
  }

  // Waits until the worker's output has at least `size` bytes; returns what there is.
  std::string output_of(worker_id id, std::size_t size) {
    std::unique_lock<std::mutex> lock{mtx_};
    cv_.wait_for(lock, 20s, [&] { return out_[id].size() >= size || failures_.count(id) > 0; });
    return out_[id];
  }

  bool wait_exit(worker_id id) {
    std::unique_lock<std::mutex> lock{mtx_};
    return cv_.wait_for(lock, 20s, [&] { return exits_.count(id) > 0; });
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::map<worker_id, std::string> out_;
  std::map<worker_id, std::string> failures_;
  std::map<worker_id, int> exits_;
};

launch_spec shell(std::string script) {
  launch_spec spec;
  spec.workers.executable = "/bin/sh";
  spec.workers.args = {"-c", std::move(script)};
  spec.env = {"PATH=/usr/bin:/bin"};
  return spec;
}

std::vector<char> bytes_of(const std::string& text) {
  return {text.begin(), text.end()};
}

bool sigpipe_pending() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

} // namespace

TEST_CASE("launcher: writes arrive whole and in order, direct or through the I/O thread",
          "[launcher][process]") {
  auto events = std::make_shared<recorder>();
  auto launcher = make_process_launcher(events, nullptr);
  launcher->launch(1, shell("echo up; exec cat"));
  REQUIRE(events->output_of(1, 3) == "up\n");
  // More than a pipe holds: the direct write stops part-way and the I/O thread writes the rest,
  // so the small writes that follow must queue behind it instead of overtaking it.
  std::string big(300 << 10, 'a');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  launcher->write(1, bytes_of(big));
  auto expected = "up\n" + big;
  for (int i = 0; i < 200; ++i) {
    auto line = "line " + std::to_string(i) + "\n";
    expected += line;
    launcher->write(1, bytes_of(line));
  }
  auto got = events->output_of(1, expected.size());
  REQUIRE(got.size() == expected.size());
  CHECK(got == expected);
  // Nothing written after close_input reaches the worker ahead of the end of its input.
  launcher->close_input(1);
  launcher->write(1, bytes_of("after close\n"));
  REQUIRE(events->wait_exit(1));
  CHECK(events->output_of(1, expected.size()) == expected);
  launcher->stop();
}

TEST_CASE("launcher: a write to a worker that closed its stdin fails quietly, without SIGPIPE",
          "[launcher][process]") {
  // SIGPIPE unblocked on this thread, as on any caller's: if the write raised it, its default
  // action would end this process.
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigset_t old_mask;
  pthread_sigmask(SIG_UNBLOCK, &pipe_only, &old_mask);
  auto events = std::make_shared<recorder>();
  auto launcher = make_process_launcher(events, nullptr);
  launcher->launch(7, shell("exec 0<&-; echo ready; exec sleep 30"));
  REQUIRE(events->output_of(7, 6) == "ready\n");
  for (int i = 0; i < 3; ++i)
    launcher->write(7, bytes_of("request\n"));
  CHECK_FALSE(sigpipe_pending());
  SECTION("a SIGPIPE the thread already had pending stays pending") {
    pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
    ::raise(SIGPIPE);
    REQUIRE(sigpipe_pending());
    launcher->write(7, bytes_of("request\n"));
    CHECK(sigpipe_pending());
    timespec zero{0, 0};
    CHECK(sigtimedwait(&pipe_only, nullptr, &zero) == SIGPIPE);
  }
  launcher->signal(7, SIGKILL);
  REQUIRE(events->wait_exit(7));
  launcher->stop();
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
}

namespace {

// Stops the launcher without waiting on the first output, from the launcher's own I/O thread, as
// an actor on a scheduler thread that ends the worker pool would.
class stopper final : public worker_events {
public:
  /// Set by the test once the worker runs; outputs before that are ignored.
  std::atomic<process_launcher*> launcher{nullptr};

  void started(worker_id, int pid) override {
    // Probed at once: the launcher signals the group from here on.
    auto group = ::getpgid(pid);
    std::lock_guard<std::mutex> guard{mtx_};
    pid_ = pid;
    group_ = group;
    cv_.notify_all();
  }

  void start_failed(worker_id, std::string) override {}

  void output(worker_id, std::vector<char>) override {
    auto* target = launcher.load();
    if (target == nullptr)
      return;
    std::lock_guard<std::mutex> guard{mtx_};
    if (outputs_++ == 0)
      took_ = target->stop_later(); // only posts to this thread: no wait under the lock
    cv_.notify_all();
  }

  void exited(worker_id, int) override {
    std::lock_guard<std::mutex> guard{mtx_};
    exited_ = true;
  }

  // The worker's pid once it started.
  int wait_started() {
    std::unique_lock<std::mutex> lock{mtx_};
    cv_.wait_for(lock, 20s, [&] { return pid_ > 0; });
    return pid_;
  }

  // Whether the launcher took the stop, once the first output came.
  bool wait_output() {
    std::unique_lock<std::mutex> lock{mtx_};
    cv_.wait_for(lock, 20s, [&] { return outputs_ > 0; });
    return took_;
  }

  bool exited() {
    std::lock_guard<std::mutex> guard{mtx_};
    return exited_;
  }

  // The worker's process group when it was reported started.
  int group() {
    std::lock_guard<std::mutex> guard{mtx_};
    return group_;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  int pid_ = -1;
  int group_ = -1;
  int outputs_ = 0;
  bool took_ = false;
  bool exited_ = false;
};

// Waits until `pid` is gone (reaped), or 20 s passed; returns errno of the last probe.
int wait_gone(int pid) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    auto rc = ::kill(pid, 0);
    auto err = errno;
    if (rc == -1)
      return err;
    if (std::chrono::steady_clock::now() > deadline)
      return 0;
    std::this_thread::yield();
  }
}

// Waits until only the test holds `p`: the launcher freed itself and dropped its copies.
template <class T>
bool wait_sole_owner(const std::shared_ptr<T>& p) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (p.use_count() > 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  return p.use_count() == 1;
}

} // namespace

TEST_CASE("launcher: stopped without waiting, it kills its workers and frees itself",
          "[launcher][process]") {
  auto events = std::make_shared<stopper>();
  auto log = make_null_sink();
  auto launcher = make_process_launcher(events, log);
  // A worker that keeps writing: no output may be reported after the stop.
  launcher->launch(3, shell("while echo tick; do :; done"));
  auto pid = events->wait_started();
  REQUIRE(pid > 0);
  // It leads its own group as soon as it is reported, even when the child has not run yet (a
  // fork rather than a vfork, as under ThreadSanitizer): else a stop right away would miss it.
  REQUIRE(events->group() == pid);
  SECTION("from its own thread, in an event") {
    events->launcher = launcher.get();
    REQUIRE(events->wait_output());
    static_cast<void>(launcher.release()); // its thread frees it
  }
  SECTION("from another thread") {
    REQUIRE(launcher.release()->stop_later());
  }
  CHECK(wait_gone(pid) == ESRCH);
  CHECK(wait_sole_owner(events));
  CHECK(wait_sole_owner(log)); // the launcher, which held the log, is gone
  CHECK_FALSE(events->exited());
}
