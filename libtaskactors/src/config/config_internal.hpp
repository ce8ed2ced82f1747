#pragma once

// The parts of the configuration loader, shared by its sources: config_values.cpp (typed
// values), config_keys.cpp (the table of known keys), config_sources.cpp (file, environment and
// --set, merged into one configuration) and toml_guard.cpp (a work-around for toml++ 3.3).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/timespan.hpp>
// Header-only: nothing of toml++ is needed at link time, by this library or its users.
#define TOML_HEADER_ONLY 1
#include <toml++/toml.h>

#include "taskactors/config_loader.hpp"
#include "taskactors/log.hpp"
#include "taskactors/manager_config.hpp"

namespace taskactors::detail {

// -- values (config_values.cpp) -----------------------------------------------------------------

/// A value as a source gave it: a TOML node from a file, text from the environment or a flag.
struct raw_value {
  const toml::node* node = nullptr;
  std::string text;
  std::string origin;

  /// The value as an error message shows it: TOML as written, text in quotes.
  std::string shown() const;
};

/// What a setter reports: empty when the value was taken, why not otherwise.
using problem = std::optional<std::string>;

/// Whether a duration may be `"none"` (no timeout).
enum class none_duration { refused, allowed };

/// An `errc::invalid_config` error with `text`.
[[nodiscard]] caf::error config_error(std::string text);

[[nodiscard]] std::optional<uint64_t> parse_uint(std::string_view text);

/// A non-negative integer.
[[nodiscard]] problem get_uint(const raw_value& v, uint64_t& out);

/// Bytes: `"64MiB"`, `"512KiB"`, `"1GiB"` or a plain count.
[[nodiscard]] problem get_bytes(const raw_value& v, uint64_t& out);

/// A duration: `"250ms"`, `"2s"`, `"1min"`; `"none"` where `none` allows it.
[[nodiscard]] problem get_duration(const raw_value& v, caf::timespan& out, none_duration none);

[[nodiscard]] problem get_string(const raw_value& v, std::string& out);

/// A TOML array of strings, or comma-separated text.
[[nodiscard]] problem get_list(const raw_value& v, std::vector<std::string>& out);

/// A string that must be one of `accepted`; the problem lists them.
[[nodiscard]] problem
get_choice(const raw_value& v, std::initializer_list<std::string_view> accepted, std::string& out);

/// A log level name, as `parse_log_level` reads it.
[[nodiscard]] problem get_log_level(const raw_value& v, log_level& out);

// -- keys (config_keys.cpp) ---------------------------------------------------------------------

/// The log settings, turned into a sink once every source was read.
struct log_settings {
  log_level level = log_level::warn;
  std::string sink = "stderr";
  bool set = false;
};

/// What the setters write to.
struct config_target {
  manager_config& cfg;
  log_settings& log;
};

using setter = std::function<problem(config_target&, const raw_value&)>;

/// A known key: its documentation and how a value is stored.
struct key_def {
  config_key doc;
  setter set;
};

/// Every known key, in documentation order.
const std::vector<key_def>& key_table();

/// The key named `name` (`quota.global`), or nullptr.
const key_def* find_key(std::string_view name);

/// The key whose environment variable is `variable` (`TASKACTORS_QUOTA_GLOBAL`), or nullptr.
const key_def* find_variable(std::string_view variable);

/// The number of single-character insertions, deletions and substitutions from `a` to `b`.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// `"; did you mean quota.global?"` for the known key nearest to an unknown `name`, or empty
/// when none is close.
std::string suggest_key(std::string_view name);

/// Like `suggest_key`, for an environment variable that names no key.
std::string suggest_variable(std::string_view variable);

// -- sources (toml_guard.cpp) -------------------------------------------------------------------

/// Why a TOML text is refused before toml++ sees it, and on which line.
struct unreadable_text {
  std::size_t line = 0;
  std::string why;
};

/// Checks that `text` is valid UTF-8 and holds none of the characters that toml++ 3.3 cannot
/// classify where it would ask whether they are whitespace (see toml_guard.cpp).
std::optional<unreadable_text> check_toml_text(std::string_view text);

} // namespace taskactors::detail
