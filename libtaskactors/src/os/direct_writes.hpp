// Writes to a worker's stdin straight from the caller's thread, when nothing handed to the I/O
// thread for that worker is still unwritten (a direct write would overtake it).

#pragma once

#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "os/process_launcher.hpp"

namespace taskactors::detail {

class direct_writes {
public:
  /// A worker is being launched: its writes go through the I/O thread until `ready`.
  void open(worker_id id);

  /// The worker's stdin is up as the non-blocking `fd` (ignored when closed meanwhile).
  void ready(worker_id id, int fd);

  /// Writes what fits of `bytes` to the worker's stdin. True when nothing is left for the I/O
  /// thread: all was written, or the worker is gone (EPIPE, its exit is reported anyway).
  /// Otherwise `bytes` keeps the rest, counted as handed to the I/O thread.
  bool try_write(worker_id id, std::vector<char>& bytes);

  /// `n` writes handed to the I/O thread are done.
  void written(worker_id id, std::size_t n);

  /// No more direct writes for the worker; `close` (run under the lock, so that no other thread
  /// writes to a descriptor once closed, and perhaps reused) closes the pipe.
  template <class Close>
  void close(worker_id id, Close close) {
    std::lock_guard<std::mutex> guard{mtx_};
    pipes_.erase(id);
    close();
  }
  void close(worker_id id) {
    close(id, [] {});
  }

  /// From now on every write goes through the I/O thread.
  void clear();

private:
  /// `fd` is -1 until the process is up; `queued` counts the writes handed to the I/O thread
  /// and not done yet.
  struct pipe {
    int fd = -1;
    std::size_t queued = 0;
  };
  std::mutex mtx_;
  std::unordered_map<worker_id, pipe> pipes_;
};

} // namespace taskactors::detail
