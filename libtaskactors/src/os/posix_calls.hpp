// The POSIX calls around worker processes that need care: what a child does between fork and
// exec, writes that must not raise SIGPIPE, and reading a process's resident set.

#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include <sys/types.h>

namespace taskactors::detail {

/// Resource limits a worker starts with; 0 leaves one unlimited.
struct child_limits {
  uint64_t address_space = 0;
  uint64_t cpu_seconds = 0;
  uint64_t open_files = 0;
};

/// Runs in the child between vfork and exec: its own process group, death with the host's
/// starting thread (exits with 127 where the host is already gone), no blocked signals, every
/// signal's default action (a host that ignores SIGTERM must not pass that on), and `limits`.
/// Only async-signal-safe calls: no allocation, no locks.
void prepare_child(pid_t host, const child_limits& limits) noexcept;

/// Writes what fits of `bytes` to the non-blocking `fd` from any thread, without SIGPIPE: a
/// write to a pipe whose reader died raises SIGPIPE in the writing thread, whose default action
/// would end the host. The signal is blocked around the write and, if this write raised it,
/// taken back (a SIGPIPE that was already pending for the thread is left alone). Returns how
/// many bytes went out, or -1 with errno set.
ssize_t write_without_sigpipe(int fd, const char* bytes, std::size_t size);

/// The resident set of process `pid` (0: this process) in bytes, from /proc; nothing where it
/// cannot be read (the process is gone).
std::optional<std::size_t> resident_bytes_of(pid_t pid);

} // namespace taskactors::detail
