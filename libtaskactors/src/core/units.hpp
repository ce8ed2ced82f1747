// Durations and sizes as the library's messages spell them.

#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <caf/timespan.hpp>
#include <fmt/format.h>

namespace taskactors::detail {

/// Whole milliseconds of `x`, for messages ("did not finish within 300 ms").
inline long long whole_ms(caf::timespan x) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(x).count();
}

/// `bytes` in whole MiB, with the unit ("256 MiB").
inline std::string mib(std::size_t bytes) {
  return fmt::format("{} MiB", bytes / (1024 * 1024));
}

} // namespace taskactors::detail
