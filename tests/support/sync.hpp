#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

namespace taskactors::test {

/// A thread-safe counter that tests wait on, always with a deadline: never a bare sleep.
class counter {
public:
  void add(int n = 1) {
    std::lock_guard<std::mutex> guard{mtx_};
    value_ += n;
    if (value_ > peak_)
      peak_ = value_;
    cv_.notify_all();
  }

  int value() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return value_;
  }

  int peak() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return peak_;
  }

  /// Waits until the value is at least `n`; false if `timeout` passes first.
  bool wait_for_at_least(int n, std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
    std::unique_lock<std::mutex> lock{mtx_};
    return cv_.wait_for(lock, timeout, [&] { return value_ >= n; });
  }

private:
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  int value_ = 0;
  int peak_ = 0;
};

/// A gate that blocked callables wait at until the test opens it (with a deadline, so that a
/// broken test fails instead of hanging).
class gate {
public:
  void open() {
    std::lock_guard<std::mutex> guard{mtx_};
    open_ = true;
    cv_.notify_all();
  }

  bool wait(std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
    std::unique_lock<std::mutex> lock{mtx_};
    return cv_.wait_for(lock, timeout, [&] { return open_; });
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool open_ = false;
};

/// The number of threads of this process, from /proc.
inline int threads_in_process() {
  int result = 0;
  for ([[maybe_unused]] auto& entry : std::filesystem::directory_iterator{"/proc/self/task"})
    ++result;
  return result;
}

/// For state that offers no event to wait on (/proc, another process, a log written by another
/// thread): checks `done()` every millisecond until it holds or `timeout` passes, and returns
/// whether it held.
template <class Predicate>
bool poll_until(Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
  return true;
}

/// Waits until the process has at most `n` threads: a thread that was joined or detached may
/// take a moment to disappear from /proc.
inline bool threads_settle_at(int n, std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
  return poll_until([n] { return threads_in_process() <= n; }, timeout);
}

} // namespace taskactors::test
