#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "taskactors/export.hpp"

namespace taskactors {

/// Severity of a log message.
enum class log_level : uint8_t { trace, debug, info, warn, error, off };

/// Returns the name of `x`, e.g. `"warn"`.
TASKACTORS_API std::string_view to_string(log_level x) noexcept;

/// Parses a level name as printed by `to_string`.
TASKACTORS_API std::optional<log_level> parse_log_level(std::string_view name) noexcept;

/// The library's only logging seam: everything it logs goes to one sink, which the application
/// chooses (see `make_spdlog_sink` in `taskactors/spdlog_sink.hpp`). Sinks are called from many
/// threads at once and must be thread-safe.
class TASKACTORS_API log_sink {
public:
  virtual ~log_sink();

  /// Returns whether messages of `level` are wanted; the library skips formatting otherwise.
  virtual bool enabled(log_level level) const noexcept = 0;

  /// Writes one message.
  virtual void write(log_level level, std::string_view message) = 0;
};

/// A sink that writes `taskactors [level] message` lines to stderr, for `level` and above.
TASKACTORS_API std::shared_ptr<log_sink> make_stderr_sink(log_level level = log_level::warn);

/// A sink that drops everything.
TASKACTORS_API std::shared_ptr<log_sink> make_null_sink();

} // namespace taskactors
