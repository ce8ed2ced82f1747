#pragma once

#include <cstdint>
#include <cstdlib>

namespace taskactors::detail {

// Environment variables the host sets for its workers (in addition to the allow-listed ones).

/// The host's pid: the worker checks it is still its parent.
inline constexpr const char* env_parent_pid = "TASKACTORS_PARENT_PID";

/// How often the worker sends a heartbeat, in milliseconds (0 or unset: never).
inline constexpr const char* env_heartbeat_ms = "TASKACTORS_HEARTBEAT_MS";

/// A non-negative number from the environment, 0 if unset or malformed.
inline int64_t env_number(const char* name) {
  auto value = std::getenv(name);
  if (value == nullptr)
    return 0;
  char* end = nullptr;
  auto x = std::strtoll(value, &end, 10);
  return (end != value && *end == '\0' && x > 0) ? x : 0;
}

} // namespace taskactors::detail
