// The real launcher with real processes: writes from the caller's thread, in order with those
// the I/O thread finishes, and no SIGPIPE for a write to a worker that stopped reading.

#include <catch2/catch.hpp>

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

#include "process_launcher.hpp"

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
  spec.executable = "/bin/sh";
  spec.args = {"-c", std::move(script)};
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

// Stops the launcher from its own I/O thread on the first output, as an actor that the thread
// runs (helping_unit) and that ends the worker pool would.
class stopper final : public worker_events {
public:
  process_launcher* launcher = nullptr;

  void started(worker_id, int pid) override {
    std::lock_guard<std::mutex> guard{mtx_};
    pid_ = pid;
    cv_.notify_all();
  }

  void start_failed(worker_id, std::string) override {}

  void output(worker_id, std::vector<char>) override {
    auto took = launcher->stop_from_own_thread();
    std::lock_guard<std::mutex> guard{mtx_};
    outputs_ += 1;
    took_ = took;
    cv_.notify_all();
  }

  void exited(worker_id, int) override {
    std::lock_guard<std::mutex> guard{mtx_};
    exited_ = true;
  }

  // The worker's pid and whether the launcher took the stop, once the first output came.
  std::pair<int, bool> wait_stop() {
    std::unique_lock<std::mutex> lock{mtx_};
    cv_.wait_for(lock, 20s, [&] { return outputs_ > 0; });
    return {pid_, took_};
  }

  int outputs() {
    std::lock_guard<std::mutex> guard{mtx_};
    return outputs_;
  }

  bool exited() {
    std::lock_guard<std::mutex> guard{mtx_};
    return exited_;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  int pid_ = -1;
  int outputs_ = 0;
  bool took_ = false;
  bool exited_ = false;
};

} // namespace

TEST_CASE("launcher: stopped from its own thread, it kills its workers and frees itself",
          "[launcher][process]") {
  auto events = std::make_shared<stopper>();
  auto launcher = make_process_launcher(events, nullptr);
  events->launcher = launcher.get();
  CHECK_FALSE(launcher->stop_from_own_thread()); // not its thread: the caller must stop it
  // A worker that keeps writing: only the first output may be reported.
  launcher->launch(3, shell("while echo tick; do :; done"));
  auto [pid, took] = events->wait_stop();
  REQUIRE(took);
  REQUIRE(pid > 0);
  static_cast<void>(launcher.release()); // its thread frees it
  // The worker's process group was killed; its pid goes once the launcher's thread reaps it.
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  CHECK(::kill(pid, 0) == -1);
  CHECK(errno == ESRCH);
  CHECK(events->outputs() == 1);
  CHECK_FALSE(events->exited());
  // The launcher's thread dropped its reference to the listener when it stopped.
  deadline = std::chrono::steady_clock::now() + 20s;
  while (events.use_count() > 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  CHECK(events.use_count() == 1);
}
